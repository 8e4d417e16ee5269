import type { Check } from '../../core/types.js';
import { ClusterError } from '../../cluster/errors.js';
import { error, fail, pass, warn } from '../../core/types.js';
import { AKASH_NS, METALLB_NS } from '../lib/akash.js';
import { operatorStates, preferred } from '../lib/ip-operator.js';
import { operatorPool } from '../lib/metallb.js';
import { probeOperator, snippet } from './health.js';

export interface OperatorUsage {
  available: number;
  inUse: number;
}

/** Parse the operator's /usage answer `{"Available":N,"InUse":N}` (key case tolerated). Null when it is not that. */
export function parseUsage(body: string): OperatorUsage | null {
  let j: unknown;
  try {
    j = JSON.parse(body);
  } catch {
    return null;
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) return null;
  const o = Object.fromEntries(Object.entries(j as Record<string, unknown>).map(([k, v]) => [k.toLowerCase().replace(/[-_]/g, ''), v]));
  const available = Number(o.available);
  const inUse = Number(o.inuse ?? 0);
  if (o.available === undefined || o.available === null || !Number.isFinite(available) || !Number.isFinite(inUse)) return null;
  return { available, inUse };
}

export const check: Check = {
  id: 'ip-operator.usage',
  title: 'The IP operator sees free addresses',
  category: 'ip-operator',
  dependsOn: ['ip-operator.health'],
  doc: {
    what: "Calls the IP operator's GET /usage through the service proxy and reads `{\"Available\":N,\"InUse\":N}`: the addresses the operator believes it can hand out, taken from MetalLB's metrics for the pool named `default`.",
    why: 'The provider bids on IP-lease orders only while the operator reports free addresses. The operator reports 0 silently when the pool is not named `default`, when MetalLB\'s metrics are unreachable (no `controller` Service with a `monitoring` port, or MetalLB 0.16+), or when the pool is exhausted.',
    fix: 'Name the pool `default` (or start the operator with `--metal-lb-pool <name>`), make MetalLB\'s metrics reachable (see the metallb.controller-service and metallb.metrics checks), or add addresses to the pool (`kubectl -n metallb-system edit ipaddresspool default`). Restart the operator after fixing MetalLB: `kubectl -n akash-services delete pod -l app.kubernetes.io/name=ip`.',
  },
  async run(ctx) {
    const states = preferred(await operatorStates(ctx.cluster));
    const s = states[0];
    if (!s) return fail(`no IP operator in ${AKASH_NS} to ask (see ip-operator.installed)`);
    const r = await probeOperator(ctx, s, 'usage');
    if ('finding' in r) return r.finding;
    const where = `${AKASH_NS}/${s.layout.name}:${s.layout.portName}/usage`;
    const usage = parseUsage(r.body);
    if (!usage) {
      return error(`${where} did not answer {"Available":N,"InUse":N} but ${JSON.stringify(snippet(r.body, 60))}`, { details: { service: s.layout.name, contentType: r.contentType } });
    }
    const total = usage.available + usage.inUse;
    const details: Record<string, unknown> = { service: s.layout.name, available: usage.available, inUse: usage.inUse };

    if (usage.available > 0) {
      const low = usage.available <= ctx.options.poolLowThreshold;
      if (low) {
        return warn(`IP operator reports only ${usage.available} free addresses (${usage.inUse} in use of ${total}): new IP leases fail once they run out`, {
          details: { ...details, threshold: ctx.options.poolLowThreshold },
          hint: `add addresses to the pool: kubectl -n ${METALLB_NS} edit ipaddresspool default`,
        });
      }
      return pass(`IP operator reports ${usage.available} free addresses (${usage.inUse} in use)`, { details });
    }

    // Available 0: tell the causes apart with what is cheap to see.
    const { name: pool, source: poolSource } = await operatorPool(ctx.cluster);
    let poolNames: string[] | null = null;
    try {
      poolNames = (await ctx.cluster.listCustom('metallb.io', 'v1beta1', 'ipaddresspools', METALLB_NS))?.map((p) => p.metadata?.name ?? '') ?? null;
    } catch (e) {
      if (!(e instanceof ClusterError)) throw e; // evidence only: the pool checks report their own errors
    }
    details.pool = pool;
    details.poolSource = poolSource;
    details.pools = poolNames;
    const restart = `kubectl -n ${AKASH_NS} delete pod -l ${s.layout.selector}`;

    if (usage.inUse > 0) {
      return fail(`IP operator reports 0 free addresses: all ${usage.inUse} addresses of pool ${pool} are in use, new IP leases stay pending`, {
        details,
        hint: `add addresses to the pool: kubectl -n ${METALLB_NS} edit ipaddresspool ${pool}`,
      });
    }
    if (poolNames && !poolNames.includes(pool)) {
      return fail(`IP operator reports 0 addresses (Available 0, InUse 0): it reads pool ${pool}, but the pools are ${poolNames.length ? poolNames.join(', ') : 'none'}, so the provider never bids on IP orders`, {
        details,
        hint: poolNames.length
          ? `name the pool ${pool} (recreate IPAddressPool ${poolNames[0]} as ${pool} in ${METALLB_NS}), or start the operator with --metal-lb-pool ${poolNames[0]}; then ${restart}`
          : `create IPAddressPool ${pool} in ${METALLB_NS} with your public addresses, then ${restart}`,
      });
    }
    return fail(`IP operator reports 0 addresses (Available 0, InUse 0) although pool ${pool} exists: it cannot read MetalLB's metrics (controller Service, monitoring port, MetalLB ≥ 0.16) or the pool is empty, so the provider never bids on IP orders`, {
      details,
      hint: `check the metallb.controller-service and metallb.metrics results, fix MetalLB, then restart the operator: ${restart}`,
      remedy: { summary: 'restart the IP operator after fixing MetalLB metrics', commands: [restart], fixId: 'ip-operator.restart', params: { namespace: AKASH_NS, selector: s.layout.selector } },
    });
  },
};
