/**
 * Pod logs: scripted lines (strings or {text, agoSeconds}) or lazy generators, streamed in
 * chunks with back-pressure, with tailLines / sinceSeconds / limitBytes / timestamps.
 */
import type { ServerResponse } from 'node:http';
import type { LogGenerator, LogLineSpec, LogSource } from './types.js';

export interface LogOptions {
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: number; // epoch ms
  limitBytes?: number;
  timestamps?: boolean;
}

interface Line {
  text: string;
  t: number; // epoch ms
}

const CHUNK = 64 * 1024;

function isGenerator(s: LogSource): s is LogGenerator {
  return !Array.isArray(s) && typeof s === 'object' && s !== null && 'generate' in s;
}

function toLine(l: string | LogLineSpec, base: number): Line {
  if (typeof l === 'string') return { text: l, t: base };
  return { text: String(l.text ?? ''), t: base - (Number(l.agoSeconds ?? 0) || 0) * 1000 };
}

/** A lazy view of the selected lines: count and an iterator, never materialising a generator. */
function select(src: LogSource, base: number, opts: LogOptions, now: number): Iterable<Line> {
  const since = opts.sinceTime ?? (opts.sinceSeconds !== undefined ? now - opts.sinceSeconds * 1000 : undefined);
  const keep = (l: Line) => since === undefined || l.t >= since;
  if (!isGenerator(src)) {
    let lines = src.map((l) => toLine(l, base)).filter(keep);
    if (opts.tailLines !== undefined) lines = opts.tailLines <= 0 ? [] : lines.slice(-opts.tailLines);
    return lines;
  }
  const g = src.generate;
  const genLine: Line = { text: String(g.text ?? ''), t: base - (Number(g.agoSeconds ?? 0) || 0) * 1000 };
  const genCount = keep(genLine) ? Math.max(0, Math.floor(Number(g.lines) || 0)) : 0;
  const last = (g.lastLines ?? []).map((l) => toLine(l, base)).filter(keep);
  const total = genCount + last.length;
  const start = opts.tailLines === undefined ? 0 : Math.max(0, total - Math.max(0, opts.tailLines));
  const hasN = genLine.text.includes('{n}');
  return {
    *[Symbol.iterator]() {
      for (let i = start; i < total; i++) {
        if (i < genCount) yield hasN ? { text: genLine.text.replaceAll('{n}', String(i + 1)), t: genLine.t } : genLine;
        else yield last[i - genCount]!;
      }
    },
  };
}

function stamp(t: number): string {
  return new Date(t).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** Write the log to res (text/plain); resolves when done or when the client went away. */
export async function streamLog(res: ServerResponse, src: LogSource | undefined, base: number, opts: LogOptions): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  if (!src) {
    res.end();
    return;
  }
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  let budget = opts.limitBytes !== undefined && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
  let buf = '';
  const flush = async (): Promise<void> => {
    if (!buf) return;
    let data = buf;
    buf = '';
    if (budget !== Infinity) {
      const b = Buffer.from(data);
      if (b.length > budget) {
        res.write(b.subarray(0, budget));
        budget = 0;
        return;
      }
      budget -= b.length;
      if (!res.write(b)) await drained(res);
      return;
    }
    if (!res.write(data)) await drained(res);
  };
  for (const l of select(src, base, opts, Date.now())) {
    if (closed || budget <= 0) break;
    buf += opts.timestamps ? `${stamp(l.t)} ${l.text}\n` : `${l.text}\n`;
    if (buf.length >= CHUNK) await flush();
  }
  if (!closed && budget > 0) await flush();
  if (!closed) res.end();
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
