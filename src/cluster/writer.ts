/**
 * The one write path of the tool. Every change `check --fix` makes goes through a Writer:
 * create, merge/strategic/JSON patch, replace with optimistic concurrency (a 409 re-reads
 * the object and applies the change again), delete with preconditions; each with an optional
 * server-side dry run (`dryRun=All`) and the field manager `akash-ip-doctor`. Reads here are
 * always fresh (never the run's memoised snapshot): a fix decides on what the server holds now.
 *
 * Checks never import this module.
 */
import type { KubeClient } from './client.js';
import { ClusterError, describeRequest, statusMessage, toClusterError, type RequestDescription } from './errors.js';

export const FIELD_MANAGER = 'akash-ip-doctor';

/** What the writer needs to know of a resource to build its path. */
export interface Kind {
  group: string;
  version: string;
  /** plural resource name, e.g. `services` */
  plural: string;
  kind: string;
  namespaced: boolean;
}

const k = (group: string, version: string, plural: string, kind: string, namespaced = true): Kind => ({ group, version, plural, kind, namespaced });

export const KINDS = {
  namespace: k('', 'v1', 'namespaces', 'Namespace', false),
  configMap: k('', 'v1', 'configmaps', 'ConfigMap'),
  service: k('', 'v1', 'services', 'Service'),
  pod: k('', 'v1', 'pods', 'Pod'),
  event: k('', 'v1', 'events', 'Event'),
  deployment: k('apps', 'v1', 'deployments', 'Deployment'),
  statefulSet: k('apps', 'v1', 'statefulsets', 'StatefulSet'),
  daemonSet: k('apps', 'v1', 'daemonsets', 'DaemonSet'),
  lease: k('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  ipAddressPool: k('metallb.io', 'v1beta1', 'ipaddresspools', 'IPAddressPool'),
  l2Advertisement: k('metallb.io', 'v1beta1', 'l2advertisements', 'L2Advertisement'),
  bgpAdvertisement: k('metallb.io', 'v1beta1', 'bgpadvertisements', 'BGPAdvertisement'),
} as const satisfies Record<string, Kind>;

export function apiVersionOf(kind: Kind): string {
  return kind.group ? `${kind.group}/${kind.version}` : kind.version;
}

/** `deployments.apps`, `services` */
export function resourceName(kind: Kind): string {
  return kind.group ? `${kind.plural}.${kind.group}` : kind.plural;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export type PatchType = 'merge' | 'strategic' | 'json';

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export type WriteFailure = 'forbidden' | 'denied' | 'conflict' | 'already-exists' | 'not-found' | 'invalid' | 'unsupported' | 'unauthorized' | 'throttled' | 'server' | 'unreachable' | 'timeout' | 'error';

/**
 * A write the API server refused (or that never reached it), with the API's own reason.
 * `denied`: an admission webhook refused it (controller-runtime webhooks such as MetalLB's answer
 * 403 too, but that is no missing permission).
 */
export class WriteError extends Error {
  readonly reason: WriteFailure;
  readonly status?: number;
  /** For `forbidden`: the permission that is missing, e.g. `patch deployments.apps in namespace akash-services`. */
  readonly missing?: string;

  constructor(reason: WriteFailure, message: string, opts: { status?: number; missing?: string } = {}) {
    super(message);
    this.name = 'WriteError';
    this.reason = reason;
    this.status = opts.status;
    this.missing = opts.missing;
  }
}

export interface WriteOptions {
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** The permission a request needs, in the words of `kubectl auth can-i`. */
export function permissionOf(request: RequestDescription): string {
  return `${request.verb} ${request.resource}${request.namespace ? ` in namespace ${request.namespace}` : ''}`;
}

function reasonOf(status: number, body: string): WriteFailure {
  let reason = '';
  try {
    reason = String(JSON.parse(body)?.reason ?? '');
  } catch {
    /* not a Status */
  }
  if (status === 403) return /admission webhook/i.test(body) ? 'denied' : 'forbidden';
  if (status === 401) return 'unauthorized';
  if (status === 404) return 'not-found';
  if (status === 409) return reason === 'AlreadyExists' ? 'already-exists' : 'conflict';
  if (status === 422 || status === 400) return 'invalid';
  if (status === 415) return 'unsupported';
  if (status === 429) return 'throttled';
  if (status >= 500) return 'server';
  return 'error';
}

function fromCluster(err: ClusterError): WriteError {
  const reason: WriteFailure = err.kind === 'timeout' ? 'timeout' : err.kind === 'unreachable' || err.kind === 'connection-reset' || err.kind === 'truncated' ? 'unreachable' : err.kind === 'unauthorized' ? 'unauthorized' : 'error';
  return new WriteError(reason, err.message, { status: err.status });
}

export class Writer {
  private readonly client: KubeClient;
  readonly fieldManager: string;

  constructor(client: KubeClient, opts: { fieldManager?: string } = {}) {
    this.client = client;
    this.fieldManager = opts.fieldManager ?? FIELD_MANAGER;
  }

  path(kind: Kind, namespace: string | undefined, name?: string): string {
    const base = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
    const ns = kind.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
    return `${base}${ns}/${kind.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
  }

  private request(verb: string, kind: Kind, namespace?: string, name?: string): RequestDescription {
    return { verb, resource: resourceName(kind), ...(kind.namespaced && namespace ? { namespace } : {}), ...(name ? { name } : {}) };
  }

  /**
   * One request; non-2xx answers throw a WriteError carrying the API's message. A 429 is
   * retried (honouring Retry-After, at most 3 attempts); nothing else is: a write that may
   * have been applied is never sent twice blindly.
   */
  private async send<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, request: RequestDescription, body?: unknown, contentType?: string, opts: WriteOptions = {}): Promise<{ status: number; obj: T }> {
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let text: string;
      let retryAfter: string | undefined;
      try {
        const res = await this.client.send(path, request, { method, body, contentType, signal: opts.signal });
        status = res.status;
        retryAfter = res.headers['retry-after'] as string | undefined;
        text = (await this.client.readBody(res, request)).toString('utf8');
      } catch (err) {
        throw fromCluster(toClusterError(err, request));
      }
      if (status === 429 && attempt < 3) {
        const secs = Number(retryAfter);
        await new Promise((r) => setTimeout(r, Math.min(Number.isFinite(secs) ? secs * 1000 : 1000, 10_000)));
        continue;
      }
      if (status < 200 || status >= 300) {
        const reason = reasonOf(status, text);
        const apiMessage = statusMessage(text) ?? `HTTP ${status}`;
        throw new WriteError(reason, `${describeRequest(request)}${opts.dryRun ? ' (dry run)' : ''}: ${apiMessage}`, {
          status,
          ...(reason === 'forbidden' ? { missing: permissionOf(request) } : {}),
        });
      }
      let obj: T;
      try {
        obj = (text ? JSON.parse(text) : {}) as T;
      } catch {
        obj = {} as T;
      }
      return { status, obj };
    }
  }

  private query(path: string, dryRun: boolean | undefined, extra: Record<string, string> = {}): string {
    const q = new URLSearchParams(extra);
    if (dryRun) q.set('dryRun', 'All');
    const s = q.toString();
    return s ? `${path}?${s}` : path;
  }

  /** GET the object as the server holds it now; null when it does not exist. */
  async get<T extends KubeObject = KubeObject>(kind: Kind, namespace: string | undefined, name: string, signal?: AbortSignal): Promise<T | null> {
    try {
      return (await this.send<T>('GET', this.path(kind, namespace, name), this.request('get', kind, namespace, name), undefined, undefined, { signal })).obj;
    } catch (err) {
      if (err instanceof WriteError && err.reason === 'not-found') return null;
      throw err;
    }
  }

  /** List (one page of up to 500) with a label selector. */
  async list<T extends KubeObject = KubeObject>(kind: Kind, namespace: string | undefined, labelSelector?: string, signal?: AbortSignal): Promise<T[]> {
    const q = new URLSearchParams({ limit: '500', ...(labelSelector ? { labelSelector } : {}) });
    const res = await this.send<{ items?: T[] }>('GET', `${this.path(kind, namespace)}?${q}`, this.request('list', kind, namespace), undefined, undefined, { signal });
    return res.obj.items ?? [];
  }

  async create<T extends KubeObject = KubeObject>(kind: Kind, obj: KubeObject, opts: WriteOptions = {}): Promise<T> {
    const ns = obj.metadata?.namespace;
    const body = { apiVersion: apiVersionOf(kind), kind: kind.kind, ...obj };
    const path = this.query(this.path(kind, ns), opts.dryRun, { fieldManager: this.fieldManager });
    return (await this.send<T>('POST', path, this.request('create', kind, ns, obj.metadata?.name), body, undefined, opts)).obj;
  }

  async patch<T extends KubeObject = KubeObject>(kind: Kind, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts: WriteOptions = {}): Promise<T> {
    const path = this.query(this.path(kind, namespace, name), opts.dryRun, { fieldManager: this.fieldManager });
    return (await this.send<T>('PATCH', path, this.request('patch', kind, namespace, name), patch, PATCH_CONTENT_TYPE[type], opts)).obj;
  }

  /** PUT the whole object; its metadata.resourceVersion makes it conditional (409 when stale). */
  async replace<T extends KubeObject = KubeObject>(kind: Kind, obj: KubeObject, opts: WriteOptions = {}): Promise<T> {
    const ns = obj.metadata?.namespace;
    const name = obj.metadata?.name ?? '';
    const path = this.query(this.path(kind, ns, name), opts.dryRun, { fieldManager: this.fieldManager });
    return (await this.send<T>('PUT', path, this.request('update', kind, ns, name), obj, undefined, opts)).obj;
  }

  /**
   * Read (or take `initial`), change, write back conditionally on its resourceVersion; on a 409 read again
   * and apply `change` to the fresh object (up to `attempts` times). `change` returns null
   * when the fresh object needs nothing (someone else did it): then nothing is written.
   */
  async update<T extends KubeObject = KubeObject>(kind: Kind, namespace: string | undefined, name: string, change: (fresh: T) => T | null, opts: WriteOptions & { attempts?: number; initial?: T } = {}): Promise<{ before: T; after: T } | null> {
    const attempts = opts.attempts ?? 3;
    for (let i = 1; ; i++) {
      // the first attempt is conditional on the version the plan was made from (`initial`), so a
      // change made since is never overwritten: it answers 409 and the change is made again on it
      const fresh = i === 1 && opts.initial ? structuredClone(opts.initial) : await this.get<T>(kind, namespace, name, opts.signal);
      if (!fresh) throw new WriteError('not-found', `${describeRequest(this.request('update', kind, namespace, name))}: it no longer exists`, { status: 404 });
      const next = change(structuredClone(fresh));
      if (!next) return null;
      next.metadata = { ...(next.metadata ?? {}), resourceVersion: fresh.metadata?.resourceVersion };
      try {
        const after = await this.replace<T>(kind, next, opts);
        return { before: fresh, after };
      } catch (err) {
        if (err instanceof WriteError && err.reason === 'conflict' && i < attempts) continue;
        throw err;
      }
    }
  }

  /** DELETE, optionally only if the object is still the one read (uid/resourceVersion preconditions). */
  async delete(kind: Kind, namespace: string | undefined, name: string, opts: WriteOptions & { preconditions?: { uid?: string; resourceVersion?: string }; propagationPolicy?: 'Foreground' | 'Background' } = {}): Promise<void> {
    const path = this.query(this.path(kind, namespace, name), opts.dryRun);
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.preconditions) body.preconditions = opts.preconditions;
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.dryRun) body.dryRun = ['All'];
    await this.send('DELETE', path, this.request('delete', kind, namespace, name), body, undefined, opts);
  }
}
