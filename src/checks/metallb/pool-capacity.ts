import { fail, pass, skip, warn, type Check } from '../../core/types.js';
import { ClusterError } from '../../cluster/errors.js';
import { METALLB_NS } from '../lib/akash.js';
import { LEASE_SERVICE_SELECTOR, listPools, operatorPool, poolUsageFromMetrics, readControllerMetrics } from '../lib/metallb.js';
import { countForJson, parsePool, poolContains, poolSize } from '../lib/pools.js';

export type CapacitySource = 'metrics' | 'pool-status' | 'computed';

export interface Capacity {
  source: CapacitySource;
  total: number | bigint;
  inUse: number | bigint;
  free: number | bigint;
  /** Why a better source was not used. */
  notes: string[];
}

const SOURCE_WORDS: Record<CapacitySource, string> = {
  metrics: 'controller metrics',
  'pool-status': 'the pool status',
  computed: 'computed from the pool addresses minus lease Service IPs',
};

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

export const check: Check = {
  id: 'metallb.pool-capacity',
  title: 'Pool default has free addresses',
  category: 'metallb',
  dependsOn: ['cluster.api', 'metallb.namespace', 'metallb.default-pool'],
  doc: {
    what: 'Counts the free addresses of pool default. It uses, in this order, the controller metrics (metallb_allocator_addresses_total minus metallb_allocator_addresses_in_use_total), the pool status (availableIPv4/availableIPv6, MetalLB 0.15 and later), or a count computed from the pool addresses minus the IPs held by lease Services; details.source says which. No free address fails; the low-water mark (`--pool-low-threshold`, default 2) or fewer warns. The metrics are those the IP operator reads (akash-network/provider:cluster/kube/operators/clients/metallb/client.go:173-174); the pool status fields exist since MetalLB 0.15.0 (metallb/metallb:api/v1beta1/ipaddresspool_types.go:70-77 at v0.15.0). details.reason: capacity-ok, operator-pool-unknown, pool-low, pool-exhausted, capacity-unknown.',
    why: 'When the pool is exhausted a new IP lease\'s Service stays <pending> (MetalLB event AllocationFailed: no available IPs) and the IP operator reports no free IPs, so the provider stops bidding on IP leases.',
    fix: 'Add public addresses to the pool: `kubectl -n metallb-system edit ipaddresspools.metallb.io default` and append CIDRs or ranges under spec.addresses (they must not overlap other pools). Closed leases free their IPs by themselves.',
  },
  async run(ctx) {
    const target = await operatorPool(ctx.cluster);
    if (target.unknown) return skip(`the pool the IP operator reads is unknown: ${target.unknown}`, { details: { reason: 'operator-pool-unknown', poolSource: target.unknown } });
    const want = target.name;
    const notes: string[] = [];
    let cap: Capacity | null = null;

    // 1. what the IP operator itself reads
    try {
      const res = await readControllerMetrics(ctx.cluster);
      if (res.metrics) {
        const u = poolUsageFromMetrics(res.metrics, want);
        if (u.total !== undefined && Number.isFinite(u.total)) {
          const inUse = u.inUse !== undefined && Number.isFinite(u.inUse) ? u.inUse : 0;
          cap = { source: 'metrics', total: u.total, inUse, free: Math.max(0, u.total - inUse), notes };
        } else notes.push(`metrics have no series for pool ${want}`);
      } else notes.push(`metrics unreadable (HTTP ${res.status})`);
    } catch (e) {
      if (!(e instanceof ClusterError)) throw e;
      notes.push(`metrics unreadable (${e.kind})`);
    }

    const pools = cap ? null : await listPools(ctx.cluster);
    const pool = pools?.find((p) => p.metadata?.name === want);
    // 2. the pool status (MetalLB >= 0.15)
    if (!cap && pool) {
      const st = pool.status ?? {};
      const a4 = num(st.availableIPv4);
      const a6 = num(st.availableIPv6);
      if (a4 !== undefined || a6 !== undefined) {
        const free = (a4 ?? 0) + (a6 ?? 0);
        const inUse = (num(st.assignedIPv4) ?? 0) + (num(st.assignedIPv6) ?? 0);
        cap = { source: 'pool-status', total: free + inUse, inUse, free, notes };
      } else notes.push('the pool has no status counts (MetalLB before 0.15)');
    }
    // 3. computed from the spec minus the lease Services' IPs
    if (!cap && pool) {
      const parsed = parsePool(want, pool.spec?.addresses, pool.spec?.avoidBuggyIPs === true);
      const size = poolSize(parsed.ranges, parsed.avoidBuggyIPs).total;
      const svcs = await ctx.cluster.listServicesAllNamespaces({ labelSelector: LEASE_SERVICE_SELECTOR });
      const ips = new Set<string>();
      for (const s of svcs) for (const ing of s.status?.loadBalancer?.ingress ?? []) if (ing.ip && poolContains(parsed, ing.ip)) ips.add(ing.ip);
      const inUse = BigInt(ips.size);
      cap = { source: 'computed', total: size, inUse, free: size > inUse ? size - inUse : 0n, notes };
      notes.push('only lease Services are counted: other LoadBalancer Services using the pool are not');
    }
    if (!cap) {
      return fail(`cannot count free addresses of pool ${want}: ${notes.join('; ') || 'no IPAddressPool found'}`, {
        details: { reason: 'capacity-unknown', pool: want, notes },
        hint: `Check the pool exists (see metallb.default-pool): kubectl -n ${METALLB_NS} get ipaddresspools.metallb.io`,
      });
    }

    const big = (v: number | bigint): bigint => (typeof v === 'bigint' ? v : BigInt(Math.floor(v)));
    const free = big(cap.free);
    const total = big(cap.total);
    const threshold = BigInt(Math.max(0, Math.floor(ctx.options.poolLowThreshold)));
    const details: Record<string, unknown> = {
      pool: want,
      source: cap.source,
      total: countForJson(total),
      inUse: countForJson(big(cap.inUse)),
      free: countForJson(free),
      threshold: Number(threshold),
      ...(notes.length ? { notes } : {}),
    };
    const from = `source: ${SOURCE_WORDS[cap.source]}`;
    const edit = `kubectl -n ${METALLB_NS} edit ipaddresspools.metallb.io ${want}`;
    if (free <= 0n) {
      details.reason = 'pool-exhausted';
      return fail(`pool ${want} is exhausted: 0 of ${total} addresses free (${from}); new IP leases stay pending`, {
        details,
        hint: `Add public addresses to spec.addresses of the pool: ${edit}`,
      });
    }
    if (free <= threshold) {
      details.reason = 'pool-low';
      return warn(`pool ${want} is nearly exhausted: ${free} of ${total} addresses free, at or below the low-water mark of ${threshold} (${from})`, {
        details,
        hint: `Add public addresses before it runs out: ${edit}`,
      });
    }
    details.reason = 'capacity-ok';
    return pass(`pool ${want}: ${free} of ${total} addresses free (${from})`, { details });
  },
};
