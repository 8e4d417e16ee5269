import { KINDS } from '../../cluster/writer.js';
import { METALLB_NS } from '../../checks/lib/akash.js';
import { advertisementSelects, findController, operatorPool } from '../../checks/lib/metallb.js';
import { createStep } from '../lib.js';
import type { Fix } from '../types.js';
import { KUBESPRAY_POOLS_NOTE, listAdvertisementsFresh, listPoolsFresh } from './common.js';

export const fix: Fix = {
  id: 'metallb.create-l2-advertisement',
  title: 'Announce pool default with an L2Advertisement',
  addresses: ['metallb.advertisement'],
  risk: 'safe',
  order: 40,
  doc:
    'Creates L2Advertisement `default` (or the next free name) in metallb-system with ipAddressPools: [<the pool the IP operator reads>], as the guide does. Without an advertisement selecting the pool MetalLB assigns its addresses but no speaker announces them (metallb/metallb:api/v1beta1/l2advertisement_types.go:30-34 at v0.14.9; internal/config/config.go:640-669 attaches advertisements to the pools they name). ' +
    'Not done when the pool the operator reads is unknown, when the pool does not exist, or when the cluster announces by BGP (BGPAdvertisements exist): then the pool belongs in a BGPAdvertisement, by hand.',
  async plan(ctx) {
    const target = await operatorPool(ctx.cluster);
    if (target.unknown) return { skip: `the pool the IP operator reads is unknown: ${target.unknown}` };
    const want = target.name;
    const pools = await listPoolsFresh(ctx.writer);
    const pool = (pools ?? []).find((p) => p.metadata?.name === want);
    if (!pool) return { skip: `no IPAddressPool ${want} in ${METALLB_NS} to announce (see metallb.default-pool)` };
    const ads = await listAdvertisementsFresh(ctx.writer);
    const selecting = ads.find((a) => advertisementSelects(a.object.spec, { name: want, labels: pool.metadata?.labels }) !== null);
    if (selecting) return { skip: `${selecting.kind.kind} ${METALLB_NS}/${selecting.object.metadata?.name} already announces pool ${want}` };
    const bgp = ads.filter((a) => a.kind === KINDS.bgpAdvertisement);
    if (bgp.length > 0) {
      return { skip: `this MetalLB announces by BGP (BGPAdvertisement ${bgp.map((a) => a.object.metadata?.name).join(', ')}): add pool ${want} to a BGPAdvertisement by hand rather than mixing in layer 2` };
    }
    const taken = new Set(ads.map((a) => a.object.metadata?.name));
    let name = 'default';
    for (let i = 2; taken.has(name); i++) name = `default-${i}`;
    const notes: string[] = [];
    const ctrl = await findController(ctx.cluster);
    if (ctrl?.method === 'manifest') notes.push(KUBESPRAY_POOLS_NOTE);
    return {
      summary: `create L2Advertisement ${METALLB_NS}/${name} announcing pool ${want}`,
      steps: [createStep(KINDS.l2Advertisement, { metadata: { name, namespace: METALLB_NS }, spec: { ipAddressPools: [want] } }, `create L2Advertisement ${METALLB_NS}/${name} with ipAddressPools [${want}]`)],
      notes,
    };
  },
};
