/**
 * The object store: objects indexed by resource and namespace, a global resourceVersion,
 * a bounded event history and live watchers. Stored objects are never mutated in place:
 * every write stores a new object, so readers may serialise stored objects directly.
 */
import { randomUUID } from 'node:crypto';
import { applyWorkloadDefaults } from './defaults.js';
import { defFromCrd, defKey, DEFAULT_CUSTOM, crdFromDef, Registry, type ResourceDef } from './registry.js';
import type { KubeObject } from './types.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  rv: number;
  type: EventType;
  key: string; // defKey
  obj: KubeObject;
  old?: KubeObject;
}

export interface Watcher {
  key: string;
  ns?: string;
  match(o: KubeObject): boolean;
  send(type: EventType, o: KubeObject): void;
}

export class GoneError extends Error {}

const HISTORY = 20000;
const WORKLOADS = new Set(['deployments', 'statefulsets', 'daemonsets', 'replicasets']);

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class Store {
  readonly registry = new Registry();
  rv = 1000;
  private data = new Map<string, Map<string, Map<string, KubeObject>>>();
  private sortedCache = new Map<string, KubeObject[]>();
  private history: StoreEvent[] = [];
  private watchers = new Set<Watcher>();
  /** listeners for controllers */
  private listeners: ((e: StoreEvent) => void)[] = [];

  /** Load objects (stamping uid/resourceVersion/creationTimestamp when missing). */
  load(objects: KubeObject[], opts: { defaultCrds: boolean }): void {
    // CRDs first, so custom kinds resolve
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition' && o.apiVersion.startsWith('apiextensions.k8s.io/'));
    const all = [...objects];
    if (crds.length === 0 && opts.defaultCrds) {
      for (const d of DEFAULT_CUSTOM) all.unshift(crdFromDef(d));
    }
    for (const c of all) {
      if (c.kind === 'CustomResourceDefinition') {
        const d = defFromCrd(c);
        if (d) this.registry.add(d);
      }
    }
    let maxRv = this.rv;
    for (const o of objects) {
      const v = Number(o.metadata.resourceVersion);
      if (Number.isFinite(v) && v > maxRv) maxRv = v;
    }
    this.rv = maxRv;
    const ts = nowIso();
    const namespaces = new Set<string>(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
    for (const o of all) {
      const d = this.registry.ensureForObject(o);
      const md = o.metadata;
      if (d.namespaced) {
        if (!md.namespace) md.namespace = 'default';
        namespaces.add(md.namespace);
      } else if (md.namespace !== undefined) {
        delete md.namespace;
      }
      if (md.uid === undefined) md.uid = randomUUID();
      if (md.resourceVersion === undefined) md.resourceVersion = String(++this.rv);
      if (md.creationTimestamp === undefined || md.creationTimestamp === null) md.creationTimestamp = ts;
      if (WORKLOADS.has(d.plural) && d.group === 'apps') {
        // a workload's controller has observed its spec (rollout status relies on it)
        if (md.generation === undefined) md.generation = 1;
        applyWorkloadDefaults(d.plural, o);
        const st = o.status as Record<string, unknown> | undefined;
        if (st && typeof st === 'object' && st.observedGeneration === undefined) st.observedGeneration = md.generation;
      }
      if (d.plural === 'events' && d.group === '' && !o.lastTimestamp && !o.eventTime) {
        o.firstTimestamp ??= md.creationTimestamp;
        o.lastTimestamp = md.creationTimestamp;
        o.count ??= 1;
      }
      this.bucket(defKey(d.group, d.plural), d.namespaced ? md.namespace! : '').set(md.name, o);
    }
    const nsDef = this.registry.get('', 'namespaces')!;
    for (const ns of namespaces) {
      if (!this.get(nsDef, '', ns)) {
        const o: KubeObject = {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: ns, uid: randomUUID(), resourceVersion: String(++this.rv), creationTimestamp: ts, labels: { 'kubernetes.io/metadata.name': ns } },
          spec: { finalizers: ['kubernetes'] },
          status: { phase: 'Active' },
        };
        this.bucket(defKey('', 'namespaces'), '').set(ns, o);
      }
    }
    this.sortedCache.clear();
  }

  private bucket(key: string, ns: string): Map<string, KubeObject> {
    let byNs = this.data.get(key);
    if (!byNs) this.data.set(key, (byNs = new Map()));
    let b = byNs.get(ns);
    if (!b) byNs.set(ns, (b = new Map()));
    return b;
  }

  get(d: ResourceDef, ns: string, name: string): KubeObject | undefined {
    return this.data.get(defKey(d.group, d.plural))?.get(d.namespaced ? ns : '')?.get(name);
  }

  /** Objects of a resource, sorted by namespace then name; ns undefined = all namespaces. */
  list(d: ResourceDef, ns?: string): KubeObject[] {
    const key = defKey(d.group, d.plural);
    const cacheKey = `${key}|${d.namespaced && ns !== undefined ? ns : '*'}`;
    const cached = this.sortedCache.get(cacheKey);
    if (cached) return cached;
    const byNs = this.data.get(key);
    let out: KubeObject[] = [];
    if (byNs) {
      if (d.namespaced && ns !== undefined) {
        const b = byNs.get(ns);
        if (b) out = [...b.values()].sort(byName);
      } else {
        const names = [...byNs.keys()].sort();
        for (const n of names) out.push(...[...byNs.get(n)!.values()].sort(byName));
      }
    }
    this.sortedCache.set(cacheKey, out);
    return out;
  }

  all(): KubeObject[] {
    const out: KubeObject[] = [];
    for (const byNs of this.data.values()) for (const b of byNs.values()) out.push(...b.values());
    return out;
  }

  nextRv(): string {
    return String(++this.rv);
  }

  onEvent(fn: (e: StoreEvent) => void): void {
    this.listeners.push(fn);
  }

  private invalidate(key: string, ns: string): void {
    this.sortedCache.delete(`${key}|${ns || '*'}`);
    this.sortedCache.delete(`${key}|*`);
  }

  /** Store a (new) object; stamps a fresh resourceVersion. */
  put(d: ResourceDef, o: KubeObject): KubeObject {
    const key = defKey(d.group, d.plural);
    const ns = d.namespaced ? (o.metadata.namespace ?? 'default') : '';
    const b = this.bucket(key, ns);
    const old = b.get(o.metadata.name);
    const rv = ++this.rv;
    o.metadata.resourceVersion = String(rv);
    b.set(o.metadata.name, o);
    this.invalidate(key, ns);
    if (d.group === 'apiextensions.k8s.io' && d.plural === 'customresourcedefinitions') {
      const cd = defFromCrd(o);
      if (cd) this.registry.add(cd);
    }
    this.emit({ rv, type: old ? 'MODIFIED' : 'ADDED', key, obj: o, old });
    return o;
  }

  remove(d: ResourceDef, ns: string, name: string): KubeObject | undefined {
    const key = defKey(d.group, d.plural);
    const nsKey = d.namespaced ? ns : '';
    const b = this.data.get(key)?.get(nsKey);
    const old = b?.get(name);
    if (!b || !old) return undefined;
    b.delete(name);
    this.invalidate(key, nsKey);
    const rv = ++this.rv;
    const gone: KubeObject = { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } };
    if (d.group === 'apiextensions.k8s.io' && d.plural === 'customresourcedefinitions') {
      const spec = old.spec as { group?: string; names?: { plural?: string } } | undefined;
      if (spec?.group && spec.names?.plural) {
        this.registry.remove(spec.group, spec.names.plural);
        this.data.delete(defKey(spec.group, spec.names.plural));
        this.sortedCache.clear();
      }
    }
    this.emit({ rv, type: 'DELETED', key, obj: gone, old });
    return gone;
  }

  /** Delete every namespaced object in a namespace (namespace deletion). */
  removeNamespaceContents(ns: string): void {
    for (const d of this.registry.all()) {
      if (!d.namespaced) continue;
      for (const o of [...this.list(d, ns)]) this.remove(d, ns, o.metadata.name);
    }
  }

  private emit(e: StoreEvent): void {
    this.history.push(e);
    if (this.history.length > HISTORY * 1.5) this.history.splice(0, this.history.length - HISTORY);
    for (const w of this.watchers) {
      if (w.key !== e.key) continue;
      if (w.ns !== undefined && w.ns !== (e.obj.metadata.namespace ?? '')) continue;
      deliver(w, e);
    }
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* controllers must not break writes */
      }
    }
  }

  /**
   * Start a watch. fromRv undefined/0: synthetic ADDED for current matches, then live.
   * fromRv N: replay history after N, then live. Throws GoneError if N is too old.
   */
  watch(d: ResourceDef, ns: string | undefined, w: Omit<Watcher, 'key' | 'ns'>, fromRv: number | undefined): () => void {
    const key = defKey(d.group, d.plural);
    const watcher: Watcher = { ...w, key, ns: d.namespaced ? ns : undefined };
    if (fromRv === undefined || fromRv === 0) {
      for (const o of this.list(d, d.namespaced ? ns : undefined)) if (w.match(o)) w.send('ADDED', o);
    } else {
      const oldest = this.history.length ? this.history[0]!.rv : this.rv + 1;
      if (fromRv < oldest - 1 && this.history.length >= HISTORY) throw new GoneError(`too old resource version: ${fromRv} (${oldest - 1})`);
      for (const e of this.history) {
        if (e.rv <= fromRv || e.key !== key) continue;
        if (watcher.ns !== undefined && watcher.ns !== (e.obj.metadata.namespace ?? '')) continue;
        deliver(watcher, e);
      }
    }
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }
}

function deliver(w: Watcher, e: StoreEvent): void {
  if (e.type === 'MODIFIED') {
    const now = w.match(e.obj);
    const before = e.old ? w.match(e.old) : false;
    if (now && before) w.send('MODIFIED', e.obj);
    else if (now) w.send('ADDED', e.obj);
    else if (before) w.send('DELETED', e.obj);
  } else if (w.match(e.obj)) {
    w.send(e.type, e.obj);
  }
}

function byName(a: KubeObject, b: KubeObject): number {
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

