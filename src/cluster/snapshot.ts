/**
 * The per-run memoised snapshot of cluster reads. Within one run the same object
 * or list is fetched once, however many checks read it (concurrent readers share
 * the in-flight promise). Gets return `null` for 404; every other failure throws a
 * ClusterError, which the runner turns into an `error` finding naming the request.
 */
import type * as k8s from '@kubernetes/client-node';
import { Agent, request as undiciRequest } from 'undici';
import { shorten, type KubeClient, type RawResponse } from './client.js';
import { ClusterError, toClusterError, fromHttpStatus, type RequestDescription } from './errors.js';

/** A Kubernetes object as plain JSON (custom resources, anything untyped). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: any;
  status?: any;
  [k: string]: unknown;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface LogOptions {
  container?: string;
  sinceSeconds?: number;
  tailLines?: number;
  /** Read the previous (terminated) container's log, e.g. of a crash-looping pod. */
  previous?: boolean;
}

/** Scans a log line by line; `result()` is memoised for the run. */
export interface LineScanner<T> {
  line(text: string): void;
  result(): T;
}

export interface LogScan<T> {
  result: T;
  lines: number;
  bytes: number;
}

export interface HttpProbeResult {
  outcome: 'ok' | 'timeout' | 'refused' | 'dns' | 'tls' | 'network';
  status?: number;
  contentType?: string;
  body?: string;
  errorCode?: string;
  elapsedMs: number;
}

const PAGE = 500;

export class Snapshot {
  readonly client: KubeClient;
  private readonly memo = new Map<string, Promise<unknown>>();
  private insecureAgent?: Agent;
  /** Test hook: replaces DNS lookups of HTTP probes (never used by the CLI). */
  lookup?: (hostname: string, options: object, cb: (err: NodeJS.ErrnoException | null, address?: string, family?: number) => void) => void;

  constructor(client: KubeClient) {
    this.client = client;
  }

  /** Memoise `fn` under `key` for the lifetime of this snapshot. */
  once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      this.memo.set(key, p);
      // keep the rejection observed so an unread failure is no unhandled rejection
      p.catch(() => undefined);
    }
    return p;
  }

  /** GET one object as plain JSON (through the run's one client); 404 gives null. */
  private async getOrNull<T>(request: RequestDescription, apiPath: string): Promise<T | null> {
    const key = `get:${request.resource}:${request.namespace ?? ''}/${request.name ?? ''}`;
    return this.once(key, async () => {
      try {
        return await this.client.json<T>(apiPath, request);
      } catch (err) {
        const ce = toClusterError(err, request);
        if (ce.kind === 'notfound') return null;
        throw ce;
      }
    });
  }

  /** List every page (limit 500, `continue`) of a collection path as plain JSON. */
  private async listAll<T>(request: RequestDescription, opts: ListOptions, apiPath: string): Promise<T[]> {
    const key = `list:${request.resource}:${request.namespace ?? '*'}:${opts.labelSelector ?? ''}:${opts.fieldSelector ?? ''}`;
    return this.once(key, async () => {
      const out: T[] = [];
      let cont: string | undefined;
      do {
        const qs = new URLSearchParams();
        if (opts.labelSelector) qs.set('labelSelector', opts.labelSelector);
        if (opts.fieldSelector) qs.set('fieldSelector', opts.fieldSelector);
        qs.set('limit', String(PAGE));
        if (cont) qs.set('continue', cont);
        const res = await this.client.json<{ items?: T[]; metadata?: { continue?: string } }>(`${apiPath}?${qs}`, request);
        for (const item of res.items ?? []) out.push(item);
        cont = res.metadata?.continue || undefined;
      } while (cont);
      return out;
    });
  }

  // ---- discovery -------------------------------------------------------------

  /**
   * The API server's version, once it proved to be a Kubernetes API server:
   * GET /version must give JSON with a gitVersion and GET /api an APIVersions list
   * (both asked at once). Redirects are never followed. Anything else throws a
   * ClusterError of kind 'not-kubernetes' that says what the endpoint answered.
   */
  version(): Promise<k8s.VersionInfo> {
    return this.once('version', async () => {
      const versionReq: RequestDescription = { verb: 'get', resource: 'version' };
      const apiReq: RequestDescription = { verb: 'get', resource: 'api' };
      // both at once: one round trip; the /api answer never rejects (no unhandled rejection)
      const apiAnswer = this.client.rawGet('/api', apiReq, undefined, { serverErrors: true }).then(
        (r) => ({ ok: true as const, r }),
        (e: unknown) => ({ ok: false as const, e }),
      );
      let answer: RawResponse;
      try {
        answer = await this.client.rawGet('/version', versionReq, undefined, { serverErrors: true });
      } catch (err) {
        // a close during the handshake may hide a TLS alert (client certificate demanded or refused)
        if (err instanceof ClusterError && err.kind === 'connection-reset') throw await this.client.explainReset(err);
        throw err;
      }
      const info = this.versionFrom(answer);
      const api = await apiAnswer;
      if (!api.ok) {
        const e = toClusterError(api.e, apiReq);
        if (e.kind !== 'forbidden') throw e; // a 403 Status is the API server itself speaking
      } else this.checkApiVersions(api.r);
      return info;
    });
  }

  private notKubernetes(what: string, path: string, r: RawResponse): ClusterError {
    const answered: Record<string, unknown> = { path, httpStatus: r.status, contentType: shorten(r.contentType, 60) };
    if (r.location !== undefined) answered.location = safeLocation(r.location);
    else if (r.body) answered.body = shorten(r.body, 120);
    return new ClusterError('not-kubernetes', `this endpoint is not a Kubernetes API server: ${this.client.server} answered GET ${path} ${what}`, { status: r.status, request: { verb: 'get', resource: path.slice(1) }, details: { answered } });
  }

  private isStatus(body: string): boolean {
    try {
      const o = JSON.parse(body);
      return !!o && o.kind === 'Status' && typeof o.apiVersion === 'string';
    } catch {
      return false;
    }
  }

  private describeAnswer(r: RawResponse): string {
    if (r.status >= 300 && r.status < 400) return `with a redirect (HTTP ${r.status})${r.location !== undefined ? ` to ${safeLocation(r.location)}` : ''}`;
    const ct = r.contentType ? shorten(r.contentType.split(';')[0]!, 40) : 'no content type';
    const body = r.body.trim() ? `: "${shorten(r.body, 80)}"` : ' and an empty body';
    return `with HTTP ${r.status} (${ct})${body}`;
  }

  private versionFrom(r: RawResponse): k8s.VersionInfo {
    if (r.status < 200 || r.status >= 300) {
      if ((r.status < 300 || r.status >= 400) && this.isStatus(r.body)) throw fromHttpStatus(r.status, r.body, { verb: 'get', resource: 'version' });
      throw this.notKubernetes(this.describeAnswer(r), '/version', r);
    }
    let obj: any;
    try {
      obj = JSON.parse(r.body);
    } catch {
      throw this.notKubernetes(`${this.describeAnswer(r)}, not JSON`, '/version', r);
    }
    if (!obj || typeof obj !== 'object' || typeof obj.gitVersion !== 'string' || !/^v?\d+\.\d+/.test(obj.gitVersion)) {
      throw this.notKubernetes(`with JSON that has no Kubernetes gitVersion: "${shorten(r.body, 80)}"`, '/version', r);
    }
    return obj as k8s.VersionInfo;
  }

  private checkApiVersions(r: RawResponse): void {
    if (r.status >= 200 && r.status < 300) {
      try {
        const o = JSON.parse(r.body);
        if (o && o.kind === 'APIVersions' && Array.isArray(o.versions)) return;
      } catch {
        /* reported below */
      }
      throw this.notKubernetes(`without an APIVersions list ${this.describeAnswer(r)}`, '/api', r);
    }
    if (this.isStatus(r.body)) return; // e.g. 404/403 as a Kubernetes Status: the API server itself
    throw this.notKubernetes(this.describeAnswer(r), '/api', r);
  }

  // ---- core/v1 ---------------------------------------------------------------

  getNamespace(name: string): Promise<k8s.V1Namespace | null> {
    return this.getOrNull({ verb: 'get', resource: 'namespaces', name }, `/api/v1/namespaces/${enc(name)}`);
  }

  getConfigMap(namespace: string, name: string): Promise<k8s.V1ConfigMap | null> {
    return this.getOrNull({ verb: 'get', resource: 'configmaps', namespace, name }, `${core(namespace, 'configmaps')}/${enc(name)}`);
  }

  listConfigMaps(namespace: string, opts: ListOptions = {}): Promise<k8s.V1ConfigMap[]> {
    return this.listAll({ verb: 'list', resource: 'configmaps', namespace }, opts, core(namespace, 'configmaps'));
  }

  /** Secrets hold credentials: callers must never print their data. */
  getSecret(namespace: string, name: string): Promise<k8s.V1Secret | null> {
    return this.getOrNull({ verb: 'get', resource: 'secrets', namespace, name }, `${core(namespace, 'secrets')}/${enc(name)}`);
  }

  listSecrets(namespace: string, opts: ListOptions = {}): Promise<k8s.V1Secret[]> {
    return this.listAll({ verb: 'list', resource: 'secrets', namespace }, opts, core(namespace, 'secrets'));
  }

  getService(namespace: string, name: string): Promise<k8s.V1Service | null> {
    return this.getOrNull({ verb: 'get', resource: 'services', namespace, name }, `${core(namespace, 'services')}/${enc(name)}`);
  }

  listServices(namespace: string, opts: ListOptions = {}): Promise<k8s.V1Service[]> {
    return this.listAll({ verb: 'list', resource: 'services', namespace }, opts, core(namespace, 'services'));
  }

  /** Services in every namespace; always narrow with a selector. */
  listServicesAllNamespaces(opts: ListOptions): Promise<k8s.V1Service[]> {
    return this.listAll({ verb: 'list', resource: 'services' }, opts, '/api/v1/services');
  }

  /** Pods of one namespace, narrowed by a label selector (nothing lists all pods of the cluster). */
  listPods(namespace: string, opts: ListOptions): Promise<k8s.V1Pod[]> {
    return this.listAll({ verb: 'list', resource: 'pods', namespace }, opts, core(namespace, 'pods'));
  }

  listEvents(namespace: string, opts: ListOptions = {}): Promise<k8s.CoreV1Event[]> {
    return this.listAll({ verb: 'list', resource: 'events', namespace }, opts, core(namespace, 'events'));
  }

  listNodes(opts: ListOptions = {}): Promise<k8s.V1Node[]> {
    return this.listAll({ verb: 'list', resource: 'nodes' }, opts, '/api/v1/nodes');
  }

  // ---- apps/v1 ---------------------------------------------------------------

  getDeployment(namespace: string, name: string): Promise<k8s.V1Deployment | null> {
    return this.getOrNull({ verb: 'get', resource: 'deployments.apps', namespace, name }, `${apps(namespace, 'deployments')}/${enc(name)}`);
  }

  listDeployments(namespace: string, opts: ListOptions = {}): Promise<k8s.V1Deployment[]> {
    return this.listAll({ verb: 'list', resource: 'deployments.apps', namespace }, opts, apps(namespace, 'deployments'));
  }

  getStatefulSet(namespace: string, name: string): Promise<k8s.V1StatefulSet | null> {
    return this.getOrNull({ verb: 'get', resource: 'statefulsets.apps', namespace, name }, `${apps(namespace, 'statefulsets')}/${enc(name)}`);
  }

  getDaemonSet(namespace: string, name: string): Promise<k8s.V1DaemonSet | null> {
    return this.getOrNull({ verb: 'get', resource: 'daemonsets.apps', namespace, name }, `${apps(namespace, 'daemonsets')}/${enc(name)}`);
  }

  listDaemonSets(namespace: string, opts: ListOptions = {}): Promise<k8s.V1DaemonSet[]> {
    return this.listAll({ verb: 'list', resource: 'daemonsets.apps', namespace }, opts, apps(namespace, 'daemonsets'));
  }

  // ---- CRDs and custom resources --------------------------------------------

  getCRD(name: string): Promise<k8s.V1CustomResourceDefinition | null> {
    return this.getOrNull({ verb: 'get', resource: 'customresourcedefinitions.apiextensions.k8s.io', name }, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${enc(name)}`);
  }

  /**
   * Custom resources of one namespace (or cluster-wide when namespace is undefined).
   * A 404 (the CRD is not installed) gives `null`, not an empty list.
   */
  async listCustom(group: string, version: string, plural: string, namespace?: string, opts: ListOptions = {}): Promise<KubeObject[] | null> {
    const request: RequestDescription = { verb: 'list', resource: `${plural}.${group}`, namespace };
    const apiPath = `/apis/${enc(group)}/${enc(version)}${namespace ? `/namespaces/${enc(namespace)}` : ''}/${enc(plural)}`;
    try {
      return await this.listAll<KubeObject>(request, opts, apiPath);
    } catch (err) {
      if (err instanceof ClusterError && err.kind === 'notfound') return null;
      throw err;
    }
  }

  getCustom(group: string, version: string, plural: string, namespace: string, name: string): Promise<KubeObject | null> {
    return this.getOrNull({ verb: 'get', resource: `${plural}.${group}`, namespace, name }, `/apis/${enc(group)}/${enc(version)}/namespaces/${enc(namespace)}/${enc(plural)}/${enc(name)}`);
  }

  // ---- authorization ---------------------------------------------------------

  /** SelfSubjectAccessReview: may the current credentials do this? */
  canI(verb: string, resource: string, opts: { group?: string; namespace?: string; subresource?: string; name?: string } = {}): Promise<{ allowed: boolean; reason?: string }> {
    const key = `ssar:${verb}:${opts.group ?? ''}/${resource}/${opts.subresource ?? ''}:${opts.namespace ?? ''}:${opts.name ?? ''}`;
    return this.once(key, async () => {
      const resourceAttributes: Record<string, string> = { verb, resource, group: opts.group ?? '' };
      if (opts.namespace) resourceAttributes.namespace = opts.namespace;
      if (opts.subresource) resourceAttributes.subresource = opts.subresource;
      if (opts.name) resourceAttributes.name = opts.name;
      const res = await this.client.json<{ status?: { allowed?: boolean; reason?: string } }>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { verb: 'create', resource: 'selfsubjectaccessreviews.authorization.k8s.io' }, {
        method: 'POST',
        idempotent: true,
        body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } },
      });
      return { allowed: !!res.status?.allowed, reason: res.status?.reason };
    });
  }

  // ---- service proxy and logs ------------------------------------------------

  /**
   * GET through the API server's service proxy, exactly the path the IP operator
   * uses: /api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH. Built by hand:
   * client-node's proxy helper escapes `/` and `?`.
   */
  proxyGet(namespace: string, service: string, port: string, path: string): Promise<RawResponse> {
    const p = path.replace(/^\/+/, '');
    const apiPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}:${encodeURIComponent(port)}/proxy/${p}`;
    return this.once(`proxy:${apiPath}`, () => this.client.rawGet(apiPath, { verb: 'get', resource: 'services/proxy', namespace, name: `${service}:${port}` }));
  }

  /**
   * Stream a pod's log through `scanner` line by line (memory does not grow with
   * the log size). Memoised per pod, container, window and scanner key.
   */
  scanLog<T>(scannerKey: string, namespace: string, pod: string, opts: LogOptions, makeScanner: () => LineScanner<T>, signal?: AbortSignal): Promise<LogScan<T>> {
    const key = `log:${scannerKey}:${namespace}/${pod}:${opts.container ?? ''}:${opts.sinceSeconds ?? ''}:${opts.tailLines ?? ''}:${opts.previous ? 'previous' : ''}`;
    const request: RequestDescription = { verb: 'get', resource: 'pods/log', namespace, name: pod };
    const qs = new URLSearchParams();
    if (opts.container) qs.set('container', opts.container);
    if (opts.sinceSeconds) qs.set('sinceSeconds', String(Math.floor(opts.sinceSeconds)));
    if (opts.tailLines) qs.set('tailLines', String(opts.tailLines));
    if (opts.previous) qs.set('previous', 'true');
    const apiPath = `/api/v1/namespaces/${enc(namespace)}/pods/${enc(pod)}/log?${qs}`;
    return this.once(key, () =>
      this.client.call(
        request,
        async () => {
          // a retry starts a fresh scanner: lines of a cut-off attempt are not counted twice
          const scanner = makeScanner();
          const { lines, bytes } = await this.client.streamLines(apiPath, request, (line) => scanner.line(line), {
            signal,
            timeoutMs: Math.max(this.client.requestTimeoutMs, 30_000),
          });
          return { result: scanner.result(), lines, bytes };
        },
        signal,
      ),
    );
  }

  // ---- plain HTTPS probes (provider :8443) ----------------------------------

  /**
   * GET an HTTPS URL outside the cluster API. `insecure` accepts a self-signed
   * certificate (the provider's :8443 is self-signed by design; used for that probe only).
   * Never throws: the outcome says what happened.
   */
  httpProbe(url: string, opts: { timeoutMs: number; insecure: boolean; signal?: AbortSignal }): Promise<HttpProbeResult> {
    return this.once(`probe:${url}`, async () => {
      const started = Date.now();
      const agent = opts.insecure
        ? (this.insecureAgent ??= new Agent({ connect: { rejectUnauthorized: false, ...(this.lookup ? { lookup: this.lookup as any } : {}) } }))
        : new Agent({ connect: this.lookup ? { lookup: this.lookup as any } : {} });
      const timeout = AbortSignal.timeout(opts.timeoutMs);
      try {
        const res = await undiciRequest(url, {
          method: 'GET',
          dispatcher: agent,
          headers: { accept: 'application/json' },
          signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
          headersTimeout: opts.timeoutMs,
          bodyTimeout: opts.timeoutMs,
        });
        const body = await res.body.text();
        return { outcome: 'ok', status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body: body.slice(0, 65536), elapsedMs: Date.now() - started };
      } catch (err) {
        const ce = toClusterError(err);
        let code: string | undefined;
        let e: any = err;
        for (let i = 0; i < 5 && e && !code; i++, e = e.cause) if (typeof e.code === 'string') code = e.code;
        const outcome: HttpProbeResult['outcome'] =
          ce.kind === 'timeout' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
            ? 'timeout'
            : code === 'ECONNREFUSED'
              ? 'refused'
              : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
                ? 'dns'
                : ce.kind === 'tls' || ce.kind === 'plain-http' || ce.kind === 'client-cert-required' || ce.kind === 'client-cert-rejected'
                  ? 'tls'
                  : 'network';
        return { outcome, errorCode: code, elapsedMs: Date.now() - started };
      } finally {
        if (!opts.insecure) await agent.close().catch(() => undefined);
      }
    });
  }

  /** Drop what this snapshot opened itself (the provider probe's agent); the client stays open for other snapshots. */
  async release(): Promise<void> {
    await this.insecureAgent?.destroy().catch(() => undefined);
    this.insecureAgent = undefined;
  }

  async close(): Promise<void> {
    await this.release();
    await this.client.close();
  }
}

const enc = encodeURIComponent;

function core(namespace: string, plural: string): string {
  return `/api/v1/namespaces/${enc(namespace)}/${plural}`;
}

function apps(namespace: string, plural: string): string {
  return `/apis/apps/v1/namespaces/${enc(namespace)}/${plural}`;
}

/** A redirect target without credentials, query or fragment (SSO state tokens), sanitised and shortened. */
export function safeLocation(location: string): string {
  try {
    const u = new URL(location, 'http://relative.invalid');
    const text = u.origin === 'http://relative.invalid' ? u.pathname : `${u.protocol}//${u.host}${u.pathname}`;
    return shorten(text + (u.search ? '?…' : ''), 120);
  } catch {
    return shorten(location.split('?')[0]!, 120);
  }
}
