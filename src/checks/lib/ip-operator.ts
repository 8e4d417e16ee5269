/**
 * IP operator state shared by the ip-operator checks: each layout's Deployment and
 * pod readiness, the Helm release that owns it, and how to (re)install it.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Snapshot } from '../../cluster/snapshot.js';
import type { Remedy } from '../../core/types.js';
import { providerFrom } from './provider-from.js';
import { AKASH_NS, findIpOperators, ipOperatorPods, type IpOperatorLayout } from './akash.js';

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

/** The command that installs the current IP operator chart. */
export function installOperatorCommand(providerAddress: string | null): string {
  return `helm install akash-ip-operator akash/akash-ip-operator -n ${AKASH_NS} --set provider_address=${providerAddress ?? '<provider-address>'}`;
}

/** Hint and remedy for "no IP operator at all", with the provider's address when it is known. */
export async function installOperatorAdvice(snap: Snapshot): Promise<{ address: string | null; hint: string; remedy: Remedy }> {
  // the address only completes the command; an unreadable one leaves a placeholder
  const address = (await providerFrom(snap).catch(() => null))?.address ?? null;
  const cmd = installOperatorCommand(address);
  return {
    address,
    hint: `install it with your provider's address: ${cmd}`,
    remedy: { summary: `install the IP operator chart into ${AKASH_NS}`, commands: ['helm repo add akash https://akash-network.github.io/helm-charts', 'helm repo update akash', cmd] },
  };
}

/** Healthy layouts first, the current layout before the old one. */
export function preferred(states: LayoutState[]): LayoutState[] {
  return [...states].sort((a, b) => Number(a.problem !== null) - Number(b.problem !== null) || Number(a.layout.layout === 'old') - Number(b.layout.layout === 'old'));
}
