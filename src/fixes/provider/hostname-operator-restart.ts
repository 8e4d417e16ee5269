/**
 * hostname-operator.restart: delete the hostname operator's pod(s) so its Deployment
 * recreates them. The provider waits for this operator at start (always), so a dead one
 * makes /status hang exactly like a stuck IP operator.
 */
import type * as k8s from '@kubernetes/client-node';
import { KINDS } from '../../cluster/writer.js';
import { AKASH_NS } from '../../checks/lib/akash.js';
import { HOSTNAME_OPERATOR } from '../../checks/provider/hostname-operator.js';
import { pollUntil, restartPodsStep } from '../lib.js';
import type { Fix, FixContext, PlanResult, SettleContext } from '../types.js';
import { operatorRestarted } from '../ip-operator/pod-restart.js';

export const fix: Fix = {
  id: 'hostname-operator.restart',
  title: 'Restart the hostname operator pod',
  addresses: ['provider.hostname-operator'],
  risk: 'restart',
  order: 85,
  doc:
    "Finds the hostname operator as the provider does (Service akash-services/operator-hostname with TCP port `rest`; akash-network/provider cluster/kube/operators/clients/hostname/client.go:37; chart akash-network/helm-charts charts/akash-hostname-operator: Deployment operator-hostname, pods app.kubernetes.io/name=hostname) and deletes its pod(s), each only if it is still the pod read (uid precondition); the Deployment recreates them. Settles when a new pod is Ready and GET /health through the service proxy answers 200 (operator/common/operator_server.go:38). The provider's waiter retries every 2 s (operator/waiter/waiter.go), so a provider that was only waiting carries on by itself. Skipped when the Service or its port `rest` is missing (a restart cannot create them: install the chart) or /health already answers 200.",
  async plan(ctx: FixContext): Promise<PlanResult> {
    const H = HOSTNAME_OPERATOR;
    const svc = (await ctx.writer.get(KINDS.service, AKASH_NS, H.name, ctx.signal)) as k8s.V1Service | null;
    if (!svc) return { skip: `Service ${AKASH_NS}/${H.name} does not exist: restarting the pod cannot create it, install the hostname operator chart (see provider.hostname-operator)` };
    if (!(svc.spec?.ports ?? []).some((p) => p.name === H.portName && (p.protocol ?? 'TCP') === 'TCP')) {
      return { skip: `Service ${AKASH_NS}/${H.name} has no TCP port named ${H.portName}: a restart does not change that, re-apply the chart (see provider.hostname-operator)` };
    }
    const pods = (await ctx.writer.list(KINDS.pod, AKASH_NS, H.selector, ctx.signal)).filter((p) => !p.metadata?.deletionTimestamp);
    if (pods.length === 0) return { skip: `no hostname operator pod (${H.selector}) exists to restart: see kubectl -n ${AKASH_NS} describe deployment ${H.name}` };
    const health = await ctx.cluster.proxyGet(AKASH_NS, H.name, H.portName, 'health').catch(() => null);
    if (health?.status === 200) return { skip: `the hostname operator ${AKASH_NS}/${H.name}:${H.portName} answers /health 200: a restart is not needed` };

    const deployment = await ctx.writer.get(KINDS.deployment, AKASH_NS, H.name, ctx.signal);
    const oldUids = new Set(pods.map((p) => p.metadata?.uid ?? '').filter(Boolean));
    const op = { namespace: AKASH_NS, selector: H.selector, service: H.name, portName: H.portName, what: `hostname operator ${AKASH_NS}/${H.name}` };
    return {
      summary: `restart the hostname operator ${AKASH_NS}/${H.name}: delete its pod(s) so the Deployment recreates them`,
      steps: [restartPodsStep(AKASH_NS, pods, H.selector, `delete hostname operator pod ${pods.map((p) => p.metadata?.name).join(', ')}; ${deployment ? `Deployment ${AKASH_NS}/${H.name}` : 'its controller'} recreates it`)],
      notes: [
        'A provider that was waiting for the hostname operator carries on by itself once /health answers 200 (its waiter retries every 2 s). If its log showed "dns discovery failed … service-name=operator-hostname", it never looks again: see provider.restart-pod.',
        ...((pods as unknown as k8s.V1Pod[]).some((p) => (p.status?.containerStatuses ?? []).some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff'))
          ? [`The pod crash-loops: if the new pod crashes too, read why: kubectl -n ${AKASH_NS} logs -l ${H.selector} --previous --tail=50`]
          : []),
      ],
      restarts: deployment ? { kind: KINDS.deployment, namespace: AKASH_NS, name: H.name } : undefined,
      settle: (c: SettleContext) => pollUntil(c, (snap) => operatorRestarted(snap, op, oldUids)),
    };
  },
};
