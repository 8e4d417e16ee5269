import type * as k8s from '@kubernetes/client-node';
import type { Check } from '../../core/types.js';
import { fail, pass, warn } from '../../core/types.js';
import { AKASH_NS, PROVIDER_CONTAINER, PROVIDER_STS, selectorString } from '../lib/akash.js';

const HOUR_MS = 60 * 60 * 1000;
const LIVENESS_NOTE = 'an operator the provider waits for at start (hostname operator, IP operator) makes it restart because its liveness probe curls /status';

function toDate(v: unknown): Date | null {
  if (!v) return null;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? null : d;
}

export const check: Check = {
  id: 'provider.pod',
  title: 'The provider pod is running, ready and not restarting',
  category: 'provider',
  dependsOn: ['cluster.api'],
  doc: {
    what: 'Finds the pod of StatefulSet akash-services/akash-provider (akash-provider-0) and checks that it is Running and Ready, and whether its provider container restarted within the last hour.',
    why: "At start the provider waits for its operators' /health before it bids and serves /status: the hostname operator always, the IP operator when IP leases are on (akash-network/provider cmd/provider-services/cmd/run.go:737-745, operator/waiter/waiter.go). Its liveness probe runs /scripts/liveness_checks.sh, which curls /status (akash-network/helm-charts charts/akash-provider/templates/statefulset.yaml: initialDelaySeconds 240, periodSeconds 30, failureThreshold 1): an operator it waits for therefore shows up as a provider pod that restarts again and again, or never becomes ready.",
    fix: 'See why it restarts: `kubectl -n akash-services describe pod akash-provider-0` and `kubectl -n akash-services logs akash-provider-0 -c provider --previous` (look for `not yet ready … waitable=<*hostname.client …>` or `<*ip.client …>`). Fix the operator it waits for first (provider.hostname-operator, ip-operator.health), then restart the provider (`kubectl -n akash-services delete pod akash-provider-0`).',
  },
  async run(ctx) {
    const sts = await ctx.cluster.getStatefulSet(AKASH_NS, PROVIDER_STS);
    if (!sts) {
      return fail(`StatefulSet ${AKASH_NS}/${PROVIDER_STS} not found: the provider is not installed in ${AKASH_NS}`, {
        details: { reason: 'statefulset-missing' },
        hint: `install it with the chart: helm install akash-provider akash/provider -n ${AKASH_NS} -f provider.yaml`,
      });
    }
    const selector = selectorString(sts.spec?.selector?.matchLabels);
    const pods = selector ? await ctx.cluster.listPods(AKASH_NS, { labelSelector: selector }) : [];
    const desired = sts.spec?.replicas ?? 1;
    if (pods.length === 0) {
      return fail(
        desired === 0
          ? `StatefulSet ${AKASH_NS}/${PROVIDER_STS} is scaled to 0 replicas: no provider is running`
          : `StatefulSet ${AKASH_NS}/${PROVIDER_STS} has no pod (selector ${selector || 'empty'}): the pod cannot be created`,
        {
          details: { reason: desired === 0 ? 'scaled-to-zero' : 'no-pod', statefulSet: PROVIDER_STS, selector, replicas: desired },
          hint:
            desired === 0
              ? `scale it back up: kubectl -n ${AKASH_NS} scale statefulset ${PROVIDER_STS} --replicas=1`
              : `see why: kubectl -n ${AKASH_NS} describe statefulset ${PROVIDER_STS} && kubectl -n ${AKASH_NS} get events --field-selector involvedObject.name=${PROVIDER_STS}-0`,
        },
      );
    }
    const pod = pods.find((p) => p.metadata?.name === `${PROVIDER_STS}-0`) ?? pods[0]!;
    const name = pod.metadata?.name ?? `${PROVIDER_STS}-0`;
    const statuses = pod.status?.containerStatuses ?? [];
    const cs: k8s.V1ContainerStatus | undefined = statuses.find((c) => c.name === PROVIDER_CONTAINER) ?? statuses[0];
    const restarts = cs?.restartCount ?? 0;
    const lastFinished = toDate(cs?.lastState?.terminated?.finishedAt);
    const lastReason = cs?.lastState?.terminated?.reason;
    const lastExit = cs?.lastState?.terminated?.exitCode;
    const waiting = cs?.state?.waiting?.reason;
    const phase = pod.status?.phase ?? 'Unknown';
    // The pod's Ready condition decides (it is what Services and the kubelet use); the container's
    // own flag only stands in when the pod reports no Ready condition at all.
    const readyCond = (pod.status?.conditions ?? []).find((c) => c.type === 'Ready');
    const ready = readyCond ? readyCond.status === 'True' : cs?.ready === true;
    const details: Record<string, unknown> = {
      pod: name,
      phase,
      ready,
      container: cs?.name ?? null,
      restartCount: restarts,
      lastRestartAt: lastFinished?.toISOString() ?? null,
      lastTerminationReason: lastReason ?? null,
      lastExitCode: lastExit ?? null,
      waitingReason: waiting ?? null,
      image: cs?.image ?? pod.spec?.containers?.[0]?.image ?? null,
    };
    const describe = `kubectl -n ${AKASH_NS} describe pod ${name}`;
    const previous = `kubectl -n ${AKASH_NS} logs ${name} -c ${cs?.name ?? PROVIDER_CONTAINER} --previous`;
    const last = lastFinished ? `; last at ${lastFinished.toISOString()}${lastReason ? ` (${lastReason}${lastExit !== undefined ? `, exit ${lastExit}` : ''})` : ''}` : '';

    if (pod.metadata?.deletionTimestamp) {
      return fail(`provider pod ${AKASH_NS}/${name} is terminating`, { details: { reason: 'terminating', ...details }, hint: `if it hangs in Terminating, see ${describe}` });
    }
    if (waiting === 'CrashLoopBackOff') {
      return fail(`provider pod ${AKASH_NS}/${name} is crash-looping (CrashLoopBackOff): restarted ${restarts} times${last}; ${LIVENESS_NOTE}`, {
        details: { reason: 'crash-loop', ...details },
        hint: `read why it exits: ${previous}; if ip-operator.health fails, restart the IP operator first`,
      });
    }
    if (phase === 'Pending' || waiting) {
      return fail(`provider pod ${AKASH_NS}/${name} is not running: phase ${phase}${waiting ? `, container waiting (${waiting})` : ''}`, {
        details: { reason: 'not-running', ...details },
        hint: `see the events: ${describe}`,
      });
    }
    if (phase !== 'Running') {
      return fail(`provider pod ${AKASH_NS}/${name} is in phase ${phase}, not Running`, { details: { reason: 'not-running', ...details }, hint: `see ${describe}` });
    }
    if (!ready) {
      return fail(`provider pod ${AKASH_NS}/${name} is running but not ready${restarts > 0 ? ` (restarted ${restarts} times${last})` : ''}: it is still starting, or waiting for its operators' /health`, {
        details: { reason: 'not-ready', ...details },
        hint: `see ${describe}; if ip-operator.health fails, restart the IP operator first`,
      });
    }
    if (restarts > 0 && lastFinished && Date.now() - lastFinished.getTime() < HOUR_MS) {
      return warn(`provider pod ${AKASH_NS}/${name} restarted ${restarts} times${last}, within the last hour; ${LIVENESS_NOTE}`, {
        details: { reason: 'recent-restarts', ...details },
        hint: `read why it stopped: ${previous}; check provider.hostname-operator and ip-operator.health`,
      });
    }
    return pass(`provider pod ${AKASH_NS}/${name} is running and ready${restarts > 0 ? ` (${restarts} restarts, none in the last hour)` : ', no restarts'}`, { details: { reason: 'running', ...details } });
  },
};
