import type { Check } from '../../core/types.js';
import { ClusterError } from '../../cluster/errors.js';
import { error, fail, pass, warn } from '../../core/types.js';
import { AKASH_NS, labelsMatch, METALLB_NS, restartOperatorCommand } from '../lib/akash.js';
import { operatorPoolSetting, operatorTarget } from '../lib/ip-operator.js';
import { probeOperator, snippet } from './health.js';

export interface OperatorUsage {
  /** `Available`: the pool's TOTAL size (metallb_allocator_addresses_total), not the free count. */
  total: number;
  /** `InUse`: metallb_allocator_addresses_in_use_total. */
  inUse: number;
}

/**
 * Parse the operator's /usage answer `{"Available":N,"InUse":M}` (json.Encoder of
 * AddressUsage{Available uint; InUse uint}). Go's decoder matches keys case-insensitively,
 * so the case is tolerated. Null when it is not that shape (both numbers, ≥ 0).
 */
export function parseUsage(body: string): OperatorUsage | null {
  let j: unknown;
  try {
    j = JSON.parse(body);
  } catch {
    return null;
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) return null;
  const o = Object.fromEntries(Object.entries(j as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), v]));
  const total = o.available;
  const inUse = o.inuse;
  if (typeof total !== 'number' || typeof inUse !== 'number' || !Number.isInteger(total) || !Number.isInteger(inUse) || total < 0 || inUse < 0) return null;
  return { total, inUse };
}

/** free = max(0, Available − InUse); the provider also subtracts its own reservations. */
export function freeAddresses(u: OperatorUsage): number {
  return Math.max(0, u.total - u.inUse);
}

export const check: Check = {
  id: 'ip-operator.usage',
  title: 'The IP operator sees free addresses',
  category: 'ip-operator',
  dependsOn: ['ip-operator.health'],
  doc: {
    what: "Calls GET /usage of the IP operator the provider uses, through the service proxy, and reads `{\"Available\":N,\"InUse\":M}` (akash-network/provider:operator/ip/operator.go and types.go, AddressUsage). `Available` is the pool's TOTAL size, metallb_allocator_addresses_total, not the free count (cluster/kube/operators/clients/metallb/client.go:173-174); the provider computes free = Available − InUse − its reservations (cluster/inventory.go:422-433, 463). Free = max(0, Available − InUse); the pool is exhausted when InUse ≥ Available; --pool-low-threshold applies to the free count. The pool is `default` unless the operator runs with --metal-lb-pool or env AP_METAL_LB_POOL/AKASH_METAL_LB_POOL (metallb/client.go:89; operator/common/operator_flags.go).",
    why: 'The provider bids on IP-lease orders only while addresses are free. A 200 `{"Available":0,"InUse":0}` means the operator read MetalLB\'s metrics but found no series for its pool: the pool is not named as the operator expects (`default`, or its --metal-lb-pool override), or Service metallb-system/controller also selects speaker pods (whose metrics have no allocator series). Unreadable metrics do not give 0: they keep the operator\'s barrier locked, and /usage answers 503 with an empty body (see ip-operator.health).',
    fix: 'Exhausted or low: add addresses to the pool (`kubectl -n metallb-system edit ipaddresspool default`). No series: name the pool as the operator expects (or remove/fix the operator\'s --metal-lb-pool / AP_METAL_LB_POOL override), or make Service controller select only the controller pods; then restart the operator: `kubectl -n akash-services delete pod -l app.kubernetes.io/name=ip`.',
  },
  async run(ctx) {
    const t = await operatorTarget(ctx.cluster);
    const s = t.used;
    if (!s) return fail(`no IP operator of the layout the provider uses in ${AKASH_NS} to ask (see ip-operator.installed)`, { details: { reason: 'not-installed' } });
    const r = await probeOperator(ctx, s, 'usage', { accept204: true });
    if ('finding' in r) return r.finding;
    const where = `${AKASH_NS}/${s.layout.name}:${s.layout.portName}/usage`;
    const pool = await operatorPoolSetting(ctx.cluster, s);
    const restart = restartOperatorCommand(s.layout);
    if (r.status === 204) {
      return warn(`${where} answers 204 (no content): the operator has not prepared its usage data yet; check again in a minute`, {
        details: { reason: 'usage-not-prepared', service: s.layout.name, pool: pool.name },
        hint: `if it stays 204, see its log: kubectl -n ${AKASH_NS} logs -l ${s.layout.selector} --tail=50`,
      });
    }
    const usage = parseUsage(r.body);
    if (!usage) {
      return error(`${where} did not answer {"Available":N,"InUse":M} but ${JSON.stringify(snippet(r.body, 60))}`, {
        details: { reason: 'usage-unparsable', service: s.layout.name, contentType: r.contentType },
      });
    }
    const free = freeAddresses(usage);
    const details: Record<string, unknown> = { service: s.layout.name, total: usage.total, inUse: usage.inUse, free, pool: pool.name, poolSource: pool.source };
    const addCmd = `kubectl -n ${METALLB_NS} edit ipaddresspool ${pool.name}`;

    if (usage.total === 0 && usage.inUse === 0) return noSeries(ctx, s.layout.selector, where, pool.name, pool.source, details, restart);

    if (usage.inUse >= usage.total) {
      return fail(`pool ${pool.name} is exhausted: the IP operator reports all ${usage.total} addresses in use (InUse ${usage.inUse} ≥ Available ${usage.total}, where Available is the pool's total), so new IP leases stay pending`, {
        details: { ...details, reason: 'usage-exhausted' },
        hint: `add addresses to the pool: ${addCmd}`,
      });
    }
    if (free <= ctx.options.poolLowThreshold) {
      return warn(`IP operator reports only ${free} free address${free === 1 ? '' : 'es'} in pool ${pool.name} (${usage.inUse} in use of ${usage.total}): new IP leases fail once they run out`, {
        details: { ...details, reason: 'usage-low', threshold: ctx.options.poolLowThreshold },
        hint: `add addresses to the pool: ${addCmd}`,
      });
    }
    return pass(`IP operator reports ${free} free addresses in pool ${pool.name} (${usage.inUse} in use of ${usage.total})`, { details: { ...details, reason: 'usage-ok' } });
  },
};

/** 200 {0,0}: metrics read, no series for the operator's pool. Tell the causes apart with what is cheap to see. */
async function noSeries(ctx: Parameters<Check['run']>[0], selector: string, where: string, pool: string, poolSource: string, details: Record<string, unknown>, restart: string) {
  let poolNames: string[] | null = null;
  try {
    poolNames = (await ctx.cluster.listCustom('metallb.io', 'v1beta1', 'ipaddresspools', METALLB_NS))?.map((p) => p.metadata?.name ?? '') ?? null;
  } catch (e) {
    if (!(e instanceof ClusterError)) throw e; // evidence only: the pool checks report their own errors
  }
  details.pools = poolNames;
  const base = `${where} answers {"Available":0,"InUse":0}: the operator read MetalLB's metrics but found no series for pool ${pool} (${poolSource})`;
  if (poolNames && !poolNames.includes(pool)) {
    const overridden = poolSource !== 'default' && !poolSource.startsWith('default');
    return fail(`${base}, and the pools are ${poolNames.length ? poolNames.join(', ') : 'none'}: the provider sees no free address and never bids on IP orders`, {
      details: { ...details, reason: 'usage-pool-not-found' },
      hint: overridden
        ? `point the operator at an existing pool (${poolSource} says ${pool}; remove the override or set it to ${poolNames[0] ?? 'default'}), then restart it: ${restart}`
        : poolNames.length
          ? `name the pool ${pool} (recreate IPAddressPool ${poolNames[0]} as ${pool} in ${METALLB_NS}), or start the operator with --metal-lb-pool=${poolNames[0]}; then ${restart}`
          : `create IPAddressPool ${pool} in ${METALLB_NS} with your public addresses, then ${restart}`,
    });
  }
  // Service controller selecting speaker pods too: the operator may scrape a speaker
  let speakerPods: string[] = [];
  try {
    const svc = await ctx.cluster.getService(METALLB_NS, 'controller');
    const sel = svc?.spec?.selector;
    if (sel) {
      const pods = await ctx.cluster.listPods(METALLB_NS, {});
      speakerPods = pods
        .filter((p) => labelsMatch(sel, p.metadata?.labels) && /speaker/.test(`${p.metadata?.labels?.component ?? ''} ${p.metadata?.labels?.['app.kubernetes.io/component'] ?? ''} ${p.metadata?.name ?? ''}`))
        .map((p) => p.metadata?.name ?? '?');
    }
  } catch (e) {
    if (!(e instanceof ClusterError)) throw e;
  }
  if (speakerPods.length > 0) {
    return fail(`${base}: Service ${METALLB_NS}/controller also selects speaker pod(s) ${speakerPods.slice(0, 3).join(', ')}, whose metrics have no allocator series, so the provider sees no free address`, {
      details: { ...details, reason: 'usage-controller-selects-speaker', speakerPods },
      hint: `make Service controller select only the controller pods (add the component label to its selector: kubectl -n ${METALLB_NS} edit svc controller), then restart the operator: ${restart}`,
    });
  }
  return fail(`${base}, although pool ${pool} exists: MetalLB has no allocator series for it (an empty or invalid pool, or the operator scraped another endpoint), so the provider never bids on IP orders`, {
    details: { ...details, reason: 'usage-no-series' },
    hint: `compare with MetalLB's own metrics (see metallb.metrics and metallb.controller-service), fix the pool, then restart the operator: ${restart}`,
    remedy: { summary: 'restart the IP operator after fixing the pool', commands: [restart], fixId: 'ip-operator.restart', params: { namespace: AKASH_NS, selector } },
  });
}
