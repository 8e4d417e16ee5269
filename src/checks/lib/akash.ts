/**
 * Domain lookups shared by several checks: where the IP operator and the
 * provider live, in every layout real providers run. All reads
 * go through the memoised snapshot, so calling these from many checks costs one
 * request per object.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Snapshot } from '../../cluster/snapshot.js';
import { containerEnv, type EnvValue } from './flags.js';

export const METALLB_NS = 'metallb-system';
export const AKASH_NS = 'akash-services';
export const PROVIDER_STS = 'akash-provider';
export const PROVIDER_CONTAINER = 'provider';

/** Label selector string from a Deployment's / Service's matchLabels-style map. */
export function selectorString(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function labelsMatch(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const sel = Object.entries(selector ?? {});
  if (sel.length === 0) return false;
  return sel.every(([k, v]) => labels?.[k] === v);
}

/** Image tag of the first container whose image matches `re` (e.g. /metallb\/controller/). */
export function imageTag(podSpec: k8s.V1PodSpec | undefined, re: RegExp): { image: string; tag: string | null } | null {
  const c = podSpec?.containers?.find((x) => re.test(x.image ?? '')) ?? podSpec?.containers?.[0];
  if (!c?.image) return null;
  const noDigest = c.image.split('@')[0];
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const tag = colon > lastSlash ? noDigest.slice(colon + 1) : null;
  return { image: c.image, tag };
}

// ---- IP operator -------------------------------------------------------------

export interface IpOperatorLayout {
  layout: 'new' | 'old';
  /** Deployment (and Service) name. */
  name: string;
  /** The pod label selector of this layout. */
  selector: string;
  container: string;
  portName: string;
  port: number;
  deployment: k8s.V1Deployment | null;
  /** Human description for messages. */
  describe: string;
}

export const IP_OPERATOR_LAYOUTS: Omit<IpOperatorLayout, 'deployment'>[] = [
  {
    layout: 'new',
    name: 'operator-ip',
    selector: 'app.kubernetes.io/name=ip',
    container: 'operator-ip',
    portName: 'rest',
    port: 8080,
    describe: 'current chart (operator-ip, app.kubernetes.io/name=ip)',
  },
  {
    layout: 'old',
    name: 'akash-ip-operator',
    selector: 'app=akash-ip-operator',
    container: 'akash-ip-operator',
    portName: 'api',
    port: 8086,
    describe: 'old chart ≤ 8.x (akash-ip-operator, app=akash-ip-operator)',
  },
];

/**
 * Every IP operator layout present: found by its Deployment, or (for installs
 * without a Deployment) by pods carrying the layout's labels.
 */
export async function findIpOperators(snap: Snapshot): Promise<IpOperatorLayout[]> {
  const found = await Promise.all(
    IP_OPERATOR_LAYOUTS.map(async (l) => {
      // the layout's pods are read either way (here without a Deployment, by layoutState with
      // one): both reads at once, so the pods do not wait for the Deployment's answer
      const podsRead = snap.listPods(AKASH_NS, { labelSelector: l.selector });
      podsRead.catch(() => undefined);
      const deployment = await snap.getDeployment(AKASH_NS, l.name);
      if (deployment) return { ...l, deployment };
      const pods = await podsRead;
      return pods.length > 0 ? { ...l, deployment: null } : null;
    }),
  );
  return found.filter((x): x is IpOperatorLayout => x !== null);
}

export function ipOperatorPods(snap: Snapshot, layout: IpOperatorLayout): Promise<k8s.V1Pod[]> {
  return snap.listPods(AKASH_NS, { labelSelector: layout.selector });
}

/** Restarts the provider (its StatefulSet rolls the pod). */
export const RESTART_PROVIDER = `kubectl -n ${AKASH_NS} rollout restart statefulset ${PROVIDER_STS}`;

/** The exact command that restarts the operator pods of this layout. */
export function restartOperatorCommand(layout: Pick<IpOperatorLayout, 'selector'>): string {
  return `kubectl -n ${AKASH_NS} delete pod -l ${layout.selector}`;
}

// ---- provider environment ----------------------------------------------------

export type { EnvValue } from './flags.js';

export interface ProviderEnv {
  statefulSet: k8s.V1StatefulSet;
  container: k8s.V1Container;
  /** The effective value of each variable (container `env` wins over `envFrom`; later envFrom wins over earlier). */
  vars: Map<string, EnvValue>;
  /** ConfigMaps referenced but missing (optional ones are not listed). */
  missingConfigMaps: string[];
}

export async function providerStatefulSet(snap: Snapshot): Promise<k8s.V1StatefulSet | null> {
  return snap.getStatefulSet(AKASH_NS, PROVIDER_STS);
}

/** Resolve the provider container's environment the way the kubelet would (see flags.ts). */
export async function providerEnv(snap: Snapshot): Promise<ProviderEnv | null> {
  const sts = await providerStatefulSet(snap);
  if (!sts) return null;
  const containers = sts.spec?.template?.spec?.containers ?? [];
  const container = containers.find((c) => c.name === PROVIDER_CONTAINER) ?? containers[0];
  if (!container) return null;
  const ns = sts.metadata?.namespace ?? AKASH_NS;
  const { vars, missingConfigMaps } = await containerEnv(snap, ns, container);
  return { statefulSet: sts, container, vars, missingConfigMaps };
}
