/**
 * TLS connection bookkeeping for the request log: every completed handshake gets a number
 * (1, 2, ... per server) that the requests it carries record as `conn`; the count of
 * handshakes is what the benchmark reports per `check`. Connections that carried a
 * simulator control request (/sim/v1/...) are left out of the count.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server, TLSSocket } from 'node:tls';
import type { RequestRecord } from './types.js';

const CONN = Symbol('sim-conn');

interface Tagged {
  [CONN]?: { id: number; epoch: number; control: boolean };
}

/** the TLS socket under a request (HTTP/1.1: req.socket; HTTP/2: the session's socket) */
function tagOf(req: IncomingMessage): Tagged[typeof CONN] {
  const h2 = (req as unknown as { stream?: { session?: { socket?: unknown } } }).stream?.session?.socket;
  return ((h2 ?? req.socket) as Tagged)[CONN];
}

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export class ConnCounter {
  private next = 0;
  private epoch = 0;
  private counted = 0;

  constructor(server: Server) {
    server.on('secureConnection', (s: TLSSocket) => {
      (s as Tagged)[CONN] = { id: ++this.next, epoch: this.epoch, control: false };
      this.counted++;
    });
  }

  /** handshakes since construction or the last reset(), control connections excluded */
  get handshakes(): number {
    return this.counted;
  }

  reset(): void {
    this.epoch++;
    this.counted = 0;
  }

  /** Stamp a request record with its connection and start time, and its end time when answered. */
  stamp(req: IncomingMessage, res: ServerResponse, rec: RequestRecord): void {
    rec.startMs = nowMs();
    const tag = tagOf(req);
    if (tag) rec.conn = tag.id;
    res.once('finish', () => {
      rec.endMs = nowMs();
    });
  }

  /** A control request: its connection does not count as a handshake of the client under test. */
  markControl(req: IncomingMessage): void {
    const tag = tagOf(req);
    if (tag && !tag.control) {
      tag.control = true;
      if (tag.epoch === this.epoch) this.counted--;
    }
  }
}
