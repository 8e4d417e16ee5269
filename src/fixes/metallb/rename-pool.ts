import { KINDS, type KubeObject } from '../../cluster/writer.js';
import { METALLB_NS } from '../../checks/lib/akash.js';
import { DEFAULT_POOL, findController, operatorPool } from '../../checks/lib/metallb.js';
import { createStep, deleteStep, recreateUndo, toYaml, updateStep } from '../lib.js';
import type { Fix, FixStep } from '../types.js';
import { KUBESPRAY_POOLS_NOTE, helmNote, isHelmManaged, listAdvertisementsFresh, listPoolsFresh } from './common.js';

/** The Service annotations that name a pool (metallb/metallb:controller/service.go:33-41 at v0.14.9). */
export const POOL_ANNOTATIONS = ['metallb.io/address-pool', 'metallb.universe.tf/address-pool'];

const namesOf = (spec: any): string[] => (Array.isArray(spec?.ipAddressPools) ? spec.ipAddressPools.map(String) : []);

export const fix: Fix = {
  id: 'metallb.rename-pool',
  title: 'Recreate the only IPAddressPool under the name default',
  addresses: ['metallb.default-pool'],
  risk: 'safe',
  order: 35,
  doc:
    'The IP operator reads only pool default (akash-network/provider:cluster/kube/operators/clients/metallb/client.go:89) and silently reports 0 IPs for a pool of another name. Pools cannot be renamed, and two pools with the same addresses are refused by MetalLB\'s validating webhook (failurePolicy fail, on create and update: metallb/metallb:internal/k8s/webhooks/webhookv1beta1/ipaddresspool_webhook.go:48,96-113 at v0.14.9, overlap test internal/config/config.go:320-326). ' +
    'So the steps are: (1) advertisements that name the old pool also name default (an advertisement naming a pool that does not exist is ignored, config.go:660-665), (2) the old pool is deleted (uid precondition), (3) pool default is created with the same labels and spec, (4) the advertisements drop the old name. The old pool is kept in the plan notes and the delete step\'s diff. ' +
    'Lease Services: MetalLB re-checks every LoadBalancer Service when the pools change; one whose IP lies in no pool is cleared (controller/service.go:115-126, with no pool at all :62-66) and gets an address of pool default again, from the same addresses, once it exists (allocator.go:72-98 re-maps allocations by IP). The steps run back to back, so usually the Service still holds its IP when default appears and keeps it; a Service MetalLB processed in between may get another address of the same range. ' +
    'Not done when the IP operator reads another pool (--metal-lb-pool / AP_METAL_LB_POOL) or that setting cannot be read, when there is not exactly one pool, or when a Service names the old pool in its address-pool annotation.',
  async plan(ctx) {
    const target = await operatorPool(ctx.cluster);
    if (target.unknown) return { skip: `the pool the IP operator reads is unknown: ${target.unknown}` };
    if (target.name !== DEFAULT_POOL) return { skip: `the IP operator is configured to read pool ${target.name} (${target.source}), not default: renaming a pool to default would not help` };
    const pools = await listPoolsFresh(ctx.writer);
    if (pools === null) return { skip: 'the IPAddressPool CRD is not installed (MetalLB older than 0.13?)' };
    if (pools.some((p) => p.metadata?.name === DEFAULT_POOL)) return { skip: `IPAddressPool ${METALLB_NS}/${DEFAULT_POOL} exists` };
    if (pools.length !== 1) return { skip: `${pools.length === 0 ? 'no IPAddressPool' : `${pools.length} IPAddressPools (${pools.map((p) => p.metadata?.name).join(', ')})`} and none named default: which one holds the lease addresses is for a person to say` };
    const old = pools[0]!;
    const from = old.metadata?.name ?? '';
    const services = await ctx.cluster.listServicesAllNamespaces({});
    const pinned = services.filter((s) => POOL_ANNOTATIONS.some((a) => s.metadata?.annotations?.[a] === from));
    if (pinned.length > 0) {
      return { skip: `Service ${pinned.slice(0, 3).map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`).join(', ')} names pool ${from} in its address-pool annotation: after a rename it could not get an IP; change those Services first` };
    }
    const ads = (await listAdvertisementsFresh(ctx.writer)).filter((a) => namesOf(a.object.spec).includes(from));
    const steps: FixStep[] = [];
    const adRef = (a: (typeof ads)[number]) => ({ kind: a.kind, namespace: METALLB_NS, name: a.object.metadata?.name ?? '' });
    const res = (a: (typeof ads)[number]) => `${a.kind.plural}.metallb.io`;
    for (const a of ads) {
      const add = (fresh: KubeObject): KubeObject | null => {
        const names = namesOf(fresh.spec);
        if (names.includes(DEFAULT_POOL) || !names.includes(from)) return null;
        names.splice(names.indexOf(from) + 1, 0, DEFAULT_POOL);
        return { ...fresh, spec: { ...(fresh.spec as object), ipAddressPools: names } };
      };
      steps.push(updateStep(adRef(a), a.object, add, `let ${a.kind.kind} ${a.object.metadata?.name} name pool ${DEFAULT_POOL} next to ${from}`, `kubectl -n ${METALLB_NS} patch ${res(a)} ${a.object.metadata?.name} --type=json -p '[{"op":"add","path":"/spec/ipAddressPools/-","value":"${DEFAULT_POOL}"}]'`));
    }
    // if creating `default` then fails, the fixer puts the old pool back (undo) so no pool is lost
    steps.push(deleteStep({ kind: KINDS.ipAddressPool, namespace: METALLB_NS, name: from }, old, `delete IPAddressPool ${from} (MetalLB refuses two pools with the same addresses)`, { undo: recreateUndo(KINDS.ipAddressPool, old) }));
    const labels = { ...(old.metadata?.labels ?? {}) };
    const created: KubeObject = { metadata: { name: DEFAULT_POOL, namespace: METALLB_NS, ...(Object.keys(labels).length ? { labels } : {}) }, spec: structuredClone(old.spec ?? {}) };
    // the server dry run of this create may be refused by the webhook while the old pool still exists
    steps.push(createStep(KINDS.ipAddressPool, created, `create IPAddressPool ${DEFAULT_POOL} with the spec of ${from}`, { needsEarlierSteps: true }));
    for (const a of ads) {
      const drop = (fresh: KubeObject): KubeObject | null => {
        const names = namesOf(fresh.spec);
        if (!names.includes(from)) return null;
        const next = [...new Set(names.map((n) => (n === from ? DEFAULT_POOL : n)))];
        return { ...fresh, spec: { ...(fresh.spec as object), ipAddressPools: next } };
      };
      steps.push(updateStep(adRef(a), a.object, drop, `let ${a.kind.kind} ${a.object.metadata?.name} name pool ${DEFAULT_POOL} instead of ${from}`, `kubectl -n ${METALLB_NS} patch ${res(a)} ${a.object.metadata?.name} --type=json -p '[{"op":"remove","path":"/spec/ipAddressPools/${namesOf(a.object.spec).indexOf(from)}"}]'`, { needsEarlierSteps: true }));
    }
    const leases = services.filter((s) => s.spec?.type === 'LoadBalancer' && (s.status?.loadBalancer?.ingress ?? []).some((i) => i.ip));
    const notes: string[] = [
      `Backup of the old pool (re-apply with kubectl apply -f - if the create fails):\n${toYaml({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', ...old })}`,
      `LoadBalancer Services holding an address now (${leases.length}): ${leases.slice(0, 20).map((s) => `${s.metadata?.namespace}/${s.metadata?.name}=${(s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).join(',')}`).join(' ') || 'none'}. MetalLB re-allocates them from pool ${DEFAULT_POOL}, which has the same addresses; a Service that MetalLB processes between the delete and the create loses its IP for that moment and may get another address of the same range.`,
    ];
    if (isHelmManaged(old)) notes.push(helmNote(old, `IPAddressPool ${from}`));
    const ctrl = await findController(ctx.cluster);
    if (ctrl?.method === 'manifest') notes.push(KUBESPRAY_POOLS_NOTE);
    return {
      summary: `recreate IPAddressPool ${from} as ${DEFAULT_POOL}${ads.length ? ` and point ${ads.map((a) => a.object.metadata?.name).join(', ')} at it` : ''}`,
      steps,
      notes,
    };
  },
};
