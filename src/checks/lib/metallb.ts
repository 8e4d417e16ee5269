/**
 * MetalLB lookups shared by the metallb.* checks: the controller metrics as
 * the IP operator reads them (memoised, one request per run), version parsing,
 * the custom resources (pools, advertisements), which advertisement selects
 * which pool, and the pool name the IP operator reads.
 */
import type * as k8s from '@kubernetes/client-node';
import type { KubeObject, Snapshot } from '../../cluster/snapshot.js';
import { readSetting } from './flags.js';
import { AKASH_NS, IP_OPERATOR_LAYOUTS, METALLB_NS, findMetallbController, imageTag } from './akash.js';
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
export async function controllerVersion(snap: Snapshot): Promise<(ControllerVersion & { method: 'helm' | 'manifest'; name: string }) | null> {
  const ctrl = await findMetallbController(snap);
  if (!ctrl) return null;
  const img = imageTag(ctrl.deployment.spec?.template?.spec, /metallb\/controller|controller/);
  return { method: ctrl.method, name: ctrl.name, image: img?.image ?? null, tag: img?.tag ?? null, version: parseVersionTag(img?.tag) };
}

/** The command that installs or moves MetalLB to the recommended version, for the install method in use. */
export function upgradeCommand(method: 'helm' | 'manifest'): string {
  return method === 'helm'
    ? `helm -n ${METALLB_NS} upgrade metallb metallb/metallb --version ${RECOMMENDED_METALLB}`
    : `kubectl apply -f https://raw.githubusercontent.com/metallb/metallb/v${RECOMMENDED_METALLB}/config/manifests/metallb-native.yaml`;
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

export const SPEAKER_NAMES = ['metallb-speaker', 'speaker'] as const;

/** The speaker DaemonSet (Helm `metallb-speaker` or manifests/Kubespray `speaker`). */
export async function findSpeaker(snap: Snapshot): Promise<k8s.V1DaemonSet | null> {
  const [helm, manifest] = await Promise.all(SPEAKER_NAMES.map((n) => snap.getDaemonSet(METALLB_NS, n)));
  return helm ?? manifest ?? null;
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
  return { name: ds.metadata?.name === 'metallb-speaker' ? 'metallb-memberlist' : 'memberlist', from: 'convention' };
}

// ---- the pool the IP operator reads --------------------------------------------

export interface OperatorPool {
  name: string;
  /** `default`, or where the override came from (`--metal-lb-pool on deployment/operator-ip`). */
  source: string;
}

/**
 * The operator's pool override, read like provider-services reads it (flags.ts):
 * `--metal-lb-pool`, else env AP_METAL_LB_POOL / AKASH_METAL_LB_POOL (literal, ConfigMap key, envFrom).
 */
async function poolOverride(snap: Snapshot, dep: k8s.V1Deployment): Promise<string | undefined> {
  const ns = dep.metadata?.namespace ?? AKASH_NS;
  for (const c of dep.spec?.template?.spec?.containers ?? []) {
    const v = (await readSetting(snap, ns, c, { flag: 'metal-lb-pool' })).value?.trim();
    if (v) return v;
  }
  return undefined;
}

/**
 * The pool the IP operator reads: `default` unless its Deployment passes
 * `--metal-lb-pool` (or AKASH_METAL_LB_POOL). Never throws: on any read
 * problem it assumes `default`, which is what the chart deploys.
 */
export function operatorPool(snap: Snapshot): Promise<OperatorPool> {
  return snap.once('metallb.operator-pool', async () => {
    for (const l of IP_OPERATOR_LAYOUTS) {
      try {
        const dep = await snap.getDeployment(AKASH_NS, l.name);
        const v = dep ? await poolOverride(snap, dep) : undefined;
        if (v) return { name: v, source: `--metal-lb-pool on deployment ${AKASH_NS}/${l.name}` };
      } catch {
        /* cannot read: assume the default */
      }
    }
    return { name: DEFAULT_POOL, source: 'default' };
  });
}

/** `a, b, c and 4 more` */
export function listNames(names: readonly string[], max = 3): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}
