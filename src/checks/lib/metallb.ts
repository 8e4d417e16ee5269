/**
 * MetalLB lookups shared by the metallb.* checks: the controller metrics as
 * the IP operator reads them (memoised, one request per run), version parsing,
 * the custom resources (pools, advertisements), which advertisement selects
 * which pool, and the pool name the IP operator reads.
 */
import type * as k8s from '@kubernetes/client-node';
import type { KubeObject, Snapshot } from '../../cluster/snapshot.js';
import { AKASH_NS, METALLB_NS, imageTag } from './akash.js';
import { operatorPoolSetting, operatorTarget, type OperatorPoolSetting } from './ip-operator.js';
import { parsePrometheusText, labelValues, sampleValue, type ParsedMetrics } from './prometheus.js';

export const METALLB_GROUP = 'metallb.io';
export const METALLB_VERSION = 'v1beta1';
/** The version the guide installs; used in remedies. */
export const RECOMMENDED_METALLB = '0.14.9';
export const DEFAULT_POOL = 'default';
export const METRIC_TOTAL = 'metallb_allocator_addresses_total';
export const METRIC_IN_USE = 'metallb_allocator_addresses_in_use_total';
export const EXCLUDE_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';
export const LEASE_SERVICE_SELECTOR = 'akash.network/service-target=metal-lb';

// ---- version ----------------------------------------------------------------

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  pre?: string;
  text: string;
}

/** `v0.14.8`, `0.14.8`, `v0.15`, `v0.16.0-rc.1` -> SemVer; `main`, `latest`, digests -> null. */
export function parseVersionTag(tag: string | null | undefined): SemVer | null {
  if (!tag) return null;
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(tag.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), pre: m[4], text: tag.trim() };
}

export function compareVersion(a: Pick<SemVer, 'major' | 'minor' | 'patch'>, b: Pick<SemVer, 'major' | 'minor' | 'patch'>): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export interface ControllerVersion {
  image: string | null;
  tag: string | null;
  version: SemVer | null;
}

/** Version of the MetalLB controller from its image tag (null when no controller is found). */
export async function controllerVersion(snap: Snapshot): Promise<(ControllerVersion & { method: 'helm' | 'manifest'; name: string; release: string | null }) | null> {
  const ctrl = await findController(snap);
  if (!ctrl) return null;
  const img = imageTag(ctrl.deployment.spec?.template?.spec, /metallb\/controller|controller/);
  return { method: ctrl.method, name: ctrl.name, release: ctrl.release, image: img?.image ?? null, tag: img?.tag ?? null, version: parseVersionTag(img?.tag) };
}

/** The command that installs or moves MetalLB to the recommended version, for the install method (and Helm release) in use. */
export function upgradeCommand(method: 'helm' | 'manifest', release: string | null = null): string {
  return method === 'helm'
    ? `helm -n ${METALLB_NS} upgrade ${release ?? 'metallb'} metallb/metallb --version ${RECOMMENDED_METALLB}`
    : `kubectl apply -f https://raw.githubusercontent.com/metallb/metallb/v${RECOMMENDED_METALLB}/config/manifests/metallb-native.yaml`;
}

/** Back up the pools and advertisements before a chart downgrade (the CRDs may be replaced with it). */
export const BACKUP_COMMAND = `kubectl -n ${METALLB_NS} get ipaddresspools,l2advertisements,bgpadvertisements -o yaml > metallb-backup.yaml`;

// ---- finding MetalLB: by labels and release, not by one name -------------------

/**
 * Helm (metallb/metallb charts/metallb/templates/_helpers.tpl `metallb.fullname`,
 * controller.yaml, speaker.yaml): objects `<fullname>-controller` / `-speaker` /
 * `-memberlist`, fullname = the release name when it contains "metallb", else
 * `<release>-metallb`; labels app.kubernetes.io/name=metallb,
 * app.kubernetes.io/instance=<release>, app.kubernetes.io/component=controller|speaker.
 * Manifests and Kubespray (config/manifests/metallb-native.yaml): `controller`,
 * `speaker`, `memberlist`, labels app=metallb, component=controller|speaker.
 */
export interface MetallbWorkload {
  method: 'helm' | 'manifest';
  name: string;
  /** Helm release (app.kubernetes.io/instance), null for manifests. */
  release: string | null;
  /** How it was recognised. */
  foundBy: 'labels' | 'image';
}

export interface MetallbController extends MetallbWorkload {
  deployment: k8s.V1Deployment;
}

export interface MetallbSpeaker extends MetallbWorkload {
  daemonSet: k8s.V1DaemonSet;
}

type Role = { method: 'helm' | 'manifest'; release: string | null };

/** MetalLB `component` of a workload from its own or its pod template's labels. */
export function metallbRole(
  obj: { metadata?: { name?: string; labels?: Record<string, string> }; spec?: { template?: { metadata?: { labels?: Record<string, string> }; spec?: k8s.V1PodSpec } } },
  component: 'controller' | 'speaker',
): (Role & { foundBy: 'labels' | 'image' }) | null {
  for (const l of [obj.metadata?.labels ?? {}, obj.spec?.template?.metadata?.labels ?? {}]) {
    if (l['app.kubernetes.io/name'] === 'metallb' && l['app.kubernetes.io/component'] === component) {
      return { method: 'helm', release: l['app.kubernetes.io/instance'] ?? null, foundBy: 'labels' };
    }
    if (l.app === 'metallb' && l.component === component) return { method: 'manifest', release: null, foundBy: 'labels' };
  }
  // relabelled (nameOverride, other tooling): the image still says what it is
  const re = component === 'controller' ? /(^|\/)metallb\/controller(:|@|$)/ : /(^|\/)metallb\/speaker(:|@|$)/;
  if ((obj.spec?.template?.spec?.containers ?? []).some((c) => re.test(c.image ?? ''))) {
    const l = { ...(obj.spec?.template?.metadata?.labels ?? {}), ...(obj.metadata?.labels ?? {}) };
    const release = l['app.kubernetes.io/instance'] ?? null;
    return { method: release || obj.metadata?.name !== component ? 'helm' : 'manifest', release, foundBy: 'image' };
  }
  return null;
}

/** Prefer workloads recognised by labels, then ones with ready pods, then the conventional names. */
function rank(name: string, foundBy: 'labels' | 'image', ready: number): number {
  return (foundBy === 'labels' ? 0 : 4) + (ready > 0 ? 0 : 2) + (name === 'metallb-controller' || name === 'controller' || name === 'metallb-speaker' || name === 'speaker' ? 0 : 1);
}

/** The best-ranked workload of `items` that plays `role`, with how it was recognised. */
function pickWorkload<W extends k8s.V1Deployment | k8s.V1DaemonSet>(items: W[], role: 'controller' | 'speaker', ready: (w: W) => number) {
  const found = items
    .map((w) => ({ w, role: metallbRole(w, role) }))
    .filter((x): x is { w: W; role: Role & { foundBy: 'labels' | 'image' } } => x.role !== null)
    .sort((a, b) => rank(a.w.metadata?.name ?? '', a.role.foundBy, ready(a.w)) - rank(b.w.metadata?.name ?? '', b.role.foundBy, ready(b.w)));
  return found[0];
}

/** The MetalLB controller Deployment of metallb-system, whatever the Helm release is called. Memoised. */
export function findController(snap: Snapshot): Promise<MetallbController | null> {
  return snap.once('metallb.find-controller', async () => {
    const f = pickWorkload(await snap.listDeployments(METALLB_NS), 'controller', (d) => d.status?.availableReplicas ?? 0);
    return f ? { ...f.role, name: f.w.metadata?.name ?? '', deployment: f.w } : null;
  });
}

/** The MetalLB speaker DaemonSet of metallb-system, whatever the Helm release is called. Memoised. */
export function findSpeakerWorkload(snap: Snapshot): Promise<MetallbSpeaker | null> {
  return snap.once('metallb.find-speaker', async () => {
    const f = pickWorkload(await snap.listDaemonSets(METALLB_NS), 'speaker', (d) => d.status?.numberReady ?? 0);
    return f ? { ...f.role, name: f.w.metadata?.name ?? '', daemonSet: f.w } : null;
  });
}

/** Helm fullname from a chart object name (`<fullname>-controller` -> `<fullname>`). */
export function helmFullname(objectName: string, suffix: 'controller' | 'speaker'): string | null {
  return objectName.endsWith(`-${suffix}`) ? objectName.slice(0, -suffix.length - 1) : null;
}

/** Helm fullname for a release (metallb.fullname without overrides). */
export function fullnameForRelease(release: string): string {
  return (release.includes('metallb') ? release : `${release}-metallb`).slice(0, 63).replace(/-+$/, '');
}

/** `-l` selector of the controller pods, from the Deployment's selector (else the install method's labels). */
export function controllerPodSelector(ctrl: Pick<MetallbController, 'method' | 'deployment'> | null): string {
  const ml = ctrl?.deployment.spec?.selector?.matchLabels;
  if (ml && Object.keys(ml).length) return Object.entries(ml).map(([k, v]) => `${k}=${v}`).join(',');
  return ctrl?.method === 'manifest' ? 'app=metallb,component=controller' : 'app.kubernetes.io/name=metallb,app.kubernetes.io/component=controller';
}

// ---- controller metrics -------------------------------------------------------

export interface ControllerMetrics {
  /** HTTP status of the service-proxy GET. */
  status: number;
  contentType: string;
  /** First line of a non-2xx body (a Kubernetes Status message when there is one). */
  errorMessage?: string;
  /** Parsed when the status is 2xx. */
  metrics?: ParsedMetrics;
}

export const METRICS_PROXY_PATH = `/api/v1/namespaces/${METALLB_NS}/services/controller:monitoring/proxy/metrics`;

/** Message of a Kubernetes Status body, or the first line of any other body. */
export function bodyMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { kind?: string; message?: unknown };
    if (j && typeof j.message === 'string') return j.message.split('\n')[0]!.slice(0, 300);
  } catch {
    /* not JSON */
  }
  return (body.split('\n').find((l) => l.trim()) ?? '').trim().slice(0, 300);
}

/**
 * GET the controller's metrics through the API server's service proxy
 * (`controller:monitoring`), exactly what the IP operator reads out of cluster.
 * Memoised for the run; a ClusterError (forbidden, unreachable) propagates.
 */
export function readControllerMetrics(snap: Snapshot): Promise<ControllerMetrics> {
  return snap.once('metallb.metrics', async () => {
    const res = await snap.proxyGet(METALLB_NS, 'controller', 'monitoring', 'metrics');
    if (res.status >= 200 && res.status < 300) {
      return { status: res.status, contentType: res.contentType, metrics: parsePrometheusText(res.body) };
    }
    return { status: res.status, contentType: res.contentType, errorMessage: bodyMessage(res.body) };
  });
}

export interface PoolUsage {
  total?: number;
  inUse?: number;
}

/** Allocator totals of one pool from parsed metrics. */
export function poolUsageFromMetrics(metrics: ParsedMetrics, pool: string): PoolUsage {
  return { total: sampleValue(metrics, METRIC_TOTAL, { pool }), inUse: sampleValue(metrics, METRIC_IN_USE, { pool }) };
}

export function poolsInMetrics(metrics: ParsedMetrics): string[] {
  return labelValues(metrics, METRIC_TOTAL, 'pool');
}

// ---- custom resources ---------------------------------------------------------

/** IPAddressPools of metallb-system; null when the CRD is not installed. */
export function listPools(snap: Snapshot): Promise<KubeObject[] | null> {
  return snap.listCustom(METALLB_GROUP, METALLB_VERSION, 'ipaddresspools', METALLB_NS);
}

export interface Advertisement {
  kind: 'L2Advertisement' | 'BGPAdvertisement';
  name: string;
  object: KubeObject;
}

/** L2 and BGP advertisements of metallb-system (a missing CRD counts as none). */
export async function listAdvertisements(snap: Snapshot): Promise<Advertisement[]> {
  const [l2, bgp] = await Promise.all([
    snap.listCustom(METALLB_GROUP, METALLB_VERSION, 'l2advertisements', METALLB_NS),
    snap.listCustom(METALLB_GROUP, METALLB_VERSION, 'bgpadvertisements', METALLB_NS),
  ]);
  return [
    ...(l2 ?? []).map((o) => ({ kind: 'L2Advertisement' as const, name: o.metadata?.name ?? '', object: o })),
    ...(bgp ?? []).map((o) => ({ kind: 'BGPAdvertisement' as const, name: o.metadata?.name ?? '', object: o })),
  ];
}

export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** metav1.LabelSelector semantics: an empty selector matches everything; unknown operators match nothing. */
export function labelSelectorMatches(sel: LabelSelectorSpec | null | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel || typeof sel !== 'object') return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== String(v)) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const values = (e.values ?? []).map(String);
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(l[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export type SelectionWay = 'explicit' | 'selector' | 'all-pools';

/**
 * Does this advertisement select the pool? MetalLB: no `ipAddressPools` and no
 * `ipAddressPoolSelectors` = every pool; otherwise the union of the named pools
 * and the pools whose labels match a selector.
 */
export function advertisementSelects(spec: any, pool: { name: string; labels?: Record<string, string> }): SelectionWay | null {
  const names: unknown[] = Array.isArray(spec?.ipAddressPools) ? spec.ipAddressPools : [];
  const selectors: LabelSelectorSpec[] = Array.isArray(spec?.ipAddressPoolSelectors) ? spec.ipAddressPoolSelectors : [];
  if (names.length === 0 && selectors.length === 0) return 'all-pools';
  if (names.map(String).includes(pool.name)) return 'explicit';
  if (selectors.some((s) => labelSelectorMatches(s, pool.labels))) return 'selector';
  return null;
}

/** What an advertisement selects, in words: `pools public, x` / `pools labelled ...` / `all pools`. */
export function describeSelection(spec: any): string {
  const names: unknown[] = Array.isArray(spec?.ipAddressPools) ? spec.ipAddressPools : [];
  const selectors: LabelSelectorSpec[] = Array.isArray(spec?.ipAddressPoolSelectors) ? spec.ipAddressPoolSelectors : [];
  if (names.length === 0 && selectors.length === 0) return 'all pools';
  const parts: string[] = [];
  if (names.length) parts.push(`pool${names.length > 1 ? 's' : ''} ${names.map(String).join(', ')}`);
  for (const s of selectors) {
    const ml = Object.entries(s?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
    const me = (s?.matchExpressions ?? []).map((e) => `${e.key} ${e.operator}${e.values?.length ? ` (${e.values.join(',')})` : ''}`);
    parts.push(`pools labelled ${[...ml, ...me].join(',') || '(anything)'}`);
  }
  return parts.join(' + ');
}

// ---- speaker -------------------------------------------------------------------

/** The speaker DaemonSet, found by labels (Helm `<fullname>-speaker`, manifests/Kubespray `speaker`). */
export async function findSpeaker(snap: Snapshot): Promise<k8s.V1DaemonSet | null> {
  return (await findSpeakerWorkload(snap))?.daemonSet ?? null;
}

/**
 * The memberlist Secret the speaker mounts: from its secret volumes or the
 * METALLB_ML_SECRET_NAME env, else the conventional name for its layout.
 */
export function memberlistSecretName(ds: k8s.V1DaemonSet): { name: string; from: 'volume' | 'env' | 'convention' } {
  const spec = ds.spec?.template?.spec;
  const vol = (spec?.volumes ?? []).find((v) => v.secret?.secretName && /memberlist/.test(v.secret.secretName + ' ' + v.name));
  if (vol?.secret?.secretName) return { name: vol.secret.secretName, from: 'volume' };
  for (const c of spec?.containers ?? []) {
    const e = (c.env ?? []).find((x) => x.name === 'METALLB_ML_SECRET_NAME' && x.value);
    if (e?.value) return { name: e.value, from: 'env' };
  }
  const fullname = helmFullname(ds.metadata?.name ?? '', 'speaker');
  return { name: fullname ? `${fullname}-memberlist` : 'memberlist', from: 'convention' };
}

// ---- the pool the IP operator reads --------------------------------------------

export interface OperatorPool {
  name: string;
  /** `default`, or where the override came from (`args --metal-lb-pool=x`, `env AP_METAL_LB_POOL`). */
  source: string;
  /**
   * Set when the pool cannot be known (the setting comes from a Secret, or the operator's
   * Deployment cannot be read): then `name` is only the chart's default and nothing may act on it.
   */
  unknown?: string;
}

/**
 * The pool the IP operator reads, from the operator the provider talks to (the layout its
 * version looks for, operatorTarget in ip-operator.ts): `--metal-lb-pool`, else env
 * AP_METAL_LB_POOL / AKASH_METAL_LB_POOL (literal, ConfigMap key, envFrom), else `default`
 * (akash-network/provider:cluster/kube/operators/clients/metallb/client.go:89). No operator
 * installed: `default`, what the chart deploys. A setting that cannot be read (a Secret, an
 * unreadable Deployment) gives `unknown` with the reason, never a guess. Never throws.
 */
export function operatorPool(snap: Snapshot): Promise<OperatorPool> {
  return snap.once('metallb.operator-pool', async () => {
    let used;
    try {
      used = (await operatorTarget(snap)).used;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return { name: DEFAULT_POOL, source: 'unknown', unknown: `the IP operator's Deployment could not be read (${why})` };
    }
    // no operator yet: the chart's operator reads `default`
    if (!used) return { name: DEFAULT_POOL, source: 'default' };
    const where = used.layout.deployment ? `deployment ${AKASH_NS}/${used.layout.name}` : `pods ${used.layout.selector}`;
    let setting: OperatorPoolSetting;
    try {
      setting = await operatorPoolSetting(snap, used);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return { name: DEFAULT_POOL, source: 'unknown', unknown: `the pool setting of ${where} could not be read (${why})` };
    }
    if (setting.setting?.unreadable) {
      return { name: DEFAULT_POOL, source: 'unknown', unknown: `--metal-lb-pool of ${where} comes from ${setting.setting.source}, which is not read` };
    }
    if (setting.name !== DEFAULT_POOL) return { name: setting.name, source: `--metal-lb-pool on ${where} (${setting.source})` };
    return { name: DEFAULT_POOL, source: 'default' };
  });
}

/** `a, b, c and 4 more` */
export function listNames(names: readonly string[], max = 3): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

// ---- which pool a lease Service can get its IP from -------------------------------

/**
 * A lease Service as MetalLB's allocator sees it: its namespace (per lease, named by
 * the provider, so unknown for a lease not yet created) with its labels, and its own
 * labels. The labels every lease carries: namespace akash.network=true; Service
 * akash.network=true and akash.network/service-target=metal-lb (upstream-facts 1.4).
 */
export interface LeaseProbe {
  namespace: string | null;
  namespaceLabels: Record<string, string>;
  serviceLabels: Record<string, string>;
  /** `lease-x/web-ip-80-tcp` or `a new lease`. */
  what: string;
}

export const FUTURE_LEASE: LeaseProbe = {
  namespace: null,
  namespaceLabels: { 'akash.network': 'true' },
  serviceLabels: { 'akash.network': 'true', 'akash.network/service-target': 'metal-lb' },
  what: 'a new lease',
};

export type AllocationMiss = 'auto-assign' | 'namespace' | 'service' | 'not-pinned';

/**
 * Can MetalLB auto-assign this pool to a Service that does not name a pool (the IP
 * operator names none when it uses pool `default`)? Mirrors v0.14.9
 * internal/allocator/allocator.go: `Allocate` (:337-370) tries the pinned pools
 * first, then every pool with `AutoAssign && ServiceAllocations == nil` (:360);
 * `pinnedPoolsForService` (:485-508) pins a pool by the Service's namespace
 * (`namespaces` plus the namespaces its `namespaceSelectors` match,
 * internal/config/config.go:537-561, 575-589) or by `serviceSelectors`, and
 * `isPoolCompatibleWithService` (:510-525) requires the namespace to be in a
 * non-empty namespace set and a serviceSelector to match when there are any.
 * null: the pool can serve this lease.
 */
export function allocationMiss(spec: any, lease: LeaseProbe): AllocationMiss | null {
  if (spec?.autoAssign === false) return 'auto-assign';
  const sa = spec?.serviceAllocation;
  if (sa === undefined || sa === null) return null;
  const namespaces: string[] = Array.isArray(sa.namespaces) ? sa.namespaces.map(String) : [];
  const nsSelectors: LabelSelectorSpec[] = Array.isArray(sa.namespaceSelectors) ? sa.namespaceSelectors : [];
  const svcSelectors: LabelSelectorSpec[] = Array.isArray(sa.serviceSelectors) ? sa.serviceSelectors : [];
  const inNamespaceSet = (lease.namespace !== null && namespaces.includes(lease.namespace)) || nsSelectors.some((s) => labelSelectorMatches(s, lease.namespaceLabels));
  const namespaceRestricted = namespaces.length > 0 || nsSelectors.length > 0;
  if (namespaceRestricted && !inNamespaceSet) return 'namespace';
  if (svcSelectors.length > 0 && !svcSelectors.some((s) => labelSelectorMatches(s, lease.serviceLabels))) return 'service';
  // with neither, nothing pins the pool and it is excluded from auto-assignment (e.g. only a priority)
  if (!inNamespaceSet && svcSelectors.length === 0) return 'not-pinned';
  return null;
}
