/**
 * The provider's :8443 responder: HTTPS with its own self-signed certificate, GET /status.
 * Modes: ok (200 JSON), hang (never answers), refused (listener closed, port kept),
 * error (status with a non-JSON body).
 */
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { ConnCounter } from './conns.js';
import type { ProviderStatusSpec, RequestRecord } from './types.js';

export class ProviderResponder {
  private server: Server;
  private sockets = new Set<Socket>();
  private listening = false;
  private closed = false;
  port = 0;
  spec: ProviderStatusSpec;
  /** TLS handshakes and connection numbers of the request log */
  readonly conns: ConnCounter;

  constructor(
    cert: string,
    key: string,
    spec: ProviderStatusSpec,
    readonly log: RequestRecord[],
  ) {
    this.spec = spec;
    this.server = createServer({ cert, key, minVersion: 'TLSv1.2' }, (req, res) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const rec: RequestRecord = {
        method: req.method ?? 'GET',
        path: q < 0 ? url : url.slice(0, q),
        query: q < 0 ? '' : url.slice(q + 1),
        status: 0,
        user: '',
        at: Date.now(),
      };
      this.conns.stamp(req, res, rec);
      this.log.push(rec);
      const s = this.spec;
      if (rec.path !== '/status') {
        rec.status = 404;
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
        return;
      }
      if (s.mode === 'hang') return; // never answer; close() destroys the socket
      if (s.mode === 'error') {
        rec.status = s.status ?? 500;
        const body = typeof s.body === 'string' ? s.body : s.body === undefined ? 'internal error' : JSON.stringify(s.body);
        res.writeHead(rec.status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
        return;
      }
      rec.status = s.status ?? 200;
      // a string body is taken as JSON text already
      res.writeHead(rec.status, { 'Content-Type': 'application/json' }).end(typeof s.body === 'string' ? s.body : JSON.stringify(s.body ?? {}));
    });
    this.conns = new ConnCounter(this.server);
    this.server.on('connection', (sock: Socket) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
    this.server.on('tlsClientError', () => {
      /* probes that reject the self-signed cert: ignore */
    });
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await this.listen(0);
    if (this.spec.mode === 'refused') await this.stopListening();
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onErr = (e: Error) => reject(e);
      this.server.once('error', onErr);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', onErr);
        this.port = (this.server.address() as { port: number }).port;
        this.listening = true;
        resolve();
      });
    });
  }

  private stopListening(): Promise<void> {
    if (!this.listening) return Promise.resolve();
    this.listening = false;
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  /** Change the behaviour at run time (afterRestart); reopens the same port after `refused`. */
  async setSpec(spec: ProviderStatusSpec): Promise<void> {
    this.spec = spec;
    if (this.closed) return;
    if (spec.mode === 'refused') await this.stopListening();
    else if (!this.listening) {
      try {
        await this.listen(this.port);
      } catch {
        /* port taken meanwhile: stays refused */
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stopListening();
  }
}
