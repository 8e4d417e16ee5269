/**
 * The HTTPS API server: request log, fault injection (latency, 429 bursts, error rate,
 * hangs), bearer-token authentication, discovery/OpenAPI and the resource routes.
 */
import { createServer, type Server } from 'node:https';
import { createSecureServer } from 'node:http2';
import type { Server as TlsServer } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { handleResource, parseResourcePath, type Ctx } from './api.js';
import type { User } from './auth.js';
import type { CertBundle } from './certs.js';
import { ConnCounter } from './conns.js';
import { apiVersions, openapiV3Doc, openapiV3Index, versionInfo } from './discovery.js';
import { ApiError, sendError, sendJson, statusBody } from './http.js';
import type { Faults, RequestRecord } from './types.js';
import type { World } from './world.js';

const MAX_BODY = 64 * 1024 * 1024;
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

/** mulberry32: small deterministic PRNG for the error-rate fault */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class ApiServer {
  private server: Server | TlsServer;
  private sockets = new Set<Socket>();
  private tracked = new Set<() => void>();
  private random = prng(0x5eed);
  readonly tokens = new Map<string, User>();
  /** TLS handshakes and connection numbers of the request log */
  readonly conns: ConnCounter;
  port = 0;

  constructor(
    private readonly world: World,
    certs: CertBundle,
    readonly faults: Faults,
    readonly requests: RequestRecord[],
    opts: { http2?: boolean } = {},
  ) {
    const tls = { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert };
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((e: unknown) => {
        if (e instanceof ApiError) sendError(res, e);
        else sendJson(res, 500, statusBody(500, `Internal error occurred: ${(e as Error)?.message ?? String(e)}`, 'InternalError'));
      });
    };
    if (opts.http2) {
      // like kube-apiserver: HTTP/2 offered by ALPN, HTTP/1.1 for clients that do not ask for it
      this.server = createSecureServer({ ...tls, allowHTTP1: true }, onRequest as unknown as Parameters<typeof createSecureServer>[1]);
    } else {
      const https = createServer(tls, onRequest);
      https.keepAliveTimeout = 30_000;
      this.server = https;
    }
    this.conns = new ConnCounter(this.server);
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('tlsClientError', () => {
      /* clients that reject the certificate */
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as { port: number }).port;
        resolve(this.port);
      });
    });
  }

  private track(end: () => void): () => void {
    this.tracked.add(end);
    return () => this.tracked.delete(end);
  }

  async close(): Promise<void> {
    for (const end of [...this.tracked]) {
      try {
        end();
      } catch {
        /* ignore */
      }
    }
    this.tracked.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const rawPath = qi < 0 ? url : url.slice(0, qi);
    const rawQuery = qi < 0 ? '' : url.slice(qi + 1);
    const method = (req.method ?? 'GET').toUpperCase();
    const user = this.authenticate(req);
    if (rawPath.startsWith('/sim/v1/')) return this.control(req, res, method, rawPath, user);
    const rec: RequestRecord = { method, path: rawPath, query: rawQuery, status: 0, user: user?.name ?? '', at: Date.now() };
    this.conns.stamp(req, res, rec);
    this.requests.push(rec);
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    const h2 = req.httpVersionMajor === 2;
    (res as unknown as { writeHead: (...args: unknown[]) => ServerResponse }).writeHead = (code: unknown, ...rest: unknown[]) => {
      rec.status = Number(code);
      // HTTP/2 forbids connection-specific headers (the chunked watch sets Transfer-Encoding)
      if (h2) for (const h of rest) if (h && typeof h === 'object') for (const k of Object.keys(h)) if (/^(transfer-encoding|connection|keep-alive)$/i.test(k)) delete (h as Record<string, unknown>)[k];
      return writeHead(code, ...rest);
    };

    // ---- faults ----
    const f = this.faults;
    if (f.hang.some((r) => r.test(rawPath))) {
      // never answer; close() destroys the socket
      return;
    }
    if (f.latencyMs > 0) await sleep(f.latencyMs);
    if (f.burst429.remaining > 0) {
      f.burst429.remaining--;
      const secs = f.burst429.retryAfterSeconds;
      throw new ApiError(429, 'Too many requests, please try again later.', 'TooManyRequests', { retryAfterSeconds: secs }, { 'Retry-After': String(secs) });
    }
    const isDryRun = new URLSearchParams(rawQuery).getAll('dryRun').includes('All');
    const fw = f.failWrites.find((w) => w.method === method && w.path.test(rawPath) && (w.times === undefined || w.times > 0) && (w.dryRun === undefined || w.dryRun === isDryRun));
    if (fw) {
      if (fw.times !== undefined) fw.times--;
      throw new ApiError(fw.status, fw.status >= 500 ? 'Internal error occurred: simulated write failure' : 'simulated write failure');
    }
    if (f.errorRate > 0 && this.random() < f.errorRate) {
      throw new ApiError(500, 'Internal error occurred: simulated failure', 'InternalError');
    }

    // ---- authentication ----
    if (!user) {
      const hasAuth = req.headers.authorization !== undefined;
      if (!hasAuth && PUBLIC_PATHS.has(rawPath)) {
        return this.nonResource(res, rawPath);
      }
      throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    }

    let bodyPromise: Promise<Buffer> | undefined;
    const ctx: Ctx = {
      req,
      res,
      method,
      rawPath,
      query: new URLSearchParams(rawQuery),
      user,
      world: this.world,
      body: () => (bodyPromise ??= readBody(req)),
      track: (end) => this.track(end),
    };

    const route = parseResourcePath(this.world.store.registry, rawPath);
    if (route instanceof ApiError) throw route;
    if (route) {
      await handleResource(ctx, route);
      return;
    }
    return this.nonResource(res, rawPath, req);
  }

  /**
   * Sim extension for a client in another process (the benchmark against `sim serve`):
   * `GET /sim/v1/requests` answers {tlsHandshakes: {api, provider}, requests, providerRequests};
   * `DELETE /sim/v1/requests` clears them. Admin token only; not logged, no faults, and the
   * connection that carries it is not counted as a handshake.
   */
  private control(req: IncomingMessage, res: ServerResponse, method: string, rawPath: string, user: User | undefined): void {
    this.conns.markControl(req);
    if (!user) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    if (!user.admin) throw new ApiError(403, `User "${user.name}" cannot use the simulator's control API`, 'Forbidden');
    if (rawPath !== '/sim/v1/requests') throw new ApiError(404, 'the server could not find the requested resource', 'NotFound', {});
    if (method === 'GET') {
      return sendJson(res, 200, { tlsHandshakes: this.tlsHandshakes(), requests: this.requests, providerRequests: this.world.provider.log });
    }
    if (method === 'DELETE') {
      this.clearRequests();
      return sendJson(res, 200, { tlsHandshakes: this.tlsHandshakes() });
    }
    throw new ApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
  }

  tlsHandshakes(): { api: number; provider: number } {
    return { api: this.conns.handshakes, provider: this.world.provider.conns.handshakes };
  }

  clearRequests(): void {
    this.requests.length = 0;
    this.world.provider.log.length = 0;
    this.conns.reset();
    this.world.provider.conns.reset();
  }

  private authenticate(req: IncomingMessage): User | undefined {
    const h = req.headers.authorization;
    if (!h) return undefined;
    const m = /^Bearer\s+(.+)$/i.exec(h);
    if (!m) return undefined;
    return this.tokens.get(m[1]!.trim());
  }

  private nonResource(res: ServerResponse, rawPath: string, req?: IncomingMessage): void {
    const reg = this.world.store.registry;
    const p = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
    if (req && req.method !== 'GET' && req.method !== 'HEAD') {
      throw new ApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
    }
    if (p === '/version') return sendJson(res, 200, versionInfo(this.world.gitVersion));
    if (p === '/healthz' || p === '/livez' || p === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (p === '/api') return sendJson(res, 200, apiVersions(`127.0.0.1:${this.port}`));
    if (p === '/apis') return sendJson(res, 200, reg.apiGroupList());
    const segs = p.split('/').slice(1);
    if (segs[0] === 'api' && segs.length === 2) {
      const rl = reg.resourceList('', segs[1]!);
      if (rl) return sendJson(res, 200, rl);
    }
    if (segs[0] === 'apis' && segs.length === 2) {
      const g = reg.apiGroup(segs[1]!);
      if (g) return sendJson(res, 200, g);
    }
    if (segs[0] === 'apis' && segs.length === 3) {
      const rl = reg.resourceList(segs[1]!, segs[2]!);
      if (rl) return sendJson(res, 200, rl);
    }
    if (p === '/openapi/v3') return sendJson(res, 200, openapiV3Index(reg));
    if (segs[0] === 'openapi' && segs[1] === 'v3') {
      const rest = segs.slice(2);
      let doc: Record<string, unknown> | undefined;
      if (rest[0] === 'api' && rest.length === 2) doc = openapiV3Doc(reg, '', rest[1]!, this.world.gitVersion);
      if (rest[0] === 'apis' && rest.length === 3) doc = openapiV3Doc(reg, rest[1]!, rest[2]!, this.world.gitVersion);
      if (doc) return sendJson(res, 200, doc);
    }
    throw new ApiError(404, 'the server could not find the requested resource', 'NotFound', {});
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, 'Request entity too large', 'RequestEntityTooLarge'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
