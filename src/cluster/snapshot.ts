/**
 * The per-run memoised snapshot of cluster reads. Within one run the same object
 * or list is fetched once, however many checks read it (concurrent readers share
 * the in-flight promise). Gets return `null` for 404; every other failure throws a
 * ClusterError, which the runner turns into an `error` finding naming the request.
 */
import { createInterface } from 'node:readline';
import type * as k8s from '@kubernetes/client-node';
import { Agent, request as undiciRequest } from 'undici';
import type { KubeClient, RawResponse } from './client.js';
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

  private async getOrNull<T>(request: RequestDescription, fn: () => Promise<T>): Promise<T | null> {
    const key = `get:${request.resource}:${request.namespace ?? ''}/${request.name ?? ''}`;
    return this.once(key, async () => {
      try {
        return await this.client.call(request, fn);
      } catch (err) {
        const ce = toClusterError(err, request);
        if (ce.kind === 'notfound') return null;
        throw ce;
      }
    });
  }

  private async listAll<T>(request: RequestDescription, opts: ListOptions, page: (cont: string | undefined) => Promise<{ items: T[]; metadata?: { _continue?: string; continue?: string } }>): Promise<T[]> {
    const key = `list:${request.resource}:${request.namespace ?? '*'}:${opts.labelSelector ?? ''}:${opts.fieldSelector ?? ''}`;
    return this.once(key, async () => {
      const out: T[] = [];
      let cont: string | undefined;
      do {
        const res = await this.client.call(request, () => page(cont));
        out.push(...(res.items ?? []));
        const md = res.metadata as any;
        cont = md?._continue || md?.continue || undefined;
      } while (cont);
      return out;
    });
  }

  // ---- discovery -------------------------------------------------------------

  version(): Promise<k8s.VersionInfo> {
    return this.once('version', () => this.client.call({ verb: 'get', resource: 'version' }, () => this.client.version.getCode()));
  }

  // ---- core/v1 ---------------------------------------------------------------

  getNamespace(name: string): Promise<k8s.V1Namespace | null> {
    return this.getOrNull({ verb: 'get', resource: 'namespaces', name }, () => this.client.core.readNamespace({ name }));
  }

  getConfigMap(namespace: string, name: string): Promise<k8s.V1ConfigMap | null> {
    return this.getOrNull({ verb: 'get', resource: 'configmaps', namespace, name }, () => this.client.core.readNamespacedConfigMap({ namespace, name }));
  }

  listConfigMaps(namespace: string, opts: ListOptions = {}): Promise<k8s.V1ConfigMap[]> {
    return this.listAll({ verb: 'list', resource: 'configmaps', namespace }, opts, (cont) => this.client.core.listNamespacedConfigMap({ namespace, ...opts, limit: PAGE, _continue: cont }));
  }

  /** Secrets hold credentials: callers must never print their data. */
  getSecret(namespace: string, name: string): Promise<k8s.V1Secret | null> {
    return this.getOrNull({ verb: 'get', resource: 'secrets', namespace, name }, () => this.client.core.readNamespacedSecret({ namespace, name }));
  }

  listSecrets(namespace: string, opts: ListOptions = {}): Promise<k8s.V1Secret[]> {
    return this.listAll({ verb: 'list', resource: 'secrets', namespace }, opts, (cont) => this.client.core.listNamespacedSecret({ namespace, ...opts, limit: PAGE, _continue: cont }));
  }

  getService(namespace: string, name: string): Promise<k8s.V1Service | null> {
    return this.getOrNull({ verb: 'get', resource: 'services', namespace, name }, () => this.client.core.readNamespacedService({ namespace, name }));
  }

  listServices(namespace: string, opts: ListOptions = {}): Promise<k8s.V1Service[]> {
    return this.listAll({ verb: 'list', resource: 'services', namespace }, opts, (cont) => this.client.core.listNamespacedService({ namespace, ...opts, limit: PAGE, _continue: cont }));
  }

  /** Services in every namespace; always narrow with a selector. */
  listServicesAllNamespaces(opts: ListOptions): Promise<k8s.V1Service[]> {
    return this.listAll({ verb: 'list', resource: 'services' }, opts, (cont) => this.client.core.listServiceForAllNamespaces({ ...opts, limit: PAGE, _continue: cont }));
  }

  /** Pods of one namespace, narrowed by a label selector (nothing lists all pods of the cluster). */
  listPods(namespace: string, opts: ListOptions): Promise<k8s.V1Pod[]> {
    return this.listAll({ verb: 'list', resource: 'pods', namespace }, opts, (cont) => this.client.core.listNamespacedPod({ namespace, ...opts, limit: PAGE, _continue: cont }));
  }

  listEvents(namespace: string, opts: ListOptions = {}): Promise<k8s.CoreV1Event[]> {
    return this.listAll({ verb: 'list', resource: 'events', namespace }, opts, (cont) => this.client.core.listNamespacedEvent({ namespace, ...opts, limit: PAGE, _continue: cont }));
  }

  listNodes(opts: ListOptions = {}): Promise<k8s.V1Node[]> {
    return this.listAll({ verb: 'list', resource: 'nodes' }, opts, (cont) => this.client.core.listNode({ ...opts, limit: PAGE, _continue: cont }));
  }

  // ---- apps/v1 ---------------------------------------------------------------

  getDeployment(namespace: string, name: string): Promise<k8s.V1Deployment | null> {
    return this.getOrNull({ verb: 'get', resource: 'deployments.apps', namespace, name }, () => this.client.apps.readNamespacedDeployment({ namespace, name }));
  }

  listDeployments(namespace: string, opts: ListOptions = {}): Promise<k8s.V1Deployment[]> {
    return this.listAll({ verb: 'list', resource: 'deployments.apps', namespace }, opts, (cont) => this.client.apps.listNamespacedDeployment({ namespace, ...opts, limit: PAGE, _continue: cont }));
  }

  getStatefulSet(namespace: string, name: string): Promise<k8s.V1StatefulSet | null> {
    return this.getOrNull({ verb: 'get', resource: 'statefulsets.apps', namespace, name }, () => this.client.apps.readNamespacedStatefulSet({ namespace, name }));
  }

  getDaemonSet(namespace: string, name: string): Promise<k8s.V1DaemonSet | null> {
    return this.getOrNull({ verb: 'get', resource: 'daemonsets.apps', namespace, name }, () => this.client.apps.readNamespacedDaemonSet({ namespace, name }));
  }

  listDaemonSets(namespace: string, opts: ListOptions = {}): Promise<k8s.V1DaemonSet[]> {
    return this.listAll({ verb: 'list', resource: 'daemonsets.apps', namespace }, opts, (cont) => this.client.apps.listNamespacedDaemonSet({ namespace, ...opts, limit: PAGE, _continue: cont }));
  }

  // ---- CRDs and custom resources --------------------------------------------

  getCRD(name: string): Promise<k8s.V1CustomResourceDefinition | null> {
    return this.getOrNull({ verb: 'get', resource: 'customresourcedefinitions.apiextensions.k8s.io', name }, () => this.client.apiext.readCustomResourceDefinition({ name }));
  }

  /**
   * Custom resources of one namespace (or cluster-wide when namespace is undefined).
   * A 404 (the CRD is not installed) gives `null`, not an empty list.
   */
  async listCustom(group: string, version: string, plural: string, namespace?: string, opts: ListOptions = {}): Promise<KubeObject[] | null> {
    const request: RequestDescription = { verb: 'list', resource: `${plural}.${group}`, namespace };
    try {
      return await this.listAll<KubeObject>(request, opts, (cont) =>
        (namespace
          ? this.client.custom.listNamespacedCustomObject({ group, version, plural, namespace, ...opts, limit: PAGE, _continue: cont })
          : this.client.custom.listClusterCustomObject({ group, version, plural, ...opts, limit: PAGE, _continue: cont })) as Promise<any>,
      );
    } catch (err) {
      if (err instanceof ClusterError && err.kind === 'notfound') return null;
      throw err;
    }
  }

  getCustom(group: string, version: string, plural: string, namespace: string, name: string): Promise<KubeObject | null> {
    return this.getOrNull({ verb: 'get', resource: `${plural}.${group}`, namespace, name }, () =>
      this.client.custom.getNamespacedCustomObject({ group, version, plural, namespace, name }) as Promise<KubeObject>,
    );
  }

  // ---- authorization ---------------------------------------------------------

  /** SelfSubjectAccessReview: may the current credentials do this? */
  canI(verb: string, resource: string, opts: { group?: string; namespace?: string; subresource?: string; name?: string } = {}): Promise<{ allowed: boolean; reason?: string }> {
    const key = `ssar:${verb}:${opts.group ?? ''}/${resource}/${opts.subresource ?? ''}:${opts.namespace ?? ''}:${opts.name ?? ''}`;
    return this.once(key, async () => {
      const res = await this.client.call({ verb: 'create', resource: 'selfsubjectaccessreviews.authorization.k8s.io' }, () =>
        this.client.authz.createSelfSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes: { verb, resource, group: opts.group ?? '', namespace: opts.namespace, subresource: opts.subresource, name: opts.name } },
          },
        }),
      );
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
    return this.once(key, () =>
      this.client.call(
        request,
        async () => {
          this.client.requestCount++;
          const qs = new URLSearchParams();
          if (opts.container) qs.set('container', opts.container);
          if (opts.sinceSeconds) qs.set('sinceSeconds', String(Math.floor(opts.sinceSeconds)));
          if (opts.tailLines) qs.set('tailLines', String(opts.tailLines));
          if (opts.previous) qs.set('previous', 'true');
          const apiPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log?${qs}`;
          const { agent, headers } = await this.client.transport();
          const timeout = AbortSignal.timeout(Math.max(this.client.requestTimeoutMs, 30_000));
          const res = await undiciRequest(this.client.server.replace(/\/+$/, '') + apiPath, {
            method: 'GET',
            dispatcher: agent,
            headers: { ...headers, accept: 'text/plain, */*' },
            signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          });
          if (res.statusCode >= 300) {
            const body = await res.body.text();
            throw fromHttpStatus(res.statusCode, body, request, res.headers['retry-after'] as string | undefined);
          }
          const scanner = makeScanner();
          let lines = 0;
          let bytes = 0;
          const rl = createInterface({ input: res.body, crlfDelay: Infinity });
          for await (const line of rl) {
            lines++;
            bytes += line.length + 1;
            scanner.line(line);
          }
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
                : ce.kind === 'tls'
                  ? 'tls'
                  : 'network';
        return { outcome, errorCode: code, elapsedMs: Date.now() - started };
      } finally {
        if (!opts.insecure) await agent.close().catch(() => undefined);
      }
    });
  }

  async close(): Promise<void> {
    await this.insecureAgent?.destroy().catch(() => undefined);
    await this.client.close();
  }
}
