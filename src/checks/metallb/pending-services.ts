import type * as k8s from '@kubernetes/client-node';
import { fail, pass, type Check } from '../../core/types.js';
import { METALLB_NS } from '../lib/akash.js';
import { ClusterError } from '../../cluster/errors.js';
import { DEFAULT_POOL, FUTURE_LEASE, LEASE_SERVICE_SELECTOR, allocationMiss, findController, listNames, listPools, operatorPool } from '../lib/metallb.js';

/** At most this many pending Services get an event lookup (one request each). */
export const MAX_EVENT_LOOKUPS = 20;

export type PendingCause = 'no-available-ips' | 'allocation-failed' | 'no-event';

export interface PendingService {
  name: string;
  cause: PendingCause;
  event?: string;
}

function eventTime(e: k8s.CoreV1Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
  const ms = t ? new Date(t as unknown as string).getTime() : 0;
  return Number.isFinite(ms) ? ms : 0;
}

/** Classify MetalLB's AllocationFailed text. */
export function pendingCause(message: string | undefined): PendingCause {
  if (message === undefined) return 'no-event';
  return /no available IPs/i.test(message) ? 'no-available-ips' : 'allocation-failed';
}

export const check: Check = {
  id: 'metallb.pending-services',
  title: 'Every lease LoadBalancer Service has its IP',
  category: 'metallb',
  dependsOn: ['cluster.api'],
  doc: {
    what: 'Lists the IP-lease Services of all namespaces (label akash.network/service-target=metal-lb) of type LoadBalancer and reports those without an ingress IP, with MetalLB\'s AllocationFailed event text for each (looked up for at most 20 pending Services; the event is `Failed to allocate IP for "<ns>/<name>": <error>`, metallb/metallb:controller/service.go:174 at v0.14.9). "no available IPs" is what MetalLB says both for an exhausted pool and when no pool may be auto-assigned to the Service (internal/allocator/allocator.go:360-370), so the pool default is read to tell them apart. details.reason: no-lease-services, all-assigned, pool-exhausted, pool-not-assignable, allocation-failed, no-event.',
    why: 'A lease Service without an IP is a tenant\'s IP lease that does not work: the tenant pays for an address nobody can reach. The event says why: "no available IPs" means the pool is exhausted; other texts point at the pool or the Service annotations; no event at all usually means the MetalLB controller is not processing Services.',
    fix: 'Pool exhausted: add addresses with `kubectl -n metallb-system edit ipaddresspools.metallb.io default`. Other allocation errors: read the event with `kubectl -n <namespace> describe service <name>`. No event: check the MetalLB controller (metallb.installed) and its logs, `kubectl -n metallb-system logs deployment/metallb-controller`.',
  },
  async run(ctx) {
    const all = await ctx.cluster.listServicesAllNamespaces({ labelSelector: LEASE_SERVICE_SELECTOR });
    const lb = all.filter((s) => s.spec?.type === 'LoadBalancer');
    const pending = lb.filter((s) => !(s.status?.loadBalancer?.ingress ?? []).some((i) => i.ip || i.hostname));
    const details: Record<string, unknown> = { leaseServices: lb.length, pending: pending.length };
    if (lb.length === 0) return pass(`no lease LoadBalancer Services (${LEASE_SERVICE_SELECTOR}) yet`, { details: { ...details, reason: 'no-lease-services' } });
    if (pending.length === 0) return pass(lb.length === 1 ? 'the 1 lease LoadBalancer Service has its IP' : `all ${lb.length} lease LoadBalancer Services have their IP`, { details: { ...details, reason: 'all-assigned' } });

    const looked = pending.slice(0, MAX_EVENT_LOOKUPS);
    const results: PendingService[] = await Promise.all(
      looked.map(async (s) => {
        const ns = s.metadata!.namespace!;
        const name = s.metadata!.name!;
        const events = await ctx.cluster.listEvents(ns, { fieldSelector: `involvedObject.name=${name},reason=AllocationFailed` });
        const latest = [...events].sort((a, b) => eventTime(b) - eventTime(a))[0];
        const text = latest?.message?.split('\n')[0]?.slice(0, 200);
        return { name: `${ns}/${name}`, cause: pendingCause(text), ...(text ? { event: text } : {}) };
      }),
    );
    const rest = pending.slice(MAX_EVENT_LOOKUPS).map((s) => ({ name: `${s.metadata?.namespace}/${s.metadata?.name}`, cause: 'no-event' as const, unchecked: true }));
    details.services = [...results, ...rest];
    if (rest.length) details.eventsNotLookedUp = rest.length;

    const exhausted = results.filter((r) => r.cause === 'no-available-ips');
    const failed = results.filter((r) => r.cause === 'allocation-failed');
    const silent = results.filter((r) => r.cause === 'no-event');
    const head = `${pending.length} of ${lb.length} lease LoadBalancer Service${lb.length === 1 ? '' : 's'} ${pending.length === 1 ? 'has' : 'have'} no IP`;
    const first = results[0]!;
    const firstText = first.event ? `${first.name}: AllocationFailed: ${first.event}` : `${first.name}: no AllocationFailed event`;
    const others = pending.length > 1 ? `; also ${listNames(pending.slice(1).map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`), 3)}` : '';

    let hint: string;
    // "no available IPs" also means: no pool may be auto-assigned to lease Services
    let notAssignable: string | null = null;
    if (exhausted.length > 0) {
      try {
        const target = await operatorPool(ctx.cluster);
        const pool = target.name === DEFAULT_POOL && !target.unknown ? (await listPools(ctx.cluster))?.find((p) => p.metadata?.name === DEFAULT_POOL) : undefined;
        const miss = pool ? allocationMiss(pool.spec, FUTURE_LEASE) : null;
        if (miss) notAssignable = miss === 'auto-assign' ? 'it has autoAssign: false' : 'its serviceAllocation does not select lease Services';
      } catch (e) {
        if (!(e instanceof ClusterError)) throw e;
      }
    }
    if (notAssignable) {
      details.reason = 'pool-not-assignable';
      hint = `MetalLB may not assign pool ${DEFAULT_POOL} to lease Services (${notAssignable}), hence "no available IPs"; see metallb.default-pool`;
    } else if (exhausted.length > 0) {
      details.reason = 'pool-exhausted';
      hint = `The pool is exhausted (MetalLB: no available IPs): add addresses with kubectl -n ${METALLB_NS} edit ipaddresspools.metallb.io default (see metallb.pool-capacity)`;
    } else if (failed.length > 0) {
      details.reason = 'allocation-failed';
      const [ns, name] = failed[0]!.name.split('/');
      hint = `MetalLB could not allocate: read the event and the Service annotations: kubectl -n ${ns} describe service ${name}`;
    } else {
      details.reason = 'no-event';
      let ctrl: string | undefined;
      try {
        ctrl = (await findController(ctx.cluster))?.name;
      } catch (e) {
        if (!(e instanceof ClusterError)) throw e;
      }
      hint = `MetalLB left no event: check the controller is running and processing Services (see metallb.installed)${ctrl ? `: kubectl -n ${METALLB_NS} logs deployment/${ctrl}` : ''}`;
    }
    details.causes = { noAvailableIps: exhausted.length, allocationFailed: failed.length, noEvent: silent.length };
    return fail(`${head} (${firstText})${others}`, { details, hint });
  },
};
