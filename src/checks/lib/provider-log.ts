/**
 * What the provider's own log says about its start-up wait for its operators.
 *
 * At start the provider builds a one-shot waiter over its waitables
 * (akash-network/provider cmd/provider-services/cmd/run.go:737-745): the hostname
 * operator client always, then the IP operator client when --ip-operator /
 * AKASH_IP_OPERATOR is on. The waiter (operator/waiter/waiter.go:60-80) checks them
 * IN THAT ORDER, each until it is ready, retrying every 2 s and logging
 * `not yet ready waitable=<*hostname.client 0x…> err=…`, then `ready waitable=…`,
 * finally `all waitables ready`. Bid engine, cluster and inventory (and so /status)
 * wait for that last line. It never runs again in the same process.
 *
 * Service discovery of each operator (cluster/util/service_discovery_agent.go) runs
 * once per agent: after `dns discovery failed … service-name=operator-ip` the agent
 * never looks again (its result channel is never reset), so the waitable's Check
 * blocks forever and no further waiter line appears. Only a restart of the provider
 * heals that (upstream-facts 1.2; support#105, helm-charts#276).
 */
import type { Snapshot } from '../../cluster/snapshot.js';
import { AKASH_NS, PROVIDER_CONTAINER, PROVIDER_STS, selectorString } from './akash.js';
import { field, matchLogLine } from './log-templates.js';

export type Waitable = 'hostname' | 'ip';

export interface ProviderWaitState {
  /** Lines read from the provider container's current log. */
  lines: number;
  /** `all waitables ready` seen. */
  allReady: boolean;
  /** Waitables that logged `ready`. */
  ready: Waitable[];
  /** The waitable of the last `not yet ready` not followed by its `ready` (what the provider waits for now). */
  waitingFor: Waitable | null;
  /** The error of that last `not yet ready`. */
  lastError: string | null;
  /** How many `not yet ready` lines. */
  notReadyCount: number;
  /** The provider's own discovery of an operator Service failed (and, upstream, is never retried). */
  discoveryFailed: { service: string; error: string } | null;
  /** Last `check result operator=<x> status=<n>` per operator. */
  checkResults: Partial<Record<Waitable, number>>;
}

export function waitableOf(text: string | undefined): Waitable | null {
  if (!text) return null;
  if (/hostname\.client/.test(text)) return 'hostname';
  if (/\bip\.client/.test(text)) return 'ip';
  return null;
}

/** Pure scanner over log lines (exported for unit tests). */
export function scanProviderLog(lines: Iterable<string>): ProviderWaitState {
  const st: ProviderWaitState = { lines: 0, allReady: false, ready: [], waitingFor: null, lastError: null, notReadyCount: 0, discoveryFailed: null, checkResults: {} };
  for (const line of lines) {
    st.lines++;
    const m = matchLogLine(line);
    if (!m) continue;
    switch (m.template.id) {
      case 'waiter-not-ready': {
        const w = waitableOf(m.fields.waitable);
        st.notReadyCount++;
        st.waitingFor = w;
        st.lastError = field(m, 'err|error') ?? null;
        break;
      }
      case 'waiter-ready': {
        const w = waitableOf(m.fields.waitable);
        if (w && !st.ready.includes(w)) st.ready.push(w);
        if (w && st.waitingFor === w) (st.waitingFor = null), (st.lastError = null);
        break;
      }
      case 'waiter-all-ready':
        st.allReady = true;
        st.waitingFor = null;
        st.lastError = null;
        break;
      case 'sda-dns-failed': {
        const svc = m.fields['service-name'];
        if (svc === 'operator-ip' || svc === 'operator-hostname') st.discoveryFailed = { service: svc, error: field(m, 'err|error') ?? '' };
        break;
      }
      case 'operator-check-result': {
        const op = m.fields.operator;
        const status = Number(m.fields.status);
        if ((op === 'ip' || op === 'hostname') && Number.isFinite(status)) st.checkResults[op] = status;
        break;
      }
    }
  }
  // a discovery failure only matters while the provider has not got past its wait
  if (st.allReady) st.discoveryFailed = null;
  return st;
}

/**
 * Scan the provider container's current log, or its previous one when the container is
 * waiting to restart (memoised per run: several checks share one read). The whole current container log is read, not the --log-since window:
 * the waiter logs only at start, which may be long ago. Null when there is no pod.
 */
export async function providerWaitState(snap: Snapshot, signal?: AbortSignal): Promise<ProviderWaitState | null> {
  const pod = `${PROVIDER_STS}-0`;
  const read = (name: string, previous: boolean) =>
    snap.scanLog(
      'provider-waiter',
      AKASH_NS,
      name,
      { container: PROVIDER_CONTAINER, previous },
      () => {
        const buf: string[] = [];
        let state: ProviderWaitState | null = null;
        return {
          // keep only the lines the waiter scan needs (memory stays small on a long log)
          line: (t: string) => {
            if (/not yet ready|\bready\b|dns discovery failed|check result/.test(t)) buf.push(t);
          },
          result: () => (state ??= scanProviderLog(buf)),
        };
      },
      signal,
    );
  // the StatefulSet names its pod akash-provider-0: its log is read at once, with the
  // StatefulSet and the pod list below, instead of waiting for both answers
  read(pod, false).catch(() => undefined);
  // the same list provider.pod makes (the StatefulSet's selector), so the run reads it once
  const sts = await snap.getStatefulSet(AKASH_NS, PROVIDER_STS);
  const selector = selectorString(sts?.spec?.selector?.matchLabels);
  if (!selector) return null;
  const pods = await snap.listPods(AKASH_NS, { labelSelector: selector });
  const name = pods.find((p) => p.metadata?.name === pod)?.metadata?.name ?? pods[0]?.metadata?.name;
  if (!name) return null;
  let scan;
  try {
    scan = await read(name, false);
  } catch (e) {
    // a crash-looping container has no current log (waiting to start): its previous run says what it waited for
    try {
      scan = await read(name, true);
    } catch {
      throw e;
    }
  }
  return { ...scan.result, lines: scan.lines };
}

/** The operator behind a waitable, as a person names it, and where it lives. */
export const WAITABLE_OPERATOR: Record<Waitable, { name: string; service: string; restart: string }> = {
  hostname: { name: 'hostname operator', service: 'operator-hostname', restart: `kubectl -n ${AKASH_NS} delete pod -l app.kubernetes.io/name=hostname` },
  ip: { name: 'IP operator', service: 'operator-ip', restart: `kubectl -n ${AKASH_NS} delete pod -l app.kubernetes.io/name=ip` },
};

/** Restarts the provider pod: the only thing that makes it discover its operators again. */
export const RESTART_PROVIDER_POD = `kubectl -n ${AKASH_NS} delete pod ${PROVIDER_STS}-0`;
