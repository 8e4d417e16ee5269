import type * as k8s from '@kubernetes/client-node';
import { ClusterError } from '../../cluster/errors.js';
import { error, fail, pass, warn, type Check } from '../../core/types.js';
import { AKASH_NS, findIpOperators, ipOperatorPods, RESTART_PROVIDER, restartOperatorCommand, type IpOperatorLayout } from '../lib/akash.js';
import { installOperatorAdvice } from '../lib/ip-operator.js';
import { barrierScanner, LOCKED_TEXT, UNLOCKED_TEXT, type BarrierScan } from '../lib/barrier-scan.js';


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

export const check: Check = {
  id: 'ip-operator.barrier',
  title: 'IP operator barrier is not stuck locked',
  category: 'ip-operator',
  dependsOn: ['cluster.api'],
  doc: {
    what: 'Finds the IP operator in akash-services in either layout (current chart: operator-ip, labels app.kubernetes.io/name=ip; old chart ≤ 8.x: akash-ip-operator, app=akash-ip-operator) and scans the recent log of each of its pods for "barrier is locked". It fails only when the barrier is still locked: lock lines with no "barrier can now be passed" after the last one.',
    why: 'The operator answers every request with 503 until its barrier unlocks. A few lock lines right after a start are normal; a barrier that stays locked (often because MetalLB or DNS was not ready when the operator started) makes the provider block: /status hangs and no IP lease is served. The operator has no probes, so a stuck pod still shows Running.',
    fix: 'Restart the operator pod with the selector of your layout: `kubectl -n akash-services delete pod -l app.kubernetes.io/name=ip` (current chart) or `kubectl -n akash-services delete pod -l app=akash-ip-operator` (old chart; the guide\'s command). If /status still hangs afterwards, restart the provider too: `kubectl -n akash-services rollout restart statefulset akash-provider`. Without an operator, install it: `helm install akash-ip-operator akash/akash-ip-operator -n akash-services --set provider_address=<provider-address>`.',
  },
  async run(ctx) {
    const layouts = await findIpOperators(ctx.cluster);
    if (layouts.length === 0) {
      const { address, hint, remedy } = await installOperatorAdvice(ctx.cluster);
      return fail(`IP operator not installed: no Deployment operator-ip (current chart) or akash-ip-operator (old chart), and no pods labelled app.kubernetes.io/name=ip or app=akash-ip-operator in ${AKASH_NS}`, {
        details: { layout: null, providerAddress: address },
        hint,
        remedy,
      });
    }

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
        ...(s.scan ? { lockLines: s.scan.lockLines, unlockLines: s.scan.unlockLines, locked: s.scan.locked, linesRead: s.lines } : {}),
        ...(s.error ? { error: s.error.message } : {}),
      })),
    };

    const stuck = scans.filter((s) => s.scan?.locked);
    if (stuck.length > 0) {
      const stuckLayouts = [...new Map(stuck.map((s) => [s.layout.selector, s.layout])).values()];
      const first = stuck[0]!;
      const restarts = stuckLayouts.map((l) => restartOperatorCommand(l));
      const podList = stuck.map((s) => `${AKASH_NS}/${s.pod}`).join(', ');
      return fail(
        `IP operator barrier is still locked in pod ${podList} (${short(first.layout)}): ${first.scan!.lockLinesSinceUnlock} "${LOCKED_TEXT}" line(s) in the last ${window} with no "${UNLOCKED_TEXT}" after the last one`,
        {
          details: { ...details, lastLockLine: first.scan!.lastLockLine },
          hint: `Restart the operator pod: ${restarts.join(' && ')}; if the provider's /status still hangs afterwards, restart the provider too: ${RESTART_PROVIDER}`,
          remedy: {
            summary: `restart the IP operator pod (selector ${first.layout.selector}); restart the provider too if /status still hangs`,
            commands: restarts,
            fixId: 'ip-operator.restart',
            params: { selector: first.layout.selector, namespace: AKASH_NS },
          },
        },
      );
    }

    if (emptyLayouts.length > 0 && scans.length === 0) {
      const l = emptyLayouts[0]!;
      const replicas = l.deployment?.spec?.replicas;
      const why = replicas === 0 ? 'it is scaled to 0 replicas' : 'check its events: kubectl -n akash-services describe deployment ' + l.name;
      return fail(`IP operator Deployment ${AKASH_NS}/${l.name} (${short(l)}) has no pods, so no operator serves the provider: ${why}`, {
        details,
        hint: replicas === 0 ? `Scale it up: kubectl -n ${AKASH_NS} scale deployment ${l.name} --replicas=1` : `kubectl -n ${AKASH_NS} describe deployment ${l.name}; kubectl -n ${AKASH_NS} get events --sort-by=.lastTimestamp`,
        ...(replicas === 0 ? { remedy: { summary: `scale Deployment ${AKASH_NS}/${l.name} to 1 replica`, commands: [`kubectl -n ${AKASH_NS} scale deployment ${l.name} --replicas=1`] } } : {}),
      });
    }

    const read = scans.filter((s) => s.scan);
    if (read.length === 0) {
      const e = scans[0]?.error;
      if (e instanceof ClusterError && e.kind === 'forbidden') throw e;
      const notRunning = scans.filter((s) => s.phase !== 'Running');
      return error(
        `could not read the log of IP operator pod ${scans.map((s) => `${AKASH_NS}/${s.pod}`).join(', ')}${notRunning.length ? ` (phase ${notRunning.map((s) => s.phase).join(', ')})` : ''}: ${(e?.message ?? 'unknown error').split('\n')[0]}`,
        { details, hint: `kubectl -n ${AKASH_NS} logs -l ${scans[0]?.layout.selector ?? layouts[0]!.selector} --tail=50` },
      );
    }

    const lockLines = read.reduce((n, s) => n + s.scan!.lockLines, 0);
    const unread = scans.filter((s) => !s.scan);
    const pods = read.map((s) => `${AKASH_NS}/${s.pod}`).join(', ');
    const which = layouts.map(short).join(' and ');
    if (unread.length > 0) {
      // an unread pod may be the stuck one: not a pass
      const e = unread[0]!.error;
      return warn(
        `IP operator barrier is not locked in pod ${pods} (${which}), but the log of ${unread.map((s) => `${AKASH_NS}/${s.pod}`).join(', ')} could not be read, so that pod's barrier is unknown: ${(e?.message ?? 'unknown error').split('\n')[0]}`,
        {
          details: { ...details, lockLines },
          hint: `Read it by hand and look for "${LOCKED_TEXT}" with no "${UNLOCKED_TEXT}" after it: kubectl -n ${AKASH_NS} logs ${unread[0]!.pod} --tail=50`,
        },
      );
    }
    if (lockLines > 0) {
      return pass(`IP operator barrier passed in pod ${pods} (${which}): ${lockLines} "${LOCKED_TEXT}" line(s) in the last ${window}, then "${UNLOCKED_TEXT}" (normal after a start)`, {
        details: { ...details, lockLines },
      });
    }
    return pass(`IP operator barrier is not locked in pod ${pods} (${which}): no "${LOCKED_TEXT}" line in the last ${window}`, {
      details: { ...details, lockLines: 0 },
    });
  },
};

