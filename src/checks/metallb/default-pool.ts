import { fail, pass, skip, warn, type Check } from '../../core/types.js';
import { ClusterError } from '../../cluster/errors.js';
import { METALLB_NS } from '../lib/akash.js';
import { DEFAULT_POOL, FUTURE_LEASE, LEASE_SERVICE_SELECTOR, allocationMiss, listAdvertisements, listNames, listPools, operatorPool, type Advertisement, type AllocationMiss, type LeaseProbe } from '../lib/metallb.js';
import type { CheckContext } from '../../core/types.js';
import type { KubeObject } from '../../cluster/snapshot.js';
import { countForJson, findOverlaps, parsePool, poolSize, type ParsedPool } from '../lib/pools.js';

const RES = 'ipaddresspools.metallb.io';

/** A one-line `kubectl apply` of an IPAddressPool (JSON, so it stays one line). */
export function createPoolCommand(name: string, addresses: string[]): string {
  const obj = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: METALLB_NS }, spec: { addresses, autoAssign: true } };
  return `echo '${JSON.stringify(obj)}' | kubectl apply -f -`;
}

/** Commands that recreate pool `from` under the name `to` (pools cannot be renamed; addresses may not be in two pools). */
export function renamePoolCommands(from: string, to: string): string[] {
  return [
    `kubectl -n ${METALLB_NS} get ${RES} ${from} -o json | jq '{apiVersion, kind, metadata: {name: "${to}", namespace: "${METALLB_NS}", labels: .metadata.labels}, spec}' > pool-${to}.json`,
    `kubectl -n ${METALLB_NS} delete ${RES} ${from}`,
    `kubectl apply -f pool-${to}.json`,
  ];
}

/**
 * Advertisements that name pool `from` in ipAddressPools must name `to` after a rename, or the
 * renamed pool's addresses (every LoadBalancer IP, not only leases) are no longer announced.
 * One JSON patch per advertisement, replacing the entry in place; run after the pool is recreated.
 */
export function repointAdvertisementCommands(ads: readonly Advertisement[], from: string, to: string): string[] {
  const out: string[] = [];
  for (const a of ads) {
    const names: unknown[] = Array.isArray(a.object.spec?.ipAddressPools) ? a.object.spec.ipAddressPools : [];
    const i = names.map(String).indexOf(from);
    if (i < 0 || !a.name) continue;
    const res = a.kind === 'L2Advertisement' ? 'l2advertisements.metallb.io' : 'bgpadvertisements.metallb.io';
    out.push(`kubectl -n ${METALLB_NS} patch ${res} ${a.name} --type=json -p '[{"op":"replace","path":"/spec/ipAddressPools/${i}","value":"${to}"}]'`);
  }
  return out;
}

/** At most this many existing lease namespaces are read to test a serviceAllocation against. */
const MAX_LEASE_PROBES = 20;

/** A new lease, plus the lease Services that exist (their namespaces' labels read), as the allocator sees them. */
async function leaseProbes(ctx: CheckContext): Promise<LeaseProbe[]> {
  const probes: LeaseProbe[] = [FUTURE_LEASE];
  try {
    const svcs = (await ctx.cluster.listServicesAllNamespaces({ labelSelector: LEASE_SERVICE_SELECTOR })).filter((s) => s.spec?.type === 'LoadBalancer').slice(0, MAX_LEASE_PROBES);
    const nsLabels = new Map<string, Record<string, string>>();
    for (const ns of new Set(svcs.map((s) => s.metadata?.namespace ?? ''))) {
      if (ns) nsLabels.set(ns, (await ctx.cluster.getNamespace(ns))?.metadata?.labels ?? {});
    }
    for (const s of svcs) {
      const ns = s.metadata?.namespace ?? '';
      probes.push({ namespace: ns, namespaceLabels: nsLabels.get(ns) ?? {}, serviceLabels: s.metadata?.labels ?? {}, what: `${ns}/${s.metadata?.name}` });
    }
  } catch (e) {
    // unreadable lease Services: judge by a new lease alone
    if (!(e instanceof ClusterError)) throw e;
  }
  return probes;
}

const MISS_WORDS: Record<Exclude<AllocationMiss, 'auto-assign'>, string> = {
  namespace: 'its namespace is not in serviceAllocation.namespaces and matches no serviceAllocation.namespaceSelectors',
  service: 'its labels match no serviceAllocation.serviceSelectors',
  'not-pinned': 'the serviceAllocation names no namespace, namespace selector or service selector, so nothing selects the pool',
};

function describeAllocation(sa: any): string {
  const parts: string[] = [];
  if (Array.isArray(sa?.namespaces) && sa.namespaces.length) parts.push(`namespaces ${listNames(sa.namespaces.map(String), 3)}`);
  if (Array.isArray(sa?.namespaceSelectors) && sa.namespaceSelectors.length) parts.push(`${sa.namespaceSelectors.length} namespaceSelector(s)`);
  if (Array.isArray(sa?.serviceSelectors) && sa.serviceSelectors.length) parts.push(`${sa.serviceSelectors.length} serviceSelector(s)`);
  if (sa?.priority !== undefined) parts.push(`priority ${sa.priority}`);
  return parts.join(', ') || 'empty';
}

/** The pools other than `want` that a new lease is pinned to before any auto-assign pool. */
function poolsCapturingLeases(objects: readonly KubeObject[], want: string): string[] {
  return objects.filter((o) => o.metadata?.name !== want && o.spec?.serviceAllocation && allocationMiss(o.spec, FUTURE_LEASE) === null).map((o) => o.metadata?.name ?? '');
}

export const check: Check = {
  id: 'metallb.default-pool',
  title: 'IPAddressPool default exists with valid, non-overlapping addresses',
  category: 'metallb',
  dependsOn: ['cluster.api', 'metallb.namespace'],
  dependantsStartEarly: true,
  doc: {
    what: 'Lists the IPAddressPools in metallb-system and checks that one is named default (or the name given to the IP operator with --metal-lb-pool), that every address entry is a valid CIDR (a.b.c.d/nn, IPv6 too) or range (start-end), and that no two entries of any pool overlap. Reports the pool size (avoidBuggyIPs skips .0 and .255 addresses). When the IP operator uses pool default it puts no address-pool annotation on lease Services, so MetalLB must be able to auto-assign the pool to them: `autoAssign: false` fails, and so does a `serviceAllocation` that does not cover lease Services (per-lease namespaces labelled akash.network=true, Services labelled akash.network/service-target=metal-lb; tested for a new lease and for the lease Services that exist), because MetalLB skips such a pool for every Service it does not select (metallb/metallb:internal/allocator/allocator.go:360 and :485-525 at v0.14.9; fields in api/v1beta1/ipaddresspool_types.go:35,51,55-66). Another pool whose serviceAllocation selects lease Services warns: leases get their IPs there first. details.reason: pool-ok, operator-pool-unknown, crd-missing, no-pools, pool-missing, invalid-entry, no-addresses, other-pool-invalid, overlap, auto-assign-disabled, service-allocation-excludes-leases, other-pool-captures-leases.',
    why: 'The IP operator reads only pool default (or its --metal-lb-pool; akash-network/provider:cluster/kube/operators/clients/metallb/client.go:89). When the pool has another name it reports 0 free IPs without any error, so the provider never bids on IP leases and nothing in the logs says why. An invalid or overlapping entry makes MetalLB reject its whole configuration, so no Service gets an address. A pool MetalLB may not auto-assign to lease Services leaves every new lease Service <pending> (AllocationFailed: no available IPs), although the operator still counts its addresses as free.',
    fix: 'Create the pool as in the guide: an IPAddressPool named default in metallb-system with your public ranges, e.g. `echo \'{"apiVersion":"metallb.io/v1beta1","kind":"IPAddressPool","metadata":{"name":"default","namespace":"metallb-system"},"spec":{"addresses":["203.0.113.0/28"]}}\' | kubectl apply -f -`. A pool under another name must be recreated as default (pools cannot be renamed): export it with `kubectl -n metallb-system get ipaddresspools.metallb.io <name> -o json`, delete it, and apply it under the name default; update advertisements that name it. Write single addresses as /32, and remove overlapping entries with `kubectl -n metallb-system edit ipaddresspools.metallb.io <name>`. autoAssign: false: `kubectl -n metallb-system patch ipaddresspools.metallb.io default --type=merge -p \'{"spec":{"autoAssign":true}}\'`. A serviceAllocation that misses leases: remove it (`kubectl -n metallb-system patch ipaddresspools.metallb.io default --type=json -p \'[{"op":"remove","path":"/spec/serviceAllocation"}]\'`) or select the lease namespaces with a namespaceSelector on akash.network=true.',
  },
  async run(ctx) {
    const [objects, target] = await Promise.all([listPools(ctx.cluster), operatorPool(ctx.cluster)]);
    const want = target.name;
    const viaFlag = target.source !== 'default' ? ` (the IP operator is started with --metal-lb-pool=${want})` : '';
    if (objects === null) {
      return fail(`the IPAddressPool resource (${RES}) is not installed: MetalLB is older than 0.13 or its CRDs are missing`, {
        details: { reason: 'crd-missing', crd: RES },
        hint: 'Install MetalLB 0.14.9, which brings the CRDs (see metallb.version): helm -n metallb-system upgrade --install metallb metallb/metallb --version 0.14.9',
      });
    }
    if (target.unknown) {
      return skip(`the pool the IP operator reads is unknown: ${target.unknown}`, { details: { reason: 'operator-pool-unknown', poolSource: target.unknown, pools: objects.map((o) => o.metadata?.name ?? '') } });
    }
    const parsed: ParsedPool[] = objects.map((o) => parsePool(o.metadata?.name ?? '', o.spec?.addresses, o.spec?.avoidBuggyIPs === true));
    const names = parsed.map((p) => p.name);
    const details: Record<string, unknown> = { pool: want, ...(viaFlag ? { poolSource: target.source } : {}), pools: names };
    const pool = parsed.find((p) => p.name === want);
    const poolObj = objects.find((o) => o.metadata?.name === want);

    if (!pool) {
      if (parsed.length === 0) {
        details.reason = 'no-pools';
        const cmd = createPoolCommand(want, ['<first-ip>-<last-ip>']);
        return fail(`no IPAddressPool in ${METALLB_NS}: MetalLB has no addresses to give, and the IP operator reports 0 IPs${viaFlag}`, {
          details,
          hint: `Create pool ${want} with your public addresses: ${cmd}`,
          remedy: { summary: `create IPAddressPool ${METALLB_NS}/${want}`, commands: [cmd] },
        });
      }
      details.reason = 'pool-missing';
      const other = names.length === 1 ? names[0]! : undefined;
      // a rename must carry the advertisements along, or the pool's addresses stop being announced
      // (unreadable advertisements: no remedy, since the rename alone could leave the pool unannounced)
      let repoint: string[] | null = [];
      if (other) {
        try {
          repoint = repointAdvertisementCommands(await listAdvertisements(ctx.cluster), other, want);
        } catch (e) {
          if (!(e instanceof ClusterError)) throw e;
          repoint = null;
        }
      }
      const commands = other ? [...renamePoolCommands(other, want), ...(repoint ?? [])] : [];
      return fail(`no IPAddressPool named ${want} (found: ${listNames(names, 5)}): the IP operator reads only pool ${want} and silently reports 0 IPs, so the provider never bids on IP leases${viaFlag}`, {
        details,
        hint: other
          ? `Recreate pool ${other} under the name ${want}, then point advertisements that name ${other} at ${want}: ${commands.join(' && ')}`
          : `Recreate the pool meant for leases under the name ${want}: kubectl -n ${METALLB_NS} get ${RES} <name> -o json, delete it and apply it with metadata.name ${want}`,
        ...(other && repoint
          ? { remedy: { summary: `recreate IPAddressPool ${other} as ${want}${repoint.length ? ' and point its advertisements at it' : ''}`, commands, ...(want === DEFAULT_POOL ? { fixId: 'metallb.rename-pool', params: { from: other, to: want } } : {}) } }
          : {}),
      });
    }

    const ref = `IPAddressPool ${METALLB_NS}/${want}`;
    details.entries = Array.isArray(poolObj?.spec?.addresses) ? poolObj!.spec.addresses : [];
    if (pool.invalid.length > 0) {
      const bad = pool.invalid[0]!;
      details.invalid = pool.invalid;
      details.reason = 'invalid-entry';
      return fail(`${ref} has an invalid address entry "${bad.entry}": ${bad.reason}${pool.invalid.length > 1 ? ` (+${pool.invalid.length - 1} more)` : ''}; MetalLB rejects the whole configuration`, {
        details,
        hint: `Fix the entry (a CIDR like 203.0.113.5/32 or a range like 203.0.113.5-203.0.113.9): kubectl -n ${METALLB_NS} edit ${RES} ${want}`,
      });
    }
    if (pool.ranges.length === 0) {
      details.reason = 'no-addresses';
      return fail(`${ref} has no addresses`, { details, hint: `Add your public addresses: kubectl -n ${METALLB_NS} edit ${RES} ${want}` });
    }
    const otherInvalid = parsed.filter((p) => p !== pool && p.invalid.length > 0);
    if (otherInvalid.length > 0) {
      const p = otherInvalid[0]!;
      details.reason = 'other-pool-invalid';
      details.invalid = otherInvalid.map((x) => ({ pool: x.name, entries: x.invalid }));
      return fail(`IPAddressPool ${METALLB_NS}/${p.name} has an invalid address entry "${p.invalid[0]!.entry}" (${p.invalid[0]!.reason}): MetalLB rejects the whole configuration, pool ${want} included`, {
        details,
        hint: `Fix or delete that pool: kubectl -n ${METALLB_NS} edit ${RES} ${p.name}`,
      });
    }
    const overlaps = findOverlaps(parsed);
    if (overlaps.length > 0) {
      const o = overlaps.find((x) => x.poolA === want || x.poolB === want) ?? overlaps[0]!;
      details.overlaps = overlaps;
      details.reason = 'overlap';
      const where = o.poolA === o.poolB ? `entries ${o.entryA} and ${o.entryB} of IPAddressPool ${o.poolA} overlap` : `IPAddressPool ${o.poolA} entry ${o.entryA} overlaps IPAddressPool ${o.poolB} entry ${o.entryB}`;
      const fixPool = o.poolA === want && o.poolB !== want ? o.poolB : o.poolA;
      return fail(`${where}${overlaps.length > 1 ? ` (+${overlaps.length - 1} more overlaps)` : ''}: MetalLB rejects overlapping pools`, {
        details,
        hint: `Remove the overlapping addresses from one of them: kubectl -n ${METALLB_NS} edit ${RES} ${fixPool}`,
      });
    }
    const size = poolSize(pool.ranges, pool.avoidBuggyIPs);
    details.size = { ipv4: countForJson(size.ipv4), ipv6: countForJson(size.ipv6), total: countForJson(size.total) };
    details.avoidBuggyIPs = pool.avoidBuggyIPs;
    details.autoAssign = poolObj?.spec?.autoAssign ?? true;
    const fam = [size.ipv4 > 0n ? `${size.ipv4} IPv4` : '', size.ipv6 > 0n ? `${size.ipv6} IPv6` : ''].filter(Boolean).join(' + ');
    const n = pool.ranges.length;
    const summary = `${ref}: ${n} entr${n === 1 ? 'y' : 'ies'}, ${fam} addresses${pool.avoidBuggyIPs ? ' (avoidBuggyIPs)' : ''}, no overlaps${names.length > 1 ? ` with ${names.length - 1} other pool${names.length > 2 ? 's' : ''}` : ''}`;

    // Lease Services name no pool when the operator uses `default`: MetalLB must auto-assign it to them.
    const annotated = want !== DEFAULT_POOL;
    details.leaseServicesNamePool = annotated;
    if (!annotated) {
      const spec = poolObj?.spec ?? {};
      if (spec.serviceAllocation) details.serviceAllocation = spec.serviceAllocation;
      if (spec.autoAssign === false) {
        details.reason = 'auto-assign-disabled';
        const cmd = `kubectl -n ${METALLB_NS} patch ${RES} ${want} --type=merge -p '{"spec":{"autoAssign":true}}'`;
        return fail(`${ref} has autoAssign: false: MetalLB assigns it only to Services that name it, and lease Services name no pool, so every new lease Service stays <pending> (AllocationFailed: no available IPs)`, {
          details,
          hint: `Let MetalLB auto-assign the pool: ${cmd}`,
          remedy: { summary: `set autoAssign: true on ${ref}`, commands: [cmd] },
        });
      }
      if (spec.serviceAllocation) {
        const probes = await leaseProbes(ctx);
        const misses = probes.map((p) => ({ p, miss: allocationMiss(spec, p) })).filter((x): x is { p: LeaseProbe; miss: Exclude<AllocationMiss, 'auto-assign'> } => x.miss !== null && x.miss !== 'auto-assign');
        details.leasesChecked = probes.map((p) => p.what);
        if (misses.length > 0) {
          details.reason = 'service-allocation-excludes-leases';
          details.notCovered = misses.map((m) => ({ lease: m.p.what, why: m.miss }));
          const first = misses[0]!;
          const cmd = `kubectl -n ${METALLB_NS} patch ${RES} ${want} --type=json -p '[{"op":"remove","path":"/spec/serviceAllocation"}]'`;
          return fail(`${ref} has a serviceAllocation (${describeAllocation(spec.serviceAllocation)}) that does not cover ${first.p.what} (${MISS_WORDS[first.miss]})${misses.length > 1 ? ` (+${misses.length - 1} more)` : ''}: MetalLB skips the pool for lease Services it does not select, so they stay <pending>`, {
            details,
            hint: `Remove the serviceAllocation (${cmd}), or make it select every lease namespace, e.g. namespaceSelectors: [{matchLabels: {akash.network: "true"}}] (kubectl -n ${METALLB_NS} edit ${RES} ${want})`,
            remedy: { summary: `remove the serviceAllocation of ${ref}`, commands: [cmd] },
          });
        }
      }
      const capturing = poolsCapturingLeases(objects, want);
      if (capturing.length > 0) {
        details.reason = 'other-pool-captures-leases';
        details.capturingPools = capturing;
        return warn(`${summary}; but the serviceAllocation of IPAddressPool ${listNames(capturing)} selects lease Services, so MetalLB gives leases IPs from ${capturing.length === 1 ? 'it' : 'them'} first, which the IP operator does not count`, {
          details,
          hint: `Leave lease Services to pool ${want}: kubectl -n ${METALLB_NS} edit ${RES} ${capturing[0]} (narrow or remove its serviceAllocation)`,
        });
      }
    }
    details.reason = 'pool-ok';
    return pass(summary, { details });
  },
};
