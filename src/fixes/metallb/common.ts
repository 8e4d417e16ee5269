/**
 * Shared bits of the MetalLB fixes: owner notes (Helm, Kubespray), fresh reads of the
 * MetalLB custom resources through the writer (a missing CRD reads as null).
 */
import { KINDS, WriteError, type Kind, type KubeObject, type Writer } from '../../cluster/writer.js';
import { METALLB_NS } from '../../checks/lib/akash.js';

export const HELM_MANAGED_BY = 'app.kubernetes.io/managed-by';

export function isHelmManaged(obj: KubeObject | null | undefined): boolean {
  return obj?.metadata?.labels?.[HELM_MANAGED_BY] === 'Helm' || !!obj?.metadata?.annotations?.['meta.helm.sh/release-name'];
}

export function helmRelease(obj: KubeObject | null | undefined): string | null {
  return obj?.metadata?.annotations?.['meta.helm.sh/release-name'] ?? obj?.metadata?.labels?.['app.kubernetes.io/instance'] ?? null;
}

/** A note for an object a Helm release owns: the next `helm upgrade` may put its own version back. */
export function helmNote(obj: KubeObject, what: string): string {
  const rel = helmRelease(obj);
  return `${what} is managed by Helm${rel ? ` (release ${rel})` : ''}: the next \`helm upgrade\` renders it from the chart again and may undo this change; make the same change in the release's values.`;
}

/** Kubespray (and the plain manifests) install MetalLB as Deployment `controller` with labels app=metallb. */
export const KUBESPRAY_POOLS_NOTE =
  'Kubespray renders an IPAddressPool and an L2Advertisement per key of `metallb_config.address_pools` in its inventory on every playbook run (upstream-facts 1.4): make the inventory say the same (the pool named `default` with these addresses), or the next run puts its own pools back (and MetalLB\'s webhook refuses overlapping pools).';

/** List a namespaced kind of metallb-system fresh; null when its CRD is not installed (404). */
export async function listFresh(w: Writer, kind: Kind, namespace = METALLB_NS): Promise<KubeObject[] | null> {
  try {
    return await w.list(kind, namespace);
  } catch (e) {
    if (e instanceof WriteError && e.reason === 'not-found') return null;
    throw e;
  }
}

export const listPoolsFresh = (w: Writer) => listFresh(w, KINDS.ipAddressPool);

/** L2 and BGP advertisements, fresh (missing CRDs count as none). */
export async function listAdvertisementsFresh(w: Writer): Promise<{ kind: Kind; object: KubeObject }[]> {
  const [l2, bgp] = await Promise.all([listFresh(w, KINDS.l2Advertisement), listFresh(w, KINDS.bgpAdvertisement)]);
  return [...(l2 ?? []).map((object) => ({ kind: KINDS.l2Advertisement as Kind, object })), ...(bgp ?? []).map((object) => ({ kind: KINDS.bgpAdvertisement as Kind, object }))];
}

export const PSA_LABELS = {
  'pod-security.kubernetes.io/enforce': 'privileged',
  'pod-security.kubernetes.io/audit': 'privileged',
  'pod-security.kubernetes.io/warn': 'privileged',
} as const;
