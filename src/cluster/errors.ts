/**
 * Error mapping: every failure of a request to the cluster becomes a ClusterError
 * with a kind a check (or the runner) can turn into plain words.
 */

export type ClusterErrorKind =
  | 'unreachable' // connection refused, DNS, reset
  | 'tls' // certificate problems
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'notfound' // 404
  | 'conflict' // 409
  | 'invalid' // 422
  | 'throttled' // 429
  | 'server' // 5xx
  | 'timeout' // request timed out
  | 'http' // other status
  // added with the single transport (the older kinds keep their meaning):
  | 'truncated' // the answer was cut off mid-body (fewer bytes than announced, or the connection closed)
  | 'connection-reset' // the connection was reset or closed before a complete answer
  | 'plain-http' // https:// to a port that speaks plain HTTP
  | 'client-cert-required' // the server demands a client certificate and none was sent
  | 'client-cert-rejected' // the server refused the client certificate that was sent
  | 'proxy' // the proxy (proxy-url, HTTPS_PROXY) could not be used
  | 'not-kubernetes'; // the endpoint answered, but not as a Kubernetes API server

export interface RequestDescription {
  verb: string; // get, list, create, patch, delete, proxy, log
  resource: string; // pods, services, ipaddresspools.metallb.io, ...
  namespace?: string;
  name?: string;
}

export class ClusterError extends Error {
  readonly kind: ClusterErrorKind;
  readonly status?: number;
  readonly request?: RequestDescription;
  readonly retryAfterMs?: number;
  /** Structured evidence for the finding (e.g. what a non-Kubernetes endpoint answered). */
  readonly details?: Record<string, unknown>;

  constructor(kind: ClusterErrorKind, message: string, opts: { status?: number; request?: RequestDescription; retryAfterMs?: number; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ClusterError';
    this.kind = kind;
    this.status = opts.status;
    this.request = opts.request;
    this.retryAfterMs = opts.retryAfterMs;
    this.details = opts.details;
  }

  /** Transient errors are retried: network (unreachable, reset, cut off), 429, 5xx. */
  get transient(): boolean {
    return this.kind === 'unreachable' || this.kind === 'throttled' || this.kind === 'server' || this.kind === 'timeout' || this.kind === 'truncated' || this.kind === 'connection-reset';
  }
}

/** "list pods in namespace akash-services" */
export function describeRequest(r: RequestDescription): string {
  let s = `${r.verb} ${r.resource}`;
  if (r.name) s += ` "${r.name}"`;
  if (r.namespace) s += ` in namespace ${r.namespace}`;
  return s;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);
const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|DEPTH_ZERO/;

function errorCode(err: unknown): string | undefined {
  let e: any = err;
  for (let i = 0; i < 5 && e; i++) {
    if (typeof e.code === 'string') return e.code;
    if (e.errno && typeof e.errno === 'string') return e.errno;
    e = e.cause;
  }
  return undefined;
}

function isAbort(err: unknown): boolean {
  let e: any = err;
  for (let i = 0; i < 5 && e; i++) {
    if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.type === 'aborted' || e.code === 'UND_ERR_ABORTED' || e.code === 'ABORT_ERR') return true;
    e = e.cause;
  }
  return false;
}

/** Parse a Kubernetes Status body (client-node gives it as a string). */
export function statusMessage(body: unknown): string | undefined {
  let b: any = body;
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b);
    } catch {
      return firstLine(b).slice(0, 300) || undefined;
    }
  }
  if (b && typeof b === 'object' && typeof b.message === 'string') return firstLine(b.message);
  return undefined;
}

/** Findings are one line: keep the first non-empty line of a cluster-supplied message. */
function firstLine(text: string): string {
  return text.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? '';
}

export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  return undefined;
}

export function fromHttpStatus(status: number, body: unknown, request?: RequestDescription, retryAfter?: string | null): ClusterError {
  const msg = statusMessage(body) ?? `HTTP ${status}`;
  const what = request ? describeRequest(request) : 'request';
  let kind: ClusterErrorKind = 'http';
  if (status === 401) kind = 'unauthorized';
  else if (status === 403) kind = 'forbidden';
  else if (status === 404) kind = 'notfound';
  else if (status === 409) kind = 'conflict';
  else if (status === 422) kind = 'invalid';
  else if (status === 429) kind = 'throttled';
  else if (status >= 500) kind = 'server';
  const text =
    kind === 'forbidden'
      ? `forbidden: the credentials may not ${what} (grant RBAC "${request?.verb ?? 'get'}" on ${request?.resource ?? 'the resource'})`
      : kind === 'unauthorized'
        ? `unauthorized (401): the API server rejected the credentials of this kubeconfig`
        : `${what} failed: ${msg} (HTTP ${status})`;
  return new ClusterError(kind, text, { status, request, retryAfterMs: parseRetryAfter(retryAfter) });
}

/** Map anything thrown by a request into a ClusterError. */
export function toClusterError(err: unknown, request?: RequestDescription): ClusterError {
  if (err instanceof ClusterError) return err;
  const anyErr = err as any;
  // client-node ApiException: { code, body (string), headers }
  if (anyErr && typeof anyErr.code === 'number' && anyErr.code >= 100) {
    const headers = anyErr.headers ?? {};
    const retryAfter = headers['retry-after'] ?? headers['Retry-After'];
    return fromHttpStatus(anyErr.code, anyErr.body, request, retryAfter);
  }
  const what = request ? describeRequest(request) : 'request';
  if (isAbort(err)) return new ClusterError('timeout', `${what} timed out`, { request, cause: err });
  const code = errorCode(err) ?? '';
  const message = firstLine(anyErr?.message ? String(anyErr.message) : String(err));
  if (anyErr?.name === 'ProxyError') {
    return new ClusterError('proxy', message, { request, cause: err });
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'ERR_SSL_HTTP_REQUEST' || /wrong version number|packet length too long|http request/i.test(message)) {
    return new ClusterError('plain-http', `the server answered without TLS (${code || message}): this port speaks plain HTTP, not HTTPS`, { request, cause: err });
  }
  if (/CERTIFICATE_REQUIRED|certificate required/i.test(code + ' ' + message)) {
    return new ClusterError('client-cert-required', `the API server demands a client certificate (${code || message})`, { request, cause: err });
  }
  if (/ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA|ALERT_CERTIFICATE_UNKNOWN|ALERT_CERTIFICATE_EXPIRED|ALERT_ACCESS_DENIED|alert bad certificate|alert unknown ca/i.test(code + ' ' + message)) {
    return new ClusterError('client-cert-rejected', `the API server refused the client certificate (${code || message})`, { request, cause: err });
  }
  if (TLS_CODES.test(code) || /certificate|self.signed|SSL|TLS/i.test(message)) {
    return new ClusterError('tls', `TLS error talking to the API server (${code || message}): the kubeconfig's certificate authority does not match the server`, { request, cause: err });
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || /socket hang up|other side closed|ECONNRESET/i.test(message)) {
    return new ClusterError('connection-reset', `${what}: the connection was reset or closed before a complete answer (${code || message})`, { request, cause: err });
  }
  if (NETWORK_CODES.has(code) || /ECONNREFUSED|ENOTFOUND|fetch failed/i.test(message)) {
    return new ClusterError('unreachable', `cannot reach the API server (${code || message})`, { request, cause: err });
  }
  return new ClusterError('http', `${what} failed: ${message}`, { request, cause: err });
}
