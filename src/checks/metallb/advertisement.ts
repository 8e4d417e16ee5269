import { fail, pass, skip, type Check } from '../../core/types.js';
import { METALLB_NS } from '../lib/akash.js';
import { advertisementSelects, describeSelection, listAdvertisements, listNames, listPools, operatorPool, type SelectionWay } from '../lib/metallb.js';

/** A one-line `kubectl apply` of an L2Advertisement selecting `pool`. */
export function createL2AdvertisementCommand(name: string, pool: string): string {
  const obj = { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name, namespace: METALLB_NS }, spec: { ipAddressPools: [pool] } };
  return `echo '${JSON.stringify(obj)}' | kubectl apply -f -`;
}

const HOW: Record<SelectionWay, string> = {
  explicit: 'by name',
  selector: 'by label selector',
  'all-pools': 'as it names no pool and no selector (all pools)',
};

export const check: Check = {
  id: 'metallb.advertisement',
  title: 'An L2Advertisement or BGPAdvertisement announces pool default',
  category: 'metallb',
  dependsOn: ['cluster.api', 'metallb.namespace'],
  doc: {
    what: 'Lists the L2Advertisements and BGPAdvertisements in metallb-system and checks that at least one selects pool default: by name in ipAddressPools, by a label selector in ipAddressPoolSelectors that matches the pool\'s labels, or by naming neither (which selects every pool: "If no IPAddressPool is selected by this or by the list, the advertisement is applied to all the IPAddressPools", metallb/metallb:api/v1beta1/l2advertisement_types.go:30-34 at v0.14.9, the same in bgpadvertisement_types.go). details.reason: announced, no-advertisements, pool-not-selected, no-pool, operator-pool-unknown.',
    why: 'Without an advertisement MetalLB still assigns addresses from the pool, but no speaker announces them: the lease Service shows an external IP that nobody on the network can reach.',
    fix: 'Create the advertisement from the guide: `echo \'{"apiVersion":"metallb.io/v1beta1","kind":"L2Advertisement","metadata":{"name":"l2advertisement1","namespace":"metallb-system"},"spec":{"ipAddressPools":["default"]}}\' | kubectl apply -f -`, or add default to the ipAddressPools of an existing one with `kubectl -n metallb-system edit l2advertisements.metallb.io <name>`. BGP setups need a BGPAdvertisement (and BGPPeers) instead.',
  },
  async run(ctx) {
    const [pools, ads, target] = await Promise.all([listPools(ctx.cluster), listAdvertisements(ctx.cluster), operatorPool(ctx.cluster)]);
    if (target.unknown) return skip(`the pool the IP operator reads is unknown: ${target.unknown}`, { details: { reason: 'operator-pool-unknown', poolSource: target.unknown } });
    const want = target.name;
    const pool = (pools ?? []).find((p) => p.metadata?.name === want);
    if (!pool) return skip(`no IPAddressPool ${want} in ${METALLB_NS} to announce (see metallb.default-pool)`, { details: { reason: 'no-pool', pool: want } });
    const labels = pool.metadata?.labels ?? {};
    const selecting = ads
      .map((a) => ({ a, how: advertisementSelects(a.object.spec, { name: want, labels }) }))
      .filter((x): x is { a: (typeof ads)[number]; how: SelectionWay } => x.how !== null);
    const details: Record<string, unknown> = {
      pool: want,
      advertisements: ads.map((a) => ({ kind: a.kind, name: a.name, selects: describeSelection(a.object.spec) })),
    };
    if (selecting.length > 0) {
      details.selecting = selecting.map((s) => ({ kind: s.a.kind, name: s.a.name, how: s.how }));
      details.reason = 'announced';
      const f = selecting[0]!;
      const more = selecting.length > 1 ? ` (+${selecting.length - 1} more)` : '';
      return pass(`${f.a.kind} ${METALLB_NS}/${f.a.name} announces pool ${want} ${HOW[f.how]}${more}`, { details });
    }
    const existing = new Set(ads.map((a) => a.name));
    let name = 'l2advertisement1';
    for (let i = 2; existing.has(name); i++) name = `l2advertisement${i}`;
    const cmd = createL2AdvertisementCommand(name, want);
    const remedy = { summary: `create L2Advertisement ${METALLB_NS}/${name} for pool ${want}`, commands: [cmd], fixId: 'metallb.create-l2-advertisement', params: { pool: want } };
    if (ads.length === 0) {
      details.reason = 'no-advertisements';
      return fail(`no L2Advertisement or BGPAdvertisement in ${METALLB_NS}: addresses of pool ${want} are assigned but never announced`, {
        details,
        hint: `Announce pool ${want} in layer 2 mode: ${cmd}`,
        remedy,
      });
    }
    details.reason = 'pool-not-selected';
    const what = ads.map((a) => `${a.kind} ${a.name} selects ${describeSelection(a.object.spec)}`);
    return fail(`no advertisement selects pool ${want} (${listNames(what, 3)}): its addresses are assigned but never announced`, {
      details,
      hint: `Add pool ${want} to an advertisement (kubectl -n ${METALLB_NS} edit l2advertisements.metallb.io ${ads[0]!.name}) or create one: ${cmd}`,
      remedy,
    });
  },
};
