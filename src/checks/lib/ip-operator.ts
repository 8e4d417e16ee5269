/**
 * IP operator state shared by the ip-operator checks: each layout's Deployment and
 * pod readiness, the Helm release that owns it, and how to (re)install it.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Snapshot } from '../../cluster/snapshot.js';
import type { Remedy } from '../../core/types.js';
import { providerFrom } from './provider-from.js';
import { AKASH_NS, findIpOperators, imageTag, ipOperatorPods, PROVIDER_CONTAINER, providerStatefulSet, type IpOperatorLayout } from './akash.js';
import { helmRelease, HelmDecodeError } from './helm.js';
import { ClusterError } from '../../cluster/errors.js';
import { pickContainer, readSetting, type Setting } from './flags.js';

export interface LayoutState {
  layout: IpOperatorLayout;
  pods: k8s.V1Pod[];
  readyPods: string[];
  /** desired replicas (Deployment spec), null without a Deployment */
  desired: number | null;
  available: number;
  /** Helm release that owns the Deployment (annotation meta.helm.sh/release-name), if any. */
  helmRelease: string | null;
  /** One line describing what is wrong, null when healthy. */
  problem: string | null;
}

export function podReady(p: k8s.V1Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function podProblem(p: k8s.V1Pod): string {
  const cs = p.status?.containerStatuses ?? [];
  const waiting = cs.map((c) => c.state?.waiting?.reason).find(Boolean);
  const restarts = cs.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const name = p.metadata?.name ?? '?';
  if (waiting) return `pod ${name} is ${waiting}${restarts ? ` (${restarts} restarts)` : ''}`;
  return `pod ${name} is ${p.status?.phase ?? 'Unknown'} and not ready`;
}

export async function layoutState(snap: Snapshot, layout: IpOperatorLayout): Promise<LayoutState> {
  const pods = (await ipOperatorPods(snap, layout)).filter((p) => !p.metadata?.deletionTimestamp);
  const readyPods = pods.filter(podReady).map((p) => p.metadata?.name ?? '');
  const d = layout.deployment;
  const desired = d ? (d.spec?.replicas ?? 1) : null;
  const available = d ? (d.status?.availableReplicas ?? 0) : readyPods.length;
  const helmRelease = d?.metadata?.annotations?.['meta.helm.sh/release-name'] ?? null;
  const where = d ? `Deployment ${AKASH_NS}/${layout.name}` : `pods ${layout.selector} (no Deployment ${AKASH_NS}/${layout.name})`;
  let problem: string | null = null;
  if (desired === 0) problem = `${where} is scaled to 0 replicas`;
  else if (pods.length === 0) problem = `${where} has no pods`;
  else if (readyPods.length === 0) problem = `${where} has no ready pod: ${pods.map(podProblem).join(', ')}`;
  else if (d && available < 1) problem = `${where} reports 0 available replicas`;
  return { layout, pods, readyPods, desired, available, helmRelease, problem };
}

export function operatorStates(snap: Snapshot): Promise<LayoutState[]> {
  return snap.once('ip-operator-states', async () => Promise.all((await findIpOperators(snap)).map((l) => layoutState(snap, l))));
}

/**
 * Operator chart versions the remedies pin. Current layout: akash-ip-operator chart 19.0.2
 * (appVersion 0.16.2, helm-charts main f3d8d46), the first layout `operator-ip`:`rest` is chart
 * 9.0.0. Old layout: chart 8.0.0 (appVersion 0.4.8), the last `akash-ip-operator`:`api` chart
 * (helm-charts `git show ab9354d`).
 */
export const OPERATOR_CHART = { new: '19.0.2', old: '8.0.0' } as const;

/** The command that installs the IP operator chart of a layout (default: the current one), pinned. */
export function installOperatorCommand(providerAddress: string | null, layout: 'new' | 'old' = 'new'): string {
  return `helm install akash-ip-operator akash/akash-ip-operator -n ${AKASH_NS} --version ${OPERATOR_CHART[layout]} --set provider_address=${providerAddress ?? '<provider-address>'}`;
}

export const HELM_REPO_COMMANDS = ['helm repo add akash https://akash-network.github.io/helm-charts', 'helm repo update akash'];

/** Hint and remedy for "no IP operator at all", with the provider's address when it is known. */
export async function installOperatorAdvice(snap: Snapshot): Promise<{ address: string | null; hint: string; remedy: Remedy }> {
  // the address only completes the command; an unreadable one leaves a placeholder
  const address = (await providerFrom(snap).catch(() => null))?.address ?? null;
  const target = await operatorTarget(snap).catch(() => null);
  const layout = target?.needed ?? 'new';
  const cmd = installOperatorCommand(address, layout);
  return {
    address,
    hint: `install it with your provider's address: ${cmd}`,
    remedy: { summary: `install the IP operator chart ${OPERATOR_CHART[layout]} into ${AKASH_NS}`, commands: [...HELM_REPO_COMMANDS, cmd] },
  };
}

// ---- which layout the provider uses --------------------------------------------------

export interface ProviderVersion {
  /** `0.16.1` (no leading v), null when unknown. */
  version: string | null;
  parts: [number, number, number] | null;
  /** `image ghcr.io/akash-network/provider:0.16.1`, `Helm release akash-provider appVersion 0.6.4`. */
  source: string | null;
}

export function parseVersion(v: string | null | undefined): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec((v ?? '').trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

/**
 * The provider's version: the tag of the provider container's image (StatefulSet
 * akash-provider, container provider), else the appVersion of Helm release akash-provider.
 */
export function providerVersion(snap: Snapshot): Promise<ProviderVersion> {
  return snap.once('provider-version', async () => {
    // an unreadable StatefulSet only leaves the version unknown (the provider checks report it)
    const sts = await providerStatefulSet(snap).catch((e: unknown) => {
      if (e instanceof ClusterError) return null;
      throw e;
    });
    const spec = sts?.spec?.template?.spec;
    const c = spec?.containers?.find((x) => x.name === PROVIDER_CONTAINER);
    const img = c ? imageTag({ containers: [c] }, /./) : null;
    const parts = parseVersion(img?.tag);
    if (img && parts) return { version: img.tag!.replace(/^v/, ''), parts, source: `image ${img.image}` };
    try {
      const rel = (await helmRelease(snap, AKASH_NS, 'akash-provider')).release;
      const app = rel?.chart.appVersion;
      const p = parseVersion(app);
      if (app && p) return { version: app.replace(/^v/, ''), parts: p, source: `Helm release akash-provider appVersion ${app}` };
    } catch (e) {
      if (!(e instanceof ClusterError) && !(e instanceof HelmDecodeError)) throw e;
    }
    return { version: null, parts: null, source: null };
  });
}

/**
 * The operator layout a provider version looks for: ≥ 0.5.0 Service `operator-ip` port `rest`
 * (akash-network/provider:cluster/kube/operators/clients/ip/client.go:45), ≤ 0.4.x Service
 * `akash-ip-operator` port `api` (v0.4.8:cluster/operatorclients/ip_operator_client.go:65;
 * switched in 82c31b7, first tag v0.5.0).
 */
export function layoutForVersion(parts: [number, number, number] | null): 'new' | 'old' | null {
  if (!parts) return null;
  const [maj, min] = parts;
  return maj > 0 || min >= 5 ? 'new' : 'old';
}

export interface OperatorTarget {
  /** The layout the provider looks for, null when its version is unknown. */
  needed: 'new' | 'old' | null;
  provider: ProviderVersion;
  states: LayoutState[];
  /** The operator the provider talks to: the needed layout's, or (version unknown) the preferred one. */
  used: LayoutState | null;
  /** Layouts the provider does not use (only when `needed` is known). */
  unused: LayoutState[];
}

export function operatorTarget(snap: Snapshot): Promise<OperatorTarget> {
  return snap.once('ip-operator-target', async () => {
    const [states, provider] = await Promise.all([operatorStates(snap), providerVersion(snap)]);
    const needed = layoutForVersion(provider.parts);
    if (!needed) return { needed, provider, states, used: preferred(states)[0] ?? null, unused: [] };
    return { needed, provider, states, used: states.find((s) => s.layout.layout === needed) ?? null, unused: states.filter((s) => s.layout.layout !== needed) };
  });
}

/** Words for a layout: `operator-ip:rest (current chart ≥ 9)`. */
export function layoutWords(layout: 'new' | 'old'): string {
  return layout === 'new' ? 'Service operator-ip port rest (current akash-ip-operator chart ≥ 9)' : 'Service akash-ip-operator port api (old akash-ip-operator chart ≤ 8)';
}

/** Healthy layouts first, the current layout before the old one. */
export function preferred(states: LayoutState[]): LayoutState[] {
  return [...states].sort((a, b) => Number(a.problem !== null) - Number(b.problem !== null) || Number(a.layout.layout === 'old') - Number(b.layout.layout === 'old'));
}

// ---- operator settings -----------------------------------------------------------------

/** The container of a layout's operator (Deployment template, else a pod). */
export function operatorContainer(s: LayoutState): k8s.V1Container | undefined {
  return pickContainer(s.layout.deployment?.spec?.template?.spec ?? s.pods[0]?.spec, s.layout.container);
}

export const POOL_DEFAULT = 'default';

export interface OperatorPoolSetting {
  /** The pool the operator reads metrics for (`default` unless overridden). */
  name: string;
  setting: Setting | null;
  /** `default` or where the override came from. */
  source: string;
}

/**
 * The MetalLB pool the operator reads: `--metal-lb-pool`, else env AP_/AKASH_METAL_LB_POOL,
 * else `default` (akash-network/provider:cluster/kube/operators/clients/metallb/client.go:89;
 * the chart has no value for it).
 */
export async function operatorPoolSetting(snap: Snapshot, s: LayoutState): Promise<OperatorPoolSetting> {
  const c = operatorContainer(s);
  if (!c) return { name: POOL_DEFAULT, setting: null, source: 'default' };
  const setting = await readSetting(snap, AKASH_NS, c, { flag: 'metal-lb-pool' });
  const v = setting.value?.trim();
  if (v) return { name: v, setting, source: setting.source! };
  return { name: POOL_DEFAULT, setting, source: setting.unreadable ? `default assumed (${setting.source} is not readable)` : 'default' };
}
