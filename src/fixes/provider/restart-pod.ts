/**
 * provider.restart-pod: delete pod akash-provider-0 (its StatefulSet recreates it) ONLY when
 * the provider's one-shot service discovery of an operator failed at start and the Service it
 * looked for now exists with its named port: discovery runs once per agent and is never
 * retried, so only a new process finds the operator (upstream-facts 1.2).
 */
import type * as k8s from '@kubernetes/client-node';
import { KINDS } from '../../cluster/writer.js';
import { AKASH_NS, PROVIDER_STS, selectorString } from '../../checks/lib/akash.js';
import { providerWaitState, RESTART_PROVIDER_POD } from '../../checks/lib/provider-log.js';
import { pollUntil } from '../lib.js';
import type { Fix, FixContext, FixStep, PlanResult, SettleContext } from '../types.js';
import { replacementPods } from '../ip-operator/pod-restart.js';

const POD = `${PROVIDER_STS}-0`;

/** The Service (and port name) each operator's discovery looks up, provider ≥ 0.5.0 (clients/ip/client.go:45, clients/hostname/client.go:37). */
const DISCOVERED: Record<string, { portName: string; checks: string }> = {
  'operator-ip': { portName: 'rest', checks: 'ip-operator.installed, ip-operator.health' },
  'operator-hostname': { portName: 'rest', checks: 'provider.hostname-operator' },
};

export const fix: Fix = {
  id: 'provider.restart-pod',
  title: "Restart the provider pod whose one-shot operator discovery failed",
  addresses: ['provider.status-endpoint', 'provider.hostname-operator'],
  risk: 'restart',
  order: 90,
  doc:
    "Deletes pod akash-services/akash-provider-0 (uid precondition; StatefulSet akash-provider recreates it) only when the provider's log shows `dns discovery failed … service-name=operator-ip|operator-hostname` with no `all waitables ready` after it, and that Service now exists with its TCP port `rest`. The provider's service discovery runs once per agent: after a failed lookup its result is never reset, so the waitable blocks forever (akash-network/provider cluster/util/service_discovery_agent.go:231; node util/runner/runner.go; support#105). A provider merely waiting for an operator is left alone: its waiter retries every 2 s (operator/waiter/waiter.go) and carries on once the operator is healthy. Settles when the new pod is Ready; /status is verified by the re-check (the chart's liveness probe starts after 240 s, charts/akash-provider templates/statefulset.yaml).",
  async plan(ctx: FixContext): Promise<PlanResult> {
    const st = await providerWaitState(ctx.cluster, ctx.signal).catch(() => null);
    if (!st) return { skip: `the provider's log could not be read (no pod ${AKASH_NS}/${POD}?): nothing shows that its discovery failed, so it is not restarted` };
    const d = st.discoveryFailed;
    if (!d) {
      const waiting = st.waitingFor ? ` It is waiting for the ${st.waitingFor === 'ip' ? 'IP' : 'hostname'} operator: it carries on by itself once that operator is healthy (its waiter retries every 2 s).` : '';
      return { skip: `the provider's log shows no failed service discovery${st.allReady ? ' (it logged "all waitables ready")' : ''}: a restart is not what heals it.${waiting}` };
    }
    const want = DISCOVERED[d.service];
    if (!want) return { skip: `the provider's failed discovery is of Service ${d.service}, which this fix does not know` };
    const svc = (await ctx.writer.get(KINDS.service, AKASH_NS, d.service, ctx.signal)) as k8s.V1Service | null;
    if (!svc) return { skip: `the provider's discovery of Service ${AKASH_NS}/${d.service} failed and that Service still does not exist: a restarted provider would fail the same way; fix ${want.checks} first` };
    if (!(svc.spec?.ports ?? []).some((p) => p.name === want.portName && (p.protocol ?? 'TCP') === 'TCP')) {
      return { skip: `the provider's discovery of Service ${AKASH_NS}/${d.service} failed and that Service still has no TCP port named ${want.portName}: a restarted provider would fail the same way; fix ${want.checks} first` };
    }
    const pod = (await ctx.writer.get(KINDS.pod, AKASH_NS, POD, ctx.signal)) as k8s.V1Pod | null;
    if (!pod) return { skip: `pod ${AKASH_NS}/${POD} does not exist: there is nothing to restart` };
    const sts = (await ctx.writer.get(KINDS.statefulSet, AKASH_NS, PROVIDER_STS, ctx.signal)) as k8s.V1StatefulSet | null;
    const selector = selectorString(sts?.spec?.selector?.matchLabels) || `statefulset.kubernetes.io/pod-name=${POD}`;
    const uid = pod.metadata?.uid;
    const step: FixStep = {
      verb: 'restart',
      object: { kind: KINDS.pod, namespace: AKASH_NS, name: POD },
      description: `delete pod ${AKASH_NS}/${POD} (its discovery of Service ${d.service} failed at start: "${d.error}"); StatefulSet ${AKASH_NS}/${PROVIDER_STS} recreates it and it looks the Service up again`,
      command: RESTART_PROVIDER_POD,
      disruptive: true,
      apply: async (w, opts) => {
        await w.delete(KINDS.pod, AKASH_NS, POD, { ...opts, ...(uid ? { preconditions: { uid } } : {}) });
      },
    };
    const oldUids = new Set(uid ? [uid] : []);
    return {
      summary: `restart the provider pod ${AKASH_NS}/${POD} so it discovers Service ${d.service} again (its one-shot discovery failed at start)`,
      steps: [step],
      notes: [
        'The provider stops bidding and serving /status while it restarts; leases already running keep running.',
        "The chart's init container publishes the provider's attributes on chain at every pod start (provider-services tx provider update).",
        "The new pod is waited for until Ready; /status is checked by the re-check (the provider waits for its operators first; the chart's liveness probe starts after 240 s).",
      ],
      restarts: { kind: KINDS.statefulSet, namespace: AKASH_NS, name: PROVIDER_STS },
      settle: (c: SettleContext) =>
        pollUntil(c, async (snap) => {
          const { ready, waiting } = await replacementPods(snap, AKASH_NS, selector, oldUids);
          const mine = (xs: string[]) => xs.filter((n) => n === POD);
          if (mine(ready).length) return { ok: true, message: `new pod ${AKASH_NS}/${POD} Ready` };
          return { ok: false, message: mine(waiting).length ? `new pod ${AKASH_NS}/${POD} not Ready yet` : `pod ${AKASH_NS}/${POD} not recreated yet` };
        }),
    };
  },
};
