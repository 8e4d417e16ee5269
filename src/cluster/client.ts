/**
 * Kubernetes client setup: kubeconfig loading (with clear configuration errors),
 * typed API clients with a per-request timeout (AbortSignal middleware), retries
 * with backoff for transient errors, and raw HTTPS GETs (service proxy) with the
 * kubeconfig's own TLS settings and credentials.
 */
import { existsSync, readFileSync, accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { Agent, request as undiciRequest } from 'undici';
import pRetry, { AbortError } from 'p-retry';
import { ClusterError, toClusterError, fromHttpStatus, type RequestDescription } from './errors.js';

/** A configuration problem: exit code 2, one clear line. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

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
function readKubeConfigFile(file: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
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
export function loadKubeConfig(opts: { kubeconfig?: string; context?: string }): k8s.KubeConfig {
  let files: string[];
  if (opts.kubeconfig !== undefined) files = [opts.kubeconfig];
  else if (process.env.KUBECONFIG) files = process.env.KUBECONFIG.split(path.delimiter).filter((p) => p.length > 0);
  else files = [path.join(homedir(), '.kube', 'config')];
  const explicit = opts.kubeconfig !== undefined || !!process.env.KUBECONFIG;
  const existing = files.filter((f) => existsSync(f));
  let kc: k8s.KubeConfig;
  if (existing.length === 0) {
    if (!explicit && process.env.KUBERNETES_SERVICE_HOST) {
      kc = new k8s.KubeConfig();
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
  if (!kc.getCurrentCluster()) throw new ConfigError(`context "${ctx.name}" refers to cluster "${ctx.cluster}", which is not in ${where}`);
  return kc;
}

/** Middleware that aborts each request after `ms`. */
function timeoutMiddleware(ms: number): k8s.Middleware {
  return {
    pre: async (ctx) => {
      ctx.setSignal(AbortSignal.timeout(ms));
      return ctx;
    },
    post: async (ctx) => ctx,
  };
}

export interface RawResponse {
  status: number;
  contentType: string;
  body: string;
}

export class KubeClient {
  readonly kc: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly custom: k8s.CustomObjectsApi;
  readonly authz: k8s.AuthorizationV1Api;
  readonly apiext: k8s.ApiextensionsV1Api;
  readonly version: k8s.VersionApi;
  readonly requestTimeoutMs: number;
  private readonly retries: number;
  private readonly minBackoffMs: number;
  private agent?: Promise<Agent>;
  /** Number of HTTP requests started (attempts, including retries). */
  requestCount = 0;

  constructor(kc: k8s.KubeConfig, opts: ClientOptions = {}) {
    this.kc = kc;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.retries = opts.retries ?? 3;
    this.minBackoffMs = opts.minBackoffMs ?? 200;
    const counter: k8s.Middleware = {
      pre: async (ctx) => {
        this.requestCount++;
        return ctx;
      },
      post: async (ctx) => ctx,
    };
    const make = <T extends k8s.ApiType>(api: k8s.ApiConstructor<T>): T => {
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new ConfigError('no current cluster');
      const config = k8s.createConfiguration({
        baseServer: new k8s.ServerConfiguration<{}>(cluster.server, {}),
        authMethods: { default: kc },
        promiseMiddleware: [counter, timeoutMiddleware(this.requestTimeoutMs)],
      });
      return new api(config);
    };
    this.core = make(k8s.CoreV1Api);
    this.apps = make(k8s.AppsV1Api);
    this.custom = make(k8s.CustomObjectsApi);
    this.authz = make(k8s.AuthorizationV1Api);
    this.apiext = make(k8s.ApiextensionsV1Api);
    this.version = make(k8s.VersionApi);
  }

  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? '';
  }

  get contextName(): string {
    return this.kc.getCurrentContext();
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
      throw toClusterError(err, request);
    });
  }

  async transport(): Promise<{ agent: Agent; headers: Record<string, string> }> {
    const opts: import('node:https').RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((opts.headers ?? {}) as Record<string, unknown>)) if (typeof v === 'string') headers[k] = v;
    if (!this.agent) {
      this.agent = Promise.resolve(
        new Agent({
          connect: {
            ca: opts.ca as any,
            cert: opts.cert as any,
            key: opts.key as any,
            rejectUnauthorized: opts.rejectUnauthorized !== false,
            servername: (opts as any).servername,
          },
        }),
      );
    }
    return { agent: await this.agent, headers };
  }

  /**
   * GET a raw API path (already escaped as it must be sent: service proxy paths keep
   * their `/` and `?`). Non-2xx statuses are returned, not thrown, so callers can
   * read e.g. a 503 from the IP operator's barrier.
   */
  async rawGet(apiPath: string, request: RequestDescription, signal?: AbortSignal): Promise<RawResponse> {
    return this.call(
      request,
      async () => {
        this.requestCount++;
        const { agent, headers } = await this.transport();
        const url = this.server.replace(/\/+$/, '') + apiPath;
        const timeout = AbortSignal.timeout(this.requestTimeoutMs);
        const res = await undiciRequest(url, {
          method: 'GET',
          dispatcher: agent,
          headers: { ...headers, accept: '*/*' },
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        const body = await res.body.text();
        const contentType = String(res.headers['content-type'] ?? '');
        if (res.statusCode === 429 || res.statusCode === 401) {
          throw fromHttpStatus(res.statusCode, body, request, res.headers['retry-after'] as string | undefined);
        }
        if (res.statusCode === 403 && /"kind"\s*:\s*"Status"/.test(body)) {
          throw fromHttpStatus(403, body, request);
        }
        return { status: res.statusCode, contentType, body };
      },
      signal,
    );
  }

  async close(): Promise<void> {
    if (this.agent) await (await this.agent).close().catch(() => undefined);
  }
}
