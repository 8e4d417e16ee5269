/**
 * Kubernetes client setup: kubeconfig loading (with clear configuration errors)
 * and the one client of a run. Every request to the API server (object and list
 * reads as plain JSON, SelfSubjectAccessReviews, service-proxy GETs, pod logs)
 * goes through one transport (./transport.ts) that applies the whole kubeconfig
 * and keeps one keep-alive connection pool; each request has a timeout
 * (AbortSignal) and transient failures are retried with backoff (p-retry).
 *
 * @kubernetes/client-node is used to load the kubeconfig and for auth-provider
 * plugins only: its generated API classes build a new HTTPS agent (a TLS
 * handshake) per request and deserialise every answer into model classes, which
 * costs CPU for nothing here (checks read plain JSON).
 */
import { existsSync, readFileSync, accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
// the KubeConfig module only, not the package's index (its watch, exec, informer, … modules and
// their dependencies are never used here); the bundle also leaves out the generated API
// classes that only KubeConfig.makeApiClient uses (scripts/bundle.mjs)
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { StringDecoder } from 'node:string_decoder';
import net from 'node:net';
import tls from 'node:tls';
import { request as undiciRequest, type Dispatcher } from 'undici';
import pRetry, { AbortError } from 'p-retry';
import { ClusterError, toClusterError, fromHttpStatus, describeRequest, type RequestDescription } from './errors.js';
import { ConfigError, ExecCredentials, type ApiPool, chooseProxy, createDispatcher, execConfigOf, fileOrData, shorten, validateTls, type ProxyChoice, type TlsMaterial, type TransportCounters } from './transport.js';

export { ConfigError, shorten } from './transport.js';

export interface ClientOptions {
  kubeconfig?: string;
  context?: string;
  /** Per-request timeout in ms. */
  requestTimeoutMs?: number;
  /** Attempts for transient errors (1 = no retry). */
  retries?: number;
  /** Minimum backoff between retries in ms. */
  minBackoffMs?: number;
}

/** Parse one kubeconfig file; relative certificate paths resolve against its folder, as kubectl does. */
function readKubeConfigFile(file: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    accessSync(file, constants.R_OK);
    kc.loadFromString(readFileSync(file, 'utf8'));
    kc.makePathsAbsolute(path.dirname(path.resolve(file)));
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError(`cannot read kubeconfig ${file}: ${why}`);
  }
  return kc;
}

/**
 * Load the kubeconfig the way kubectl does: --kubeconfig, else every file of
 * $KUBECONFIG merged (the first current-context wins), else ~/.kube/config, else
 * the in-cluster service account (a CronJob in the cluster). Problems are
 * ConfigErrors (exit 2) with one clear line.
 */
export function loadKubeConfig(opts: { kubeconfig?: string; context?: string }): KubeConfig {
  let files: string[];
  if (opts.kubeconfig !== undefined) files = [opts.kubeconfig];
  else if (process.env.KUBECONFIG) files = process.env.KUBECONFIG.split(path.delimiter).filter((p) => p.length > 0);
  else files = [path.join(homedir(), '.kube', 'config')];
  const explicit = opts.kubeconfig !== undefined || !!process.env.KUBECONFIG;
  const existing = files.filter((f) => existsSync(f));
  let kc: KubeConfig;
  if (existing.length === 0) {
    if (!explicit && process.env.KUBERNETES_SERVICE_HOST) {
      kc = new KubeConfig();
      kc.loadFromCluster();
      return kc;
    }
    throw new ConfigError(`kubeconfig not found: ${files.join(path.delimiter) || '(empty KUBECONFIG)'} (pass --kubeconfig or set KUBECONFIG)`);
  }
  kc = readKubeConfigFile(existing[0]!);
  for (const f of existing.slice(1)) {
    const more = readKubeConfigFile(f);
    if (!kc.getCurrentContext() && more.getCurrentContext()) kc.setCurrentContext(more.getCurrentContext());
    for (const c of more.getClusters()) if (!kc.getCluster(c.name)) kc.addCluster(c);
    for (const u of more.getUsers()) if (!kc.getUser(u.name)) kc.addUser(u);
    for (const c of more.getContexts()) if (!kc.getContextObject(c.name)) kc.addContext(c);
  }
  const where = existing.join(path.delimiter);
  if (kc.getContexts().length === 0) throw new ConfigError(`kubeconfig ${where} has no contexts`);
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name).join(', ');
      throw new ConfigError(`context "${opts.context}" not found in ${where} (known: ${known})`);
    }
    kc.setCurrentContext(opts.context);
  } else if (!kc.getCurrentContext() || !kc.getContextObject(kc.getCurrentContext())) {
    throw new ConfigError(`kubeconfig ${where} has no current context: pass --context`);
  }
  const ctx = kc.getContextObject(kc.getCurrentContext())!;
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ConfigError(`context "${ctx.name}" refers to cluster "${ctx.cluster}", which is not in ${where}`);
  if (ctx.user && !kc.getUser(ctx.user)) throw new ConfigError(`context "${ctx.name}" refers to user "${ctx.user}", which is not in ${where}`);
  serverUrl(cluster.name, cluster.server);
  return kc;
}

/** The cluster's `server:` as a URL; anything else is a ConfigError naming the cluster entry. */
function serverUrl(clusterName: string, server: string | undefined): URL {
  let url: URL | undefined;
  try {
    url = server ? new URL(server) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname) {
    throw new ConfigError(`cluster "${clusterName}": server "${shorten(server ?? '', 80)}" is not an https:// URL (e.g. https://203.0.113.10:6443)`);
  }
  return url;
}


export interface RawResponse {
  status: number;
  contentType: string;
  body: string;
  /** The Location header of a 3xx answer (redirects are never followed). */
  location?: string;
}

export interface SendOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  accept?: string;
  body?: unknown;
  /** Content type of a body (default application/json); patches name their kind here. */
  contentType?: string;
  /** The request changes nothing (default: only GET): undici may multiplex or replay it. */
  idempotent?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

interface Sent {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

export class KubeClient {
  readonly kc: KubeConfig;
  readonly requestTimeoutMs: number;
  private readonly retries: number;
  private readonly minBackoffMs: number;
  private readonly base: URL;
  private readonly baseText: string;
  private readonly clusterName: string;
  private readonly userName: string;
  private readonly tlsMaterial: TlsMaterial;
  private readonly proxy?: ProxyChoice;
  private readonly exec?: ExecCredentials;
  private readonly staticHeaders: Record<string, string> = {};
  private readonly authProvider: boolean;
  private dispatcherInstance?: ApiPool;
  /** Number of HTTP requests started (attempts, including retries). */
  requestCount = 0;
  /** New connections and TLS handshakes to the API server. */
  readonly counters: TransportCounters = { connections: 0, tlsHandshakes: 0 };

  /** Resolves the whole kubeconfig entry; local problems are ConfigErrors naming the entry. */
  constructor(kc: KubeConfig, opts: ClientOptions = {}) {
    this.kc = kc;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.retries = opts.retries ?? 3;
    this.minBackoffMs = opts.minBackoffMs ?? 200;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new ConfigError('the kubeconfig has no current cluster');
    const user = kc.getCurrentUser();
    this.clusterName = cluster.name;
    this.userName = user?.name ?? '';
    this.base = serverUrl(cluster.name, cluster.server);
    this.baseText = cluster.server.replace(/\/+$/, '');
    const clusterEntry = `cluster "${cluster.name}"`;
    const userEntry = `user "${user?.name ?? ''}"`;
    this.tlsMaterial = {
      ca: fileOrData(clusterEntry, 'certificate-authority', cluster.caFile, cluster.caData),
      cert: fileOrData(userEntry, 'client-certificate', user?.certFile, user?.certData),
      key: fileOrData(userEntry, 'client-key', user?.keyFile, user?.keyData),
      servername: cluster.tlsServerName || undefined,
      rejectUnauthorized: !cluster.skipTLSVerify,
    };
    validateTls(this.tlsMaterial, clusterEntry, userEntry);
    this.proxy = chooseProxy(this.base, cluster.proxyUrl, cluster.name);
    const exec = execConfigOf(user);
    if (exec) this.exec = new ExecCredentials(this.userName, exec, this.requestTimeoutMs);
    this.authProvider = !exec && !!user?.authProvider;
    if (user?.token) this.staticHeaders.authorization = `Bearer ${user.token}`;
    else if (user?.username) this.staticHeaders.authorization = 'Basic ' + Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64');
    if (user?.impersonateUser) this.staticHeaders['impersonate-user'] = user.impersonateUser;
  }

  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? '';
  }

  get contextName(): string {
    return this.kc.getCurrentContext();
  }

  /**
   * Resolve the credentials once before any check runs: a failing, missing, hanging
   * or garbage-printing exec plugin (or auth-provider) is a ConfigError here, so the
   * run exits 2 instead of blaming the server.
   */
  async prepare(): Promise<void> {
    await this.authHeaders();
  }

  private async authHeaders(): Promise<Record<string, string>> {
    const headers = { ...this.staticHeaders };
    if (this.exec) {
      const cred = await this.exec.get();
      if (cred.token) headers.authorization = `Bearer ${cred.token}`;
      if (cred.clientCertificateData && cred.clientKeyData && !this.tlsMaterial.cert) {
        // client certificates from the plugin apply to connections opened from now on
        this.tlsMaterial.cert = cred.clientCertificateData;
        this.tlsMaterial.key = cred.clientKeyData;
      }
    } else if (this.authProvider) {
      const opts: { headers: Record<string, unknown> } = { headers: {} };
      try {
        const apply = (this.kc as unknown as { applyAuthorizationHeader?: (o: object) => Promise<void> }).applyAuthorizationHeader;
        if (typeof apply === 'function') await apply.call(this.kc, opts);
        else await this.kc.applyToHTTPSOptions(opts as never);
      } catch (err) {
        throw new ConfigError(`user "${this.userName}": auth-provider failed: ${shorten(err instanceof Error ? err.message : String(err))}`);
      }
      const auth = opts.headers.Authorization ?? opts.headers.authorization;
      if (typeof auth === 'string') headers.authorization = auth;
    }
    return headers;
  }

  /** The one connection pool of the run (created on first use). */
  get dispatcher(): ApiPool {
    this.dispatcherInstance ??= createDispatcher(this.base, () => this.tlsMaterial, this.proxy, this.counters, Math.min(this.requestTimeoutMs, 10_000));
    return this.dispatcherInstance;
  }

  /**
   * Run one API call with retries for transient errors (network, 429 honouring
   * Retry-After, 5xx) and none for other 4xx. Errors come out as ClusterError.
   */
  async call<T>(request: RequestDescription, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return pRetry(
      async () => {
        try {
          return await fn();
        } catch (err) {
          if (err instanceof ConfigError) throw new AbortError(err);
          const ce = toClusterError(err, request);
          if (!ce.transient || signal?.aborted) throw new AbortError(ce);
          throw ce;
        }
      },
      {
        retries: Math.max(0, this.retries - 1),
        minTimeout: this.minBackoffMs,
        factor: 2,
        randomize: true,
        signal,
        shouldConsumeRetry: () => true,
        onFailedAttempt: async ({ error }) => {
          const ce = error as unknown as ClusterError;
          if (ce instanceof ClusterError && ce.kind === 'throttled' && ce.retryAfterMs) {
            await new Promise((r) => setTimeout(r, Math.min(ce.retryAfterMs!, 30_000)));
          }
        },
      },
    ).catch((err: unknown) => {
      if (err instanceof ConfigError) throw err;
      throw toClusterError(err, request);
    });
  }

  /**
   * One attempt: send a request through the run's pool with the kubeconfig's
   * credentials and a timeout. The caller reads (or discards) the body.
   */
  async send(apiPath: string, request: RequestDescription, opts: SendOptions = {}): Promise<Sent> {
    this.requestCount++;
    const headers: Record<string, string> = { ...(await this.authHeaders()), accept: opts.accept ?? 'application/json' };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    const method = opts.method ?? 'GET';
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.requestTimeoutMs);
    try {
      const res = await undiciRequest(this.baseText + apiPath, {
        method,
        // reads (and the SelfSubjectAccessReview POST, which changes nothing) are marked idempotent:
        // undici multiplexes them on HTTP/2 instead of waiting for every other request in flight;
        // the writes of `--fix` (src/cluster/writer.ts) are not
        idempotent: opts.idempotent ?? method === 'GET',
        dispatcher: this.dispatcher,
        headers,
        body,
        signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      throw this.mapError(err, request);
    }
  }

  /** Transport errors in plain words: a proxy, a TLS peer demanding or refusing a client certificate. */
  mapError(err: unknown, request: RequestDescription): ClusterError {
    const ce = toClusterError(err, request);
    if (ce.kind === 'client-cert-required' && this.tlsMaterial.cert) {
      return new ClusterError('client-cert-rejected', ce.message.replace('demands a client certificate', 'refused the client certificate'), { request, cause: err });
    }
    if (ce.kind === 'connection-reset' && !this.tlsMaterial.cert && this.base.protocol === 'https:' && /handshake|alert/i.test(String((err as Error)?.message))) {
      return new ClusterError('client-cert-required', `the API server closed the TLS handshake: it probably demands a client certificate (${shorten(String((err as Error).message), 80)})`, { request, cause: err });
    }
    return ce;
  }

  /**
   * A connection closed during or right after the TLS handshake hides why: undici
   * may report the peer's close before its TLS alert. One diagnostic connection with
   * the same TLS material reads the alert (a client certificate demanded or refused,
   * plain HTTP on the port). Used only after such a failure of the first request.
   */
  async explainReset(original: ClusterError): Promise<ClusterError> {
    if (this.base.protocol !== 'https:' || this.proxy) return original;
    const m = this.tlsMaterial;
    const host = this.base.hostname.replace(/^\[|\]$/g, '');
    const found = await new Promise<ClusterError | undefined>((resolve) => {
      this.counters.connections++;
      const sock = tls.connect(
        {
          host,
          port: Number(this.base.port) || 443,
          ...(m.ca ? { ca: m.ca } : {}),
          ...(m.cert ? { cert: m.cert, key: m.key } : {}),
          ...(m.servername ? { servername: m.servername } : net.isIP(host) ? {} : { servername: host }),
          rejectUnauthorized: m.rejectUnauthorized,
          ALPNProtocols: ['http/1.1'],
        },
        () => {
          this.counters.tlsHandshakes++;
          sock.write(`GET /version HTTP/1.1\r\nhost: ${this.base.host}\r\nconnection: close\r\n\r\n`);
        },
      );
      const timer = setTimeout(() => finish(undefined), 3_000);
      const finish = (e: ClusterError | undefined) => {
        clearTimeout(timer);
        sock.destroy();
        resolve(e);
      };
      sock.once('error', (err) => {
        const ce = this.mapError(err, original.request ?? { verb: 'get', resource: 'version' });
        finish(ce.kind === 'client-cert-required' || ce.kind === 'client-cert-rejected' || ce.kind === 'plain-http' || ce.kind === 'tls' ? ce : undefined);
      });
      sock.once('data', () => finish(undefined));
      sock.once('close', () => finish(undefined));
    });
    return found ?? original;
  }

  /**
   * Read a whole body. A body cut off mid-stream (the connection closed or reset
   * before Content-Length bytes, or before the end of a chunked answer) is reported
   * at once as 'truncated' or 'connection-reset', never as a hang.
   */
  async readBody(res: Sent, request: RequestDescription, onChunk?: (chunk: Buffer) => void): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let received = 0;
    try {
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        received += buf.length;
        if (onChunk) onChunk(buf);
        else chunks.push(buf);
      }
    } catch (err) {
      throw this.bodyError(err, res, received, request);
    }
    const announced = Number(res.headers['content-length']);
    if (Number.isFinite(announced) && received < announced) throw this.cutOff(request, received, announced);
    return onChunk ? Buffer.alloc(0) : Buffer.concat(chunks);
  }

  private cutOff(request: RequestDescription, received: number, announced?: number): ClusterError {
    return new ClusterError('truncated', `${describeRequest(request)}: the answer was cut off after ${received} bytes${announced !== undefined ? ` of ${announced}` : ''} (the connection closed mid-body)`, { request });
  }

  private bodyError(err: unknown, res: Sent, received: number, request: RequestDescription): ClusterError {
    const ce = toClusterError(err, request);
    if (ce.kind === 'timeout') return ce;
    const announced = Number(res.headers['content-length']);
    if (ce.kind === 'connection-reset' && /ECONNRESET/.test(String((err as any)?.code ?? '') + String((err as any)?.cause?.code ?? ''))) {
      return new ClusterError('connection-reset', `${describeRequest(request)}: the connection was reset after ${received} bytes of the answer`, { request, cause: err });
    }
    return this.cutOff(request, received, Number.isFinite(announced) ? announced : undefined);
  }

  /** GET (or POST) JSON with retries; non-2xx answers throw ClusterErrors (404 included). */
  async json<T>(apiPath: string, request: RequestDescription, opts: SendOptions = {}): Promise<T> {
    return this.call(
      request,
      async () => {
        const res = await this.send(apiPath, request, opts);
        const text = (await this.readBody(res, request)).toString('utf8');
        if (res.status < 200 || res.status >= 300) throw fromHttpStatus(res.status, text, request, res.headers['retry-after'] as string | undefined);
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new ClusterError('http', `${describeRequest(request)} failed: the answer is not JSON (${shorten(String(res.headers['content-type'] ?? 'no content type'), 60)}: "${shorten(text, 80)}")`, { request, status: res.status });
        }
      },
      opts.signal,
    );
  }

  /**
   * GET a raw API path (already escaped as it must be sent: service proxy paths keep
   * their `/` and `?`). Non-2xx statuses are returned, not thrown, so callers can
   * read e.g. a 503 from the IP operator's barrier; 401 and 429 (and a 403 Status
   * of the API server itself) throw.
   */
  async rawGet(apiPath: string, request: RequestDescription, signal?: AbortSignal, opts: { serverErrors?: boolean } = {}): Promise<RawResponse> {
    return this.call(
      request,
      async () => {
        const res = await this.send(apiPath, request, { accept: '*/*', signal });
        const body = (await this.readBody(res, request)).toString('utf8');
        const contentType = String(res.headers['content-type'] ?? '');
        if (res.status === 429 || res.status === 401 || (opts.serverErrors && res.status >= 500)) {
          throw fromHttpStatus(res.status, body, request, res.headers['retry-after'] as string | undefined);
        }
        if (res.status === 403 && /"kind"\s*:\s*"Status"/.test(body)) {
          throw fromHttpStatus(403, body, request);
        }
        const location = res.status >= 300 && res.status < 400 && typeof res.headers.location === 'string' ? res.headers.location : undefined;
        return { status: res.status, contentType, body, ...(location !== undefined ? { location } : {}) };
      },
      signal,
    );
  }

  /**
   * Stream a text answer line by line (memory does not grow with its size), with
   * retries before the first line only being the caller's business (see Snapshot).
   */
  async streamLines(apiPath: string, request: RequestDescription, onLine: (line: string) => void, opts: SendOptions = {}): Promise<{ lines: number; bytes: number }> {
    const res = await this.send(apiPath, request, { accept: 'text/plain, */*', ...opts });
    if (res.status >= 300) {
      const body = (await this.readBody(res, request)).toString('utf8');
      throw fromHttpStatus(res.status, body, request, res.headers['retry-after'] as string | undefined);
    }
    const decoder = new StringDecoder('utf8');
    let rest = '';
    let lines = 0;
    let bytes = 0;
    const emit = (text: string) => {
      lines++;
      bytes += Buffer.byteLength(text) + 1;
      onLine(text.endsWith('\r') ? text.slice(0, -1) : text);
    };
    await this.readBody(res, request, (chunk) => {
      rest += decoder.write(chunk);
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) {
        emit(rest.slice(0, i));
        rest = rest.slice(i + 1);
      }
    });
    rest += decoder.end();
    if (rest.length > 0) emit(rest);
    return { lines, bytes };
  }

  /** Stop plugins still running and close the pool (a request still hanging after the run is cut, not awaited). */
  async close(): Promise<void> {
    this.exec?.close();
    if (this.dispatcherInstance) await this.dispatcherInstance.destroy().catch(() => undefined);
  }
}
