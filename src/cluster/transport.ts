/**
 * The one HTTP transport to the API server of a run. It applies the whole
 * kubeconfig entry as kubectl does and keeps one keep-alive connection pool
 * (undici Agent, HTTP/2 offered through ALPN) for every request: typed reads,
 * logs and service-proxy GETs alike.
 *
 * - TLS: certificate-authority(-data), client-certificate/-key(-data),
 *   tls-server-name (SNI and verification), insecure-skip-tls-verify.
 * - Credentials: token (and token-file, read by client-node at load), basic auth,
 *   exec plugins (run here: cached for the run, killed at the request timeout),
 *   auth-provider plugins (applied by client-node), impersonation.
 * - Proxies: the cluster's proxy-url (http, https, socks5), else HTTPS_PROXY /
 *   HTTP_PROXY with NO_PROXY, as Go's net/http (and so kubectl) reads them: loopback
 *   and localhost are never proxied through the environment. HTTP(S) proxies are
 *   used through CONNECT for every target.
 *
 * Local problems (an unreadable file, a bad PEM, a key that does not match its
 * certificate, `server:` that is not a URL, an unsupported proxy scheme, a failing,
 * missing, hanging or garbage-printing plugin) are ConfigErrors that name the
 * kubeconfig entry. They are all found before the first request: files, PEM and
 * proxy when the client is built, plugins by KubeClient.prepare(), which runDoctor
 * awaits before any check. What only the network can tell (plain HTTP on an
 * https:// port, a client certificate demanded or refused, a CA mismatch, a proxy
 * refusing) is a ClusterError that cluster.api reports.
 *
 * Not done: an HTTP(S) proxy is always used through CONNECT (also for http://
 * servers); an exec plugin's own child processes are not tracked (the plugin is
 * killed, not its process group); a rejected exec credential (401) is not
 * refreshed within the run.
 */
import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type * as k8s from '@kubernetes/client-node';
import { Client, Dispatcher, Pool, buildConnector } from 'undici';
import { sanitizeLine } from '../report/sanitize.js';

/** A configuration problem: exit code 2, one clear line. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A proxy could not be used (refused, unreachable, answered CONNECT with an error). */
export class ProxyError extends Error {
  readonly code?: string;
  constructor(message: string, code?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ProxyError';
    this.code = code;
  }
}

/** Shorten and sanitise text from outside (a plugin's stderr, a server's answer) to one line. */
export function shorten(text: string, max = 160): string {
  const line = sanitizeLine(text).replace(/\s+/g, ' ').trim();
  return line.length > max ? line.slice(0, max - 1) + '…' : line;
}

export interface TransportCounters {
  /** New connections opened to the API server (directly or through a proxy). */
  connections: number;
  /** TLS handshakes with the API server (one per new https connection). */
  tlsHandshakes: number;
}

export interface ProxyChoice {
  url: URL;
  /** Where it came from, for messages: the kubeconfig's proxy-url or an environment variable. */
  source: string;
}

/** Does NO_PROXY exempt host:port? Go's httpproxy rules: `*`, host, .domain, domain (and subdomains), IP, CIDR, optional :port. */
export function noProxyMatches(noProxy: string, hostname: string, port: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  for (const raw of noProxy.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    if (raw === '*') return true;
    let entry = raw;
    let entryPort = '';
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw);
    if (bracket) {
      entry = bracket[1]!;
      entryPort = bracket[2] ?? '';
    } else if (!net.isIPv6(raw) && !raw.includes('/')) {
      const m = /^(.*):(\d+)$/.exec(raw);
      if (m) {
        entry = m[1]!;
        entryPort = m[2]!;
      }
    }
    if (entryPort && entryPort !== port) continue;
    if (entry.includes('/')) {
      try {
        const [addr, bits] = entry.split('/');
        const list = new net.BlockList();
        list.addSubnet(addr!, Number(bits), net.isIPv6(addr!) ? 'ipv6' : 'ipv4');
        if (net.isIP(host) && list.check(host, net.isIPv6(host) ? 'ipv6' : 'ipv4')) return true;
      } catch {
        /* not a CIDR: ignore the entry, as Go does */
      }
      continue;
    }
    if (net.isIP(entry)) {
      if (entry === host) return true;
      continue;
    }
    const domain = entry.replace(/^\*?\./, '');
    if (host === domain || host.endsWith('.' + domain)) return true;
  }
  return false;
}

/** The proxy for `server`: the kubeconfig's proxy-url wins, else the environment (never for loopback). */
export function chooseProxy(server: URL, proxyUrl: string | undefined, clusterName: string, env: NodeJS.ProcessEnv = process.env): ProxyChoice | undefined {
  if (proxyUrl) {
    let url: URL;
    try {
      url = new URL(proxyUrl);
    } catch {
      throw new ConfigError(`cluster "${clusterName}": proxy-url "${shorten(proxyUrl, 80)}" is not a URL`);
    }
    if (!['http:', 'https:', 'socks5:', 'socks5h:'].includes(url.protocol)) {
      throw new ConfigError(`cluster "${clusterName}": proxy-url scheme "${url.protocol.replace(/:$/, '')}" is not supported (use http, https or socks5)`);
    }
    return { url, source: `proxy-url of cluster "${clusterName}"` };
  }
  const host = server.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || (net.isIP(host) && isLoopback(host))) return undefined;
  const names = server.protocol === 'https:' ? ['HTTPS_PROXY', 'https_proxy'] : ['HTTP_PROXY', 'http_proxy'];
  const name = names.find((n) => env[n]);
  if (!name) return undefined;
  const noProxy = env.NO_PROXY ?? env.no_proxy ?? '';
  const port = server.port || (server.protocol === 'https:' ? '443' : '80');
  if (noProxyMatches(noProxy, host, port)) return undefined;
  const value = env[name]!;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    throw new ConfigError(`${name}="${shorten(value, 80)}" is not a proxy URL`);
  }
  if (!['http:', 'https:', 'socks5:', 'socks5h:'].includes(url.protocol)) throw new ConfigError(`${name}: proxy scheme "${url.protocol.replace(/:$/, '')}" is not supported (use http, https or socks5)`);
  return { url, source: name };
}

function isLoopback(ip: string): boolean {
  return net.isIPv4(ip) ? ip.startsWith('127.') : ip === '::1' || ip === '0:0:0:0:0:0:0:1';
}

function proxyLabel(url: URL): string {
  return `${url.protocol}//${url.host}`; // never the user:password part
}

/** Open a tunnel to host:port through an HTTP(S) proxy with CONNECT. */
function connectTunnel(proxy: URL, host: string, port: number, timeoutMs: number, proxyCa: (string | Buffer)[] | undefined): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const target = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
    const headers: Record<string, string> = { host: target };
    if (proxy.username) headers['proxy-authorization'] = 'Basic ' + Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64');
    const lib = proxy.protocol === 'https:' ? https : http;
    const req = lib.request({
      host: proxy.hostname.replace(/^\[|\]$/g, ''),
      port: Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: target,
      headers,
      agent: false,
      ...(proxy.protocol === 'https:' && proxyCa ? { ca: proxyCa } : {}),
    });
    const timer = setTimeout(() => req.destroy(new ProxyError(`proxy ${proxyLabel(proxy)} did not answer CONNECT within ${timeoutMs} ms`, 'ETIMEDOUT')), timeoutMs);
    req.once('connect', (res, socket, head) => {
      clearTimeout(timer);
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new ProxyError(`proxy ${proxyLabel(proxy)} refused CONNECT to ${target} (HTTP ${res.statusCode} ${shorten(res.statusMessage ?? '', 60)})`, 'EPROXY'));
        return;
      }
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(err instanceof ProxyError ? err : new ProxyError(`cannot reach proxy ${proxyLabel(proxy)} (${err.code ?? err.message})`, err.code, err));
    });
    req.end();
  });
}

/** Open a tunnel through a SOCKS5 proxy (the `socks` package; the hostname is resolved by the proxy). */
async function socksTunnel(proxy: URL, host: string, port: number, timeoutMs: number): Promise<Duplex> {
  const { SocksClient } = await import('socks');
  try {
    const { socket } = await SocksClient.createConnection({
      proxy: {
        host: proxy.hostname.replace(/^\[|\]$/g, ''),
        port: Number(proxy.port) || 1080,
        type: 5,
        ...(proxy.username ? { userId: decodeURIComponent(proxy.username), password: decodeURIComponent(proxy.password) } : {}),
      },
      command: 'connect',
      destination: { host, port },
      timeout: timeoutMs,
    });
    return socket;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ProxyError(`SOCKS5 proxy ${proxyLabel(proxy)} could not connect to ${host}:${port} (${shorten(e.code ?? e.message, 80)})`, e.code ?? 'EPROXY', err);
  }
}

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer | string;
  key?: Buffer | string;
  servername?: string;
  rejectUnauthorized: boolean;
}

/**
 * The connection pool of a run to its one origin, the API server. The first
 * connection offers HTTP/2 through ALPN: when the server speaks it (real API
 * servers do), every request of the run is multiplexed on that one connection (one
 * TLS handshake); when it answers HTTP/1.1, later requests go to a keep-alive pool
 * of HTTP/1.1 connections (reused, TLS sessions resumed). Requests sent before the
 * first connection is up wait for it instead of each opening its own.
 */
export class ApiPool extends Dispatcher {
  private readonly first: Client;
  private pool?: Pool;
  private mode: 'unknown' | 'h1' | 'h2' = 'unknown';

  constructor(
    private readonly origin: string,
    private readonly connector: buildConnector.connector,
  ) {
    super();
    const firstConnect: buildConnector.connector = (opts, callback) =>
      this.connector(opts, ((err: Error | null, socket: any) => {
        if (!err && this.mode === 'unknown') this.mode = socket?.alpnProtocol === 'h2' ? 'h2' : 'h1';
        (callback as any)(err, socket);
      }) as buildConnector.Callback);
    this.first = new Client(origin, { connect: firstConnect, allowH2: true, keepAliveTimeout: 30_000 } as Client.Options);
    // undici sends one request at a time per client unless told: on HTTP/2, many streams
    this.first.on('connect', () => {
      if (this.mode === 'h2') this.first.pipelining = 100;
    });
  }

  /** The protocol the API server answered with ('unknown' before the first connection). */
  get protocol(): 'unknown' | 'h1' | 'h2' {
    return this.mode;
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.mode === 'h1') {
      this.pool ??= new Pool(this.origin, { connect: this.connector, connections: 10, keepAliveTimeout: 30_000 } as Pool.Options);
      return this.pool.dispatch(opts, handler);
    }
    return this.first.dispatch(opts, handler);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const p = Promise.all([this.first.close(), this.pool?.close()]).then(() => undefined);
    if (callback) void p.then(callback, callback);
    else return p;
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: unknown, b?: unknown): Promise<void> | void {
    const err = a instanceof Error ? a : null;
    const callback = typeof a === 'function' ? (a as () => void) : typeof b === 'function' ? (b as () => void) : undefined;
    const p = Promise.all([this.first.destroy(err), this.pool?.destroy(err)]).then(() => undefined);
    if (callback) void p.then(callback, callback);
    else return p;
  }
}

/**
 * Build the dispatcher of a run: one pool to the API server (see ApiPool), every
 * new connection counted, TLS applied from the kubeconfig, tunnels through the
 * proxy when there is one.
 */
export function createDispatcher(server: URL, material: () => TlsMaterial, proxy: ProxyChoice | undefined, counters: TransportCounters, connectTimeoutMs: number): ApiPool {
  let direct: ReturnType<typeof buildConnector> | undefined;
  const tlsConnector = () => {
    if (!direct) {
      const m = material();
      // one TLS context (CA, client certificate and key parsed once) for every connection of the run
      const secureContext = tls.createSecureContext({ ...(m.ca ? { ca: m.ca } : {}), ...(m.cert ? { cert: m.cert } : {}), ...(m.key ? { key: m.key } : {}) });
      direct = buildConnector({
        secureContext,
        ...(m.servername ? { servername: m.servername } : {}),
        rejectUnauthorized: m.rejectUnauthorized,
        timeout: connectTimeoutMs,
        allowH2: true,
      } as buildConnector.BuildOptions);
    }
    return direct;
  };
  const connect: buildConnector.connector = (opts, callback) => {
    counters.connections++;
    const https = opts.protocol === 'https:';
    const done = ((err: Error | null, socket: any) => {
      if (!err && https) counters.tlsHandshakes++;
      (callback as any)(err, socket);
    }) as buildConnector.Callback;
    if (!proxy) {
      tlsConnector()(opts, done);
      return;
    }
    const port = Number(opts.port) || (https ? 443 : 80);
    const host = opts.hostname.replace(/^\[|\]$/g, '');
    const tunnel = proxy.url.protocol.startsWith('socks')
      ? socksTunnel(proxy.url, host, port, connectTimeoutMs)
      : connectTunnel(proxy.url, host, port, connectTimeoutMs, proxyCa(material().ca));
    tunnel.then(
      (socket) => {
        if (https) tlsConnector()({ ...opts, httpSocket: socket as any }, done);
        else (done as any)(null, socket);
      },
      (err) => (done as any)(err, null),
    );
  };
  return new ApiPool(server.origin, connect);
}

/** An HTTPS proxy is verified against the system roots plus the cluster's CA. */
function proxyCa(clusterCa: Buffer | undefined): (string | Buffer)[] | undefined {
  return clusterCa ? [...tls.rootCertificates, clusterCa] : undefined;
}

// ---- exec credential plugins -------------------------------------------------

interface ExecConfig {
  command?: string;
  args?: string[];
  env?: { name: string; value: string }[] | null;
  apiVersion?: string;
  installHint?: string;
}

export interface ExecCredentialStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expirationTimestamp?: string;
}

/** The exec plugin of `user`, if any (users.user.exec, or an auth-provider's exec config). */
export function execConfigOf(user: k8s.User | null | undefined): ExecConfig | undefined {
  if (!user) return undefined;
  if (user.exec) return user.exec as ExecConfig;
  const ap = user.authProvider as { name?: string; config?: { exec?: ExecConfig } } | undefined;
  if (ap?.config?.exec) return ap.config.exec;
  return undefined;
}

/**
 * Runs a user's exec credential plugin as kubectl does and caches the credential
 * for the run (until its expirationTimestamp when it gives one). Concurrent callers
 * share one run of the plugin; a plugin that does not finish in `timeoutMs` is
 * killed; a running plugin is killed when the client closes.
 */
export class ExecCredentials {
  private cached?: { status: ExecCredentialStatus; expiresAt: number };
  private inflight?: Promise<ExecCredentialStatus>;
  private readonly children = new Set<ChildProcess>();
  /** How many times the plugin was started (tests, diagnostics). */
  runs = 0;

  constructor(
    private readonly userName: string,
    private readonly exec: ExecConfig,
    private readonly timeoutMs: number,
  ) {}

  async get(): Promise<ExecCredentialStatus> {
    if (this.cached && this.cached.expiresAt > Date.now()) return this.cached.status;
    this.inflight ??= this.run().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private where(): string {
    return `user "${this.userName}": exec plugin "${shorten(this.exec.command ?? '', 80)}"`;
  }

  private run(): Promise<ExecCredentialStatus> {
    const exec = this.exec;
    if (!exec.command) return Promise.reject(new ConfigError(`user "${this.userName}": exec plugin has no command`));
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const e of exec.env ?? []) if (e && typeof e.name === 'string') env[e.name] = String(e.value ?? '');
    env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } });
    this.runs++;
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(exec.command!, exec.args ?? [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        reject(new ConfigError(`${this.where()} cannot be started (${(err as NodeJS.ErrnoException).code ?? shorten(String(err), 80)})`));
        return;
      }
      this.children.add(child);
      let stdout = '';
      let stderr = '';
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.children.delete(child);
        fn();
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(() => reject(new ConfigError(`${this.where()} did not finish within ${Math.round(this.timeoutMs / 100) / 10}s and was stopped${stderr.trim() ? `: ${shorten(stderr)}` : ''}`)));
      }, this.timeoutMs);
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        if (stdout.length < 1 << 20) stdout += d;
      });
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        if (stderr.length < 1 << 16) stderr += d;
      });
      child.once('error', (err: NodeJS.ErrnoException) => {
        const hint = exec.installHint ? ` (${shorten(exec.installHint, 120)})` : '';
        finish(() => reject(new ConfigError(err.code === 'ENOENT' ? `${this.where()} not found${hint}` : `${this.where()} cannot be started (${err.code ?? shorten(err.message, 80)})`)));
      });
      child.once('close', (code, signal) => {
        finish(() => {
          if (code !== 0) {
            const why = stderr.trim() ? shorten(stderr) : 'no message on stderr';
            reject(new ConfigError(`${this.where()} failed (${signal ? `signal ${signal}` : `exit ${code}`}): ${why}`));
            return;
          }
          try {
            const status = parseExecCredential(stdout);
            const exp = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : NaN;
            this.cached = { status, expiresAt: Number.isFinite(exp) ? exp : Number.POSITIVE_INFINITY };
            resolve(status);
          } catch (err) {
            reject(new ConfigError(`${this.where()} printed no valid ExecCredential: ${(err as Error).message}`));
          }
        });
      });
    });
  }

  /** Stop any plugin still running (the doctor never leaves one behind). */
  close(): void {
    for (const c of this.children) c.kill('SIGKILL');
    this.children.clear();
  }
}

function parseExecCredential(stdout: string): ExecCredentialStatus {
  let obj: any;
  try {
    obj = JSON.parse(stdout);
  } catch {
    throw new Error(stdout.trim() ? `not JSON ("${shorten(stdout, 60)}")` : 'empty output');
  }
  if (!obj || typeof obj !== 'object' || obj.kind !== 'ExecCredential') throw new Error('the JSON is not kind ExecCredential');
  const s = obj.status;
  if (!s || typeof s !== 'object') throw new Error('it has no status');
  const status: ExecCredentialStatus = {};
  if (typeof s.token === 'string' && s.token) status.token = s.token;
  if (typeof s.clientCertificateData === 'string' && s.clientCertificateData) status.clientCertificateData = s.clientCertificateData;
  if (typeof s.clientKeyData === 'string' && s.clientKeyData) status.clientKeyData = s.clientKeyData;
  if (typeof s.expirationTimestamp === 'string') status.expirationTimestamp = s.expirationTimestamp;
  if (!status.token && !(status.clientCertificateData && status.clientKeyData)) throw new Error('its status has neither a token nor a client certificate and key');
  return status;
}

// ---- TLS material ------------------------------------------------------------

/** Read a kubeconfig file reference or inline base64 data; a missing file is a ConfigError naming the entry. */
export function fileOrData(entry: string, field: string, file: string | undefined, data: string | undefined): Buffer | undefined {
  if (file) {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(`${entry}: ${field} file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? shorten(String(err), 60)})`);
    }
  }
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}

/** Check the PEM material locally (a bad CA, a bad key, a key that does not match its certificate). */
export function validateTls(m: TlsMaterial, clusterEntry: string, userEntry: string): void {
  if (m.ca) {
    try {
      tls.createSecureContext({ ca: m.ca });
    } catch (err) {
      throw new ConfigError(`${clusterEntry}: certificate-authority is not a valid PEM certificate (${shorten((err as Error).message, 80)})`);
    }
    if (!/-----BEGIN CERTIFICATE-----/.test(m.ca.toString('latin1'))) throw new ConfigError(`${clusterEntry}: certificate-authority holds no PEM certificate`);
  }
  if (m.cert || m.key) {
    if (!m.cert || !m.key) throw new ConfigError(`${userEntry}: a client ${m.cert ? 'certificate' : 'key'} is given without its ${m.cert ? 'key' : 'certificate'}`);
    try {
      tls.createSecureContext({ cert: m.cert, key: m.key });
    } catch (err) {
      throw new ConfigError(`${userEntry}: client certificate and key cannot be used (${shorten((err as Error).message, 80)})`);
    }
  }
}
