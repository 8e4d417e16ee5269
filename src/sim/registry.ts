/**
 * The resource registry: which kinds the sim serves, under which group/version/plural,
 * namespaced or not. Built-in kinds are fixed; custom kinds come from CRD objects (or, when
 * the state has none, from the default metallb.io / akash.network definitions).
 */
import type { KubeObject } from './types.js';

export interface ResourceDef {
  group: string; // '' for core
  versions: string[]; // served, preferred first
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
  /** e.g. ['log', 'status'] */
  subresources: string[];
  categories?: string[];
  custom: boolean;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function defKey(group: string, plural: string): string {
  return `${group}/${plural}`;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

function def(
  group: string,
  versions: string[],
  plural: string,
  kind: string,
  namespaced: boolean,
  shortNames: string[] = [],
  subresources: string[] = [],
  verbs: string[] = ALL_VERBS,
  custom = false,
): ResourceDef {
  return {
    group,
    versions,
    plural,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced,
    shortNames,
    verbs,
    subresources,
    custom,
    categories: ['pods', 'services', 'deployments', 'statefulsets', 'daemonsets', 'replicasets'].includes(plural) ? ['all'] : undefined,
  };
}

const BUILTIN: ResourceDef[] = [
  def('', ['v1'], 'namespaces', 'Namespace', false, ['ns'], ['status', 'finalize'], ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']),
  def('', ['v1'], 'configmaps', 'ConfigMap', true, ['cm']),
  def('', ['v1'], 'secrets', 'Secret', true),
  def('', ['v1'], 'services', 'Service', true, ['svc'], ['proxy', 'status'], ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']),
  def('', ['v1'], 'pods', 'Pod', true, ['po'], ['log', 'status', 'exec', 'eviction', 'proxy']),
  def('', ['v1'], 'events', 'Event', true, ['ev']),
  def('', ['v1'], 'nodes', 'Node', false, ['no'], ['status', 'proxy']),
  def('', ['v1'], 'serviceaccounts', 'ServiceAccount', true, ['sa']),
  def('', ['v1'], 'endpoints', 'Endpoints', true, ['ep']),
  def('', ['v1'], 'persistentvolumeclaims', 'PersistentVolumeClaim', true, ['pvc'], ['status']),
  def('apps', ['v1'], 'deployments', 'Deployment', true, ['deploy'], ['status', 'scale']),
  def('apps', ['v1'], 'statefulsets', 'StatefulSet', true, ['sts'], ['status', 'scale']),
  def('apps', ['v1'], 'daemonsets', 'DaemonSet', true, ['ds'], ['status']),
  def('apps', ['v1'], 'replicasets', 'ReplicaSet', true, ['rs'], ['status', 'scale']),
  def('apps', ['v1'], 'controllerrevisions', 'ControllerRevision', true),
  def('apiextensions.k8s.io', ['v1'], 'customresourcedefinitions', 'CustomResourceDefinition', false, ['crd', 'crds'], ['status']),
  def('authorization.k8s.io', ['v1'], 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, [], [], ['create']),
  def('coordination.k8s.io', ['v1'], 'leases', 'Lease', true),
  // the newer Events API (stored apart from core/v1 events in the sim; the real server shares them)
  def('events.k8s.io', ['v1'], 'events', 'Event', true, ['ev']),
];
// the kinds of subresources (for discovery)
const SUB_KIND: Record<string, string> = { log: 'Pod', exec: 'PodExecOptions', eviction: 'Eviction', proxy: 'ServiceProxyOptions', scale: 'Scale' };
const SUB_VERBS: Record<string, string[]> = {
  log: ['get'],
  status: ['get', 'patch', 'update'],
  exec: ['create', 'get'],
  eviction: ['create'],
  proxy: ['create', 'delete', 'get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  finalize: ['update'],
};

/** Default custom resources, as the MetalLB 0.14 and Akash provider CRDs define them. */
export const DEFAULT_CUSTOM: ResourceDef[] = [
  def('metallb.io', ['v1beta1'], 'ipaddresspools', 'IPAddressPool', true, [], ['status'], ALL_VERBS, true),
  def('metallb.io', ['v1beta1'], 'l2advertisements', 'L2Advertisement', true, [], ['status'], ALL_VERBS, true),
  def('metallb.io', ['v1beta1'], 'bgpadvertisements', 'BGPAdvertisement', true, [], ['status'], ALL_VERBS, true),
  def('metallb.io', ['v1beta1'], 'communities', 'Community', true, [], ['status'], ALL_VERBS, true),
  def('metallb.io', ['v1beta2', 'v1beta1'], 'bgppeers', 'BGPPeer', true, [], ['status'], ALL_VERBS, true),
  def('metallb.io', ['v1beta1'], 'bfdprofiles', 'BFDProfile', true, [], ['status'], ALL_VERBS, true),
  def('akash.network', ['v2beta2'], 'providerleasedips', 'ProviderLeasedIP', true, [], [], ALL_VERBS, true),
  def('akash.network', ['v2beta2'], 'manifests', 'Manifest', true, [], [], ALL_VERBS, true),
  def('akash.network', ['v2beta2'], 'providerhosts', 'ProviderHost', true, [], [], ALL_VERBS, true),
];

export function crdFromDef(d: ResourceDef): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${d.plural}.${d.group}` },
    spec: {
      group: d.group,
      names: { plural: d.plural, singular: d.singular, kind: d.kind, listKind: d.listKind, ...(d.shortNames.length ? { shortNames: d.shortNames } : {}) },
      scope: d.namespaced ? 'Namespaced' : 'Cluster',
      versions: d.versions.map((v, i) => ({
        name: v,
        served: true,
        storage: i === 0,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        ...(d.subresources.includes('status') ? { subresources: { status: {} } } : {}),
      })),
    },
    status: {
      acceptedNames: { plural: d.plural, singular: d.singular, kind: d.kind, listKind: d.listKind },
      conditions: [{ type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }],
      storedVersions: [d.versions[0]],
    },
  };
}

function versionPriority(v: string): number[] {
  // kube-aware ordering: GA > beta > alpha, higher numbers first
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return [0, 0, 0];
  const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
  return [stage, Number(m[1]), Number(m[3] ?? 0)];
}

function compareVersions(a: string, b: string): number {
  const pa = versionPriority(a);
  const pb = versionPriority(b);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pb[i]! - pa[i]!;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function defFromCrd(crd: KubeObject): ResourceDef | undefined {
  const spec = crd.spec as Record<string, any> | undefined;
  if (!spec || typeof spec.group !== 'string' || !spec.names?.plural || !spec.names?.kind) return undefined;
  const versions: string[] = Array.isArray(spec.versions)
    ? spec.versions.filter((v: any) => v && v.served !== false && typeof v.name === 'string').map((v: any) => v.name as string)
    : typeof spec.version === 'string'
      ? [spec.version]
      : [];
  if (versions.length === 0) return undefined;
  versions.sort(compareVersions);
  const hasStatus = Array.isArray(spec.versions) && spec.versions.some((v: any) => v?.subresources?.status !== undefined);
  const d = def(
    spec.group,
    versions,
    String(spec.names.plural),
    String(spec.names.kind),
    spec.scope !== 'Cluster',
    Array.isArray(spec.names.shortNames) ? spec.names.shortNames.map(String) : [],
    hasStatus ? ['status'] : [],
    ALL_VERBS,
    true,
  );
  if (spec.names.singular) d.singular = String(spec.names.singular);
  if (spec.names.listKind) d.listKind = String(spec.names.listKind);
  if (Array.isArray(spec.names.categories)) d.categories = spec.names.categories.map(String);
  return d;
}

function guessPlural(kind: string): string {
  const k = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

export class Registry {
  private byPlural = new Map<string, ResourceDef>();
  private byKind = new Map<string, ResourceDef>();
  /** bumps whenever the set of resources changes (discovery/openapi caches) */
  generation = 0;

  constructor() {
    for (const d of BUILTIN) this.add(d);
  }

  add(d: ResourceDef): void {
    const existing = this.byPlural.get(defKey(d.group, d.plural));
    if (existing && !existing.custom) return; // never shadow a built-in
    this.byPlural.set(defKey(d.group, d.plural), d);
    this.byKind.set(`${d.group}/${d.kind}`, d);
    this.generation++;
  }

  remove(group: string, plural: string): ResourceDef | undefined {
    const d = this.byPlural.get(defKey(group, plural));
    if (!d || !d.custom) return undefined;
    this.byPlural.delete(defKey(group, plural));
    this.byKind.delete(`${d.group}/${d.kind}`);
    this.generation++;
    return d;
  }

  get(group: string, plural: string): ResourceDef | undefined {
    return this.byPlural.get(defKey(group, plural));
  }

  /** The resource served at group/version/plural, if that version is served. */
  lookup(group: string, version: string, plural: string): ResourceDef | undefined {
    const d = this.byPlural.get(defKey(group, plural));
    return d && d.versions.includes(version) ? d : undefined;
  }

  forObject(o: { apiVersion: string; kind: string }): ResourceDef | undefined {
    const { group } = splitApiVersion(o.apiVersion);
    return this.byKind.get(`${group}/${o.kind}`);
  }

  /** Register a kind seen in the state that nothing defines (keeps unknown objects servable). */
  ensureForObject(o: KubeObject): ResourceDef {
    const found = this.forObject(o);
    if (found) return found;
    const { group, version } = splitApiVersion(o.apiVersion);
    const d = def(group, [version], guessPlural(o.kind), o.kind, o.metadata.namespace !== undefined, [], [], ALL_VERBS, true);
    this.add(d);
    return d;
  }

  all(): ResourceDef[] {
    return [...this.byPlural.values()];
  }

  /** group -> versions (preferred first), in a stable order: built-in groups first. */
  groups(): { name: string; versions: string[] }[] {
    const order: string[] = [];
    const versions = new Map<string, Set<string>>();
    for (const d of this.byPlural.values()) {
      if (!versions.has(d.group)) {
        versions.set(d.group, new Set());
        order.push(d.group);
      }
      for (const v of d.versions) versions.get(d.group)!.add(v);
    }
    return order.map((name) => ({ name, versions: [...versions.get(name)!].sort(compareVersions) }));
  }

  resourcesFor(group: string, version: string): ResourceDef[] {
    return [...this.byPlural.values()].filter((d) => d.group === group && d.versions.includes(version));
  }

  /** discovery APIResourceList for a group version */
  resourceList(group: string, version: string): Record<string, unknown> | undefined {
    const defs = this.resourcesFor(group, version);
    if (defs.length === 0) return undefined;
    const resources: Record<string, unknown>[] = [];
    for (const d of defs.sort((a, b) => (a.plural < b.plural ? -1 : 1))) {
      resources.push({
        name: d.plural,
        singularName: d.singular,
        namespaced: d.namespaced,
        kind: d.kind,
        verbs: d.verbs,
        ...(d.shortNames.length ? { shortNames: d.shortNames } : {}),
        ...(d.categories ? { categories: d.categories } : {}),
      });
      for (const s of d.subresources) {
        const scale = s === 'scale';
        resources.push({
          name: `${d.plural}/${s}`,
          singularName: '',
          namespaced: d.namespaced,
          ...(scale ? { group: 'autoscaling', version: 'v1' } : s === 'eviction' ? { group: 'policy', version: 'v1' } : {}),
          kind: SUB_KIND[s] ?? d.kind,
          verbs: SUB_VERBS[s] ?? ['get'],
        });
      }
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
  }

  apiGroup(name: string): Record<string, unknown> | undefined {
    const g = this.groups().find((x) => x.name === name && name !== '');
    if (!g) return undefined;
    const versions = g.versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    return { kind: 'APIGroup', apiVersion: 'v1', name, versions, preferredVersion: versions[0] };
  }

  apiGroupList(): Record<string, unknown> {
    const groups = this.groups()
      .filter((g) => g.name !== '')
      .map((g) => {
        const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
        return { name: g.name, versions, preferredVersion: versions[0] };
      });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }
}
