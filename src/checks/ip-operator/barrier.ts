import type * as k8s from '@kubernetes/client-node';
import { ClusterError } from '../../cluster/errors.js';
import { error, skip, fail, pass, warn, type Check } from '../../core/types.js';
import { AKASH_NS, ipOperatorPods, RESTART_PROVIDER, restartOperatorCommand, type IpOperatorLayout } from '../lib/akash.js';
import { installOperatorAdvice, layoutWords, operatorTarget, type LayoutState } from '../lib/ip-operator.js';
import { barrierScanner, DNS_FAILED_TEXT, LOCKED_TEXT, OBSERVATION_STOPPED_TEXT, UNLOCKED_TEXT, type BarrierScan } from '../lib/barrier-scan.js';
import type { Snapshot } from '../../cluster/snapshot.js';


/** "30m", "2h", "1h30m", "45s" */
export function formatWindow(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 3600 && seconds % 60 === 0) return `${Math.floor(seconds / 3600)}h${(seconds % 3600) / 60}m`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** "current chart, operator-ip" / "old chart, akash-ip-operator" */
function short(l: IpOperatorLayout): string {
  return `${l.layout === 'new' ? 'current chart' : 'old chart'}, ${l.name}`;
}

interface PodScan {
  layout: IpOperatorLayout;
  pod: string;
  phase: string;
  scan?: BarrierScan;
  lines?: number;
  /** The log read was the previous container's (the current one is crash-looping). */
  previousLog?: boolean;
  error?: ClusterError | Error;
}

type HealthProbe = { result: 'ok' | 'locked' | 'unknown'; status?: number; detail: string };

/** GET /health of a layout through the service proxy: 200 = unlocked, 503 from the operator = locked. */
async function probeHealth(snap: Snapshot, s: LayoutState): Promise<HealthProbe> {
  const l = s.layout;
  try {
    const svc = await snap.getService(AKASH_NS, l.name);
    if (!svc) return { result: 'unknown', detail: `Service ${AKASH_NS}/${l.name} not found` };
    if (!(svc.spec?.ports ?? []).some((p) => p.name === l.portName)) return { result: 'unknown', detail: `Service ${AKASH_NS}/${l.name} has no port ${l.portName}` };
    const res = await snap.proxyGet(AKASH_NS, l.name, l.portName, 'health');
    if (res.status === 200) return { result: 'ok', status: 200, detail: '/health answers 200' };
    if (res.status === 503 && !/"kind"\s*:\s*"Status"/.test(res.body)) return { result: 'locked', status: 503, detail: '/health answers 503 (barrier locked)' };
    return { result: 'unknown', status: res.status, detail: `/health answers HTTP ${res.status}` };
  } catch (e) {
    if (e instanceof ClusterError && e.kind === 'forbidden') return { result: 'unknown', detail: 'the service proxy is forbidden' };
    if (e instanceof ClusterError) return { result: 'unknown', detail: e.message.split('\n')[0] ?? 'proxy error' };
    throw e;
  }
}

function evidence(scan: BarrierScan): string {
  const parts: string[] = [];
  if (scan.lockLinesSinceUnlock) parts.push(`${scan.lockLinesSinceUnlock} "${LOCKED_TEXT}"`);
  if (scan.dnsFailures) parts.push(`${scan.dnsFailures} "${DNS_FAILED_TEXT}"`);
  if (scan.observationStops) parts.push(`${scan.observationStops} "${OBSERVATION_STOPPED_TEXT}"`);
  return parts.join(', ') || 'no line';
}

export const check: Check = {
  id: 'ip-operator.barrier',
  title: 'IP operator barrier is not stuck locked',
  category: 'ip-operator',
  dependsOn: ['cluster.api'],
  doc: {
    what: 'Looks at the IP operator the provider uses (see ip-operator.installed; current chart: operator-ip, app.kubernetes.io/name=ip; old chart ≤ 8.x: akash-ip-operator, app=akash-ip-operator). It reads the recent log of each operator pod and calls GET /health through the service proxy. The barrier starts locked and opens with the log line "barrier can now be passed" once the start-up (MetalLB metrics, lease list and watch, PrepareAll) succeeded; while locked every request gets 503 with an empty body and the log line "barrier is locked, can\'t service request" (akash-network/provider:operator/ip/operator.go:123 and :486-495). A failed loop logs "dns discovery failed" (cmp=service-discovery-agent, cluster/util/service_discovery_agent.go) or "observation stopped" and locks the barrier again. Passes only on positive evidence: "barrier can now be passed" after the last lock / failure line, or /health 200. A lock that cleared (an unlock after it, e.g. after one 3 s loop restart) is not a fault.',
    why: 'The operator answers every request with 503 until its barrier unlocks; the provider waits for it at start and its /status hangs. The operator has no probes, so a stuck pod still shows Running. The operator logs a lock only when it is called, so a log without lock lines proves nothing by itself.',
    fix: 'Restart the operator pod with the selector of your layout: `kubectl -n akash-services delete pod -l app.kubernetes.io/name=ip` (current chart) or `kubectl -n akash-services delete pod -l app=akash-ip-operator` (old chart; the guide\'s command). A provider whose own service discovery failed never retries it: restart the provider too: `kubectl -n akash-services rollout restart statefulset akash-provider`. When it keeps locking, fix the MetalLB checks first. Without an operator, install it: `helm install akash-ip-operator akash/akash-ip-operator -n akash-services --version 19.0.2 --set provider_address=<provider-address>`.',
  },
  async run(ctx) {
    const t = await operatorTarget(ctx.cluster);
    if (t.states.length === 0) {
      const { address, hint, remedy } = await installOperatorAdvice(ctx.cluster);
      return fail(`IP operator not installed: no Deployment operator-ip (current chart) or akash-ip-operator (old chart), and no pods labelled app.kubernetes.io/name=ip or app=akash-ip-operator in ${AKASH_NS}`, {
        details: { reason: 'not-installed', layout: null, providerAddress: address },
        hint,
        remedy,
      });
    }
    if (!t.used) {
      return fail(`the provider (${t.provider.version}) looks only for ${layoutWords(t.needed!)}, which is not installed: no operator it calls can unlock (see ip-operator.installed)`, {
        details: { reason: 'layout-mismatch', needed: t.needed, installed: t.states.map((s) => s.layout.name) },
        hint: 'install the operator chart the provider needs; see ip-operator.installed for the commands',
      });
    }
    const layouts: IpOperatorLayout[] = (t.needed ? [t.used] : t.states).map((s) => s.layout);

    const window = formatWindow(ctx.options.logSinceSeconds);
    const scans: PodScan[] = [];
    const emptyLayouts: IpOperatorLayout[] = [];
    for (const layout of layouts) {
      const pods = await ipOperatorPods(ctx.cluster, layout);
      if (pods.length === 0) {
        emptyLayouts.push(layout);
        continue;
      }
      await Promise.all(
        pods.map(async (p: k8s.V1Pod) => {
          const pod = p.metadata?.name ?? '?';
          const names = (p.spec?.containers ?? []).map((c) => c.name);
          const container = names.includes(layout.container) ? layout.container : names.length > 1 ? names[0] : undefined;
          const entry: PodScan = { layout, pod, phase: p.status?.phase ?? 'Unknown' };
          // a crash-looping container has no current log: read the one that just died
          const cs = p.status?.containerStatuses?.find((c) => c.name === (container ?? names[0]));
          const previous = !!cs?.state?.waiting && (cs.restartCount ?? 0) > 0;
          if (previous) entry.previousLog = true;
          scans.push(entry);
          try {
            const r = await ctx.cluster.scanLog(
              'ip-operator.barrier',
              AKASH_NS,
              pod,
              { container, sinceSeconds: previous ? undefined : ctx.options.logSinceSeconds, tailLines: ctx.options.logTailLines, previous },
              barrierScanner,
              ctx.signal,
            );
            entry.scan = r.result;
            entry.lines = r.lines;
          } catch (e) {
            entry.error = e instanceof Error ? e : new Error(String(e));
          }
        }),
      );
    }
    scans.sort((a, b) => a.pod.localeCompare(b.pod));

    const layoutNames = layouts.map((l) => l.layout);
    const details: Record<string, unknown> = {
      layout: layoutNames.length === 1 ? layoutNames[0] : layoutNames,
      operators: layouts.map((l) => ({ layout: l.layout, name: `${AKASH_NS}/${l.name}`, selector: l.selector })),
      window,
      pods: scans.map((s) => ({
        pod: s.pod,
        layout: s.layout.layout,
        phase: s.phase,
        ...(s.previousLog ? { previousLog: true } : {}),
        ...(s.scan ? { lockLines: s.scan.lockLines, unlockLines: s.scan.unlockLines, dnsFailures: s.scan.dnsFailures, observationStops: s.scan.observationStops, locked: s.scan.locked, linesRead: s.lines } : {}),
        ...(s.error ? { error: s.error.message } : {}),
      })),
    };

    if (emptyLayouts.length > 0 && scans.length === 0) {
      const l = emptyLayouts[0]!;
      const replicas = l.deployment?.spec?.replicas;
      const why = replicas === 0 ? 'it is scaled to 0 replicas' : 'check its events: kubectl -n akash-services describe deployment ' + l.name;
      return fail(`IP operator Deployment ${AKASH_NS}/${l.name} (${short(l)}) has no pods, so no operator serves the provider: ${why}`, {
        details: { ...details, reason: 'no-pods' },
        hint: replicas === 0 ? `Scale it up: kubectl -n ${AKASH_NS} scale deployment ${l.name} --replicas=1` : `kubectl -n ${AKASH_NS} describe deployment ${l.name}; kubectl -n ${AKASH_NS} get events --sort-by=.lastTimestamp`,
        ...(replicas === 0 ? { remedy: { summary: `scale Deployment ${AKASH_NS}/${l.name} to 1 replica`, commands: [`kubectl -n ${AKASH_NS} scale deployment ${l.name} --replicas=1`] } } : {}),
      });
    }

    // /health of the operator the provider uses: positive evidence either way
    const health = await probeHealth(ctx.cluster, t.used);
    details.health = { result: health.result, ...(health.status !== undefined ? { status: health.status } : {}), detail: health.detail };

    const stuck = scans.filter((s) => s.scan?.locked);
    const restartAll = (ls: IpOperatorLayout[]) => ls.map((l) => restartOperatorCommand(l));
    if (stuck.length > 0 && health.result !== 'ok') {
      const stuckLayouts = [...new Map(stuck.map((s) => [s.layout.selector, s.layout])).values()];
      const first = stuck[0]!;
      const restarts = restartAll(stuckLayouts);
      const podList = stuck.map((s) => `${AKASH_NS}/${s.pod}`).join(', ');
      const confirm = health.result === 'locked' ? '; /health answers 503' : '';
      return fail(
        `IP operator barrier is still locked in pod ${podList} (${short(first.layout)}): ${evidence(first.scan!)} line(s) in the last ${window} with no "${UNLOCKED_TEXT}" after the last one${confirm}`,
        {
          details: { ...details, reason: 'locked', lastLockLine: first.scan!.lastLockLine, lastStuckLine: first.scan!.lastStuckLine },
          hint: `Restart the operator pod: ${restarts.join(' && ')}; if the provider's /status still hangs afterwards, restart the provider too (its own failed service discovery is never retried): ${RESTART_PROVIDER}`,
          remedy: {
            summary: `restart the IP operator pod (selector ${first.layout.selector}); restart the provider too if /status still hangs`,
            commands: restarts,
            fixId: 'ip-operator.restart',
            params: { selector: first.layout.selector, namespace: AKASH_NS },
          },
        },
      );
    }
    if (health.result === 'locked') {
      const restarts = restartAll([t.used.layout]);
      return fail(`IP operator ${AKASH_NS}/${t.used.layout.name} answers /health with 503: its barrier is locked (its log in the last ${window} shows ${scans.some((s) => s.scan) ? 'no unlock after a lock' : 'nothing readable'})`, {
        details: { ...details, reason: 'locked-health-503' },
        hint: `Restart the operator pod: ${restarts.join(' && ')}; restart the provider too if /status still hangs: ${RESTART_PROVIDER}`,
        remedy: { summary: `restart the IP operator pod (selector ${t.used.layout.selector})`, commands: restarts, fixId: 'ip-operator.restart', params: { selector: t.used.layout.selector, namespace: AKASH_NS } },
      });
    }

    const read = scans.filter((s) => s.scan);
    const unread = scans.filter((s) => !s.scan);
    // no log readable for lack of permission: the check could not decide (cluster.permissions names the grant)
    const denied = unread.find((s) => s.error instanceof ClusterError && s.error.kind === 'forbidden');
    if (read.length === 0 && denied) throw denied.error;
    const which = layouts.map(short).join(' and ');
    if (read.length === 0 && health.result !== 'ok' && scans.length > 0 && scans.every((s) => s.previousLog)) {
      // every pod is crash-looping and not even the container that just died left a log: no
      // barrier exists to judge; ip-operator.installed reports the crash loop itself
      return skip(`IP operator pod ${scans.map((s) => `${AKASH_NS}/${s.pod}`).join(', ')} is crash-looping and left no readable log, so it has no barrier to judge (see ip-operator.installed)`, {
        details: { ...details, reason: 'not-running' },
        hint: `kubectl -n ${AKASH_NS} describe pod -l ${scans[0]!.layout.selector}`,
      });
    }
    if (read.length === 0 && health.result !== 'ok') {
      const e = scans[0]?.error;
      if (e instanceof ClusterError && e.kind === 'forbidden') throw e;
      const notRunning = scans.filter((s) => s.phase !== 'Running');
      return error(
        `could not read the log of IP operator pod ${scans.map((s) => `${AKASH_NS}/${s.pod}`).join(', ')}${notRunning.length ? ` (phase ${notRunning.map((s) => s.phase).join(', ')})` : ''} and ${health.detail}: ${(e?.message ?? 'unknown error').split('\n')[0]}`,
        { details: { ...details, reason: 'log-unreadable' }, hint: `kubectl -n ${AKASH_NS} logs -l ${scans[0]?.layout.selector ?? layouts[0]!.selector} --tail=50` },
      );
    }
    const pods = read.map((s) => `${AKASH_NS}/${s.pod}`).join(', ');
    if (unread.length > 0) {
      // an unread pod may be the stuck one: not a pass
      const e = unread[0]!.error;
      return warn(
        `IP operator barrier is not locked in pod ${pods || '(none read)'} (${which}), but the log of ${unread.map((s) => `${AKASH_NS}/${s.pod}`).join(', ')} could not be read, so that pod's barrier is unknown: ${(e?.message ?? 'unknown error').split('\n')[0]}`,
        {
          details: { ...details, reason: 'log-partly-unreadable' },
          hint: `Read it by hand and look for "${LOCKED_TEXT}" with no "${UNLOCKED_TEXT}" after it: kubectl -n ${AKASH_NS} logs ${unread[0]!.pod} --tail=50`,
        },
      );
    }
    const lockLines = read.reduce((n, s) => n + s.scan!.lockLines, 0);
    const unlocked = read.filter((s) => s.scan!.unlockLines > 0);
    if (stuck.length > 0 && health.result === 'ok') {
      return pass(`IP operator ${AKASH_NS}/${t.used.layout.name} answers /health with 200: its barrier is open now, although the log of ${stuck.map((s) => s.pod).join(', ')} has no "${UNLOCKED_TEXT}" after its last lock (${evidence(stuck[0]!.scan!)} line(s) in the last ${window})`, {
        details: { ...details, reason: 'health-ok', lockLines },
      });
    }
    if (unlocked.length > 0) {
      const locks = lockLines > 0 ? `${lockLines} "${LOCKED_TEXT}" line(s) in the last ${window}, then "${UNLOCKED_TEXT}" (normal after a start)` : `"${UNLOCKED_TEXT}" in the last ${window}`;
      return pass(`IP operator barrier passed in pod ${pods} (${which}): ${locks}${health.result === 'ok' ? '; /health answers 200' : ''}`, {
        details: { ...details, reason: 'unlocked', lockLines },
      });
    }
    if (health.result === 'ok') {
      return pass(`IP operator ${AKASH_NS}/${t.used.layout.name} answers /health with 200: its barrier is open (no barrier line in the last ${window} of pod ${pods})`, {
        details: { ...details, reason: 'health-ok', lockLines: 0 },
      });
    }
    return warn(`no evidence either way for the IP operator barrier in pod ${pods} (${which}): no "${LOCKED_TEXT}" and no "${UNLOCKED_TEXT}" in the last ${window} (the operator logs only when called), and ${health.detail}`, {
      details: { ...details, reason: 'no-evidence', lockLines: 0 },
      hint: `read a longer window (--log-since 24h) or call it by hand: kubectl get --raw /api/v1/namespaces/${AKASH_NS}/services/${t.used.layout.name}:${t.used.layout.portName}/proxy/health`,
    });
  },
};
