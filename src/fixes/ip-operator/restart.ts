/**
 * ip-operator.restart: delete the pods of the IP operator the provider uses so its Deployment
 * recreates them; a new operator runs its start-up (MetalLB discovery, metrics, lease list) again
 * and unlocks its barrier when that succeeds.
 */
import { KINDS } from '../../cluster/writer.js';
import { AKASH_NS } from '../../checks/lib/akash.js';
import { layoutWords, operatorTarget, type LayoutState } from '../../checks/lib/ip-operator.js';
import { pollUntil, restartPodsStep } from '../lib.js';
import type { Fix, FixContext, FixStep, PlanResult, SettleContext } from '../types.js';
import { operatorRestarted } from './pod-restart.js';

/** Checks whose failure keeps a restarted operator locked: its start-up reads MetalLB's metrics (upstream-facts 1.4). */
export const METALLB_PREREQUISITES = ['metallb.controller-service', 'metallb.metrics', 'metallb.version'];

/** Reasons of findings that a restart heals only after something else is fixed (the pool of usage-no-series). */
const HEALTHY_BUT_ASKED = new Set(['usage-no-series']);

export const fix: Fix = {
  id: 'ip-operator.restart',
  title: 'Restart the IP operator pod the provider uses',
  addresses: ['ip-operator.health', 'ip-operator.barrier', 'ip-operator.usage'],
  risk: 'restart',
  order: 80,
  doc:
    "Deletes the pod(s) of the IP operator layout the provider uses (provider ≥ 0.5.0: Deployment operator-ip, pods app.kubernetes.io/name=ip, Service operator-ip port rest; ≤ 0.4.x: akash-ip-operator, app=akash-ip-operator, port api; akash-network/provider:cluster/kube/operators/clients/ip/client.go:45 and v0.4.8:cluster/operatorclients/ip_operator_client.go:65), each only if it is still the pod read (uid precondition); the Deployment recreates it. The operator's barrier starts locked and unlocks (`barrier can now be passed`, operator/ip/operator.go:123) once its start-up succeeded; a start-up that failed on a one-shot discovery (support#105) stays locked until the process restarts. Settles when a new pod is Ready and GET /health through the service proxy answers 200. Skipped when the provider's layout is not installed (restarting the other layout heals nothing), when /health already answers 200, or when MetalLB (namespace, controller, the controller Service, its metrics, a version serving plain-HTTP metrics) is broken, or could not be checked because what it needs failed, and no fix of the same run repairs it first: the restarted operator would lock again at once (creating an empty metallb-system namespace installs no MetalLB).",
  async plan(ctx: FixContext): Promise<PlanResult> {
    const t = await operatorTarget(ctx.cluster);
    if (t.states.length === 0) return { skip: `no IP operator is installed in ${AKASH_NS}: there is nothing to restart (see ip-operator.installed)` };
    if (t.needed && !t.used) {
      const have = t.states.map((s) => s.layout.name).join(', ');
      return { skip: `the provider ${t.provider.version} looks only for ${layoutWords(t.needed)}, which is not installed (installed: ${have}); restarting ${have} heals nothing, install the operator the provider needs (see ip-operator.installed)` };
    }
    // version known: the provider's layout; unknown: the layouts the findings named, else the preferred one
    let targets: LayoutState[];
    if (t.needed) targets = [t.used!];
    else {
      const named = new Set(ctx.findings.map((f) => f.remedy?.params?.selector).filter(Boolean));
      targets = t.states.filter((s) => named.has(s.layout.selector));
      if (targets.length === 0 && t.used) targets = [t.used];
    }
    if (targets.length === 0) return { skip: 'no IP operator to restart' };
    const s = targets[0]!;
    const l = s.layout;
    const asked = ctx.findings.map((f) => String((f.details as Record<string, unknown> | undefined)?.reason ?? ''));
    const onlyAfterOtherFix = asked.length > 0 && asked.every((r) => HEALTHY_BUT_ASKED.has(r));

    const pods = (await ctx.writer.list(KINDS.pod, AKASH_NS, l.selector, ctx.signal)).filter((p) => !p.metadata?.deletionTimestamp);
    if (pods.length === 0) return { skip: `the IP operator ${AKASH_NS}/${l.name} has no pod to restart (scaled to 0 or not scheduled: kubectl -n ${AKASH_NS} describe deployment ${l.name})` };
    if (!onlyAfterOtherFix) {
      const health = await ctx.cluster.proxyGet(AKASH_NS, l.name, l.portName, 'health').catch(() => null);
      if (health?.status === 200) return { skip: `the IP operator ${AKASH_NS}/${l.name}:${l.portName} answers /health 200: its barrier is open, a restart is not needed` };
    }

    const notes: string[] = [];
    // not known to work: failed, could not run, or not checked because what it needs failed
    // (an empty namespace created by this run holds no MetalLB: metallb.installed stays unchecked)
    const broken = (id: string): boolean => {
      const r = ctx.results.get(id);
      return !!r && (r.status === 'fail' || r.status === 'error' || (r.status === 'skip' && (r.details as Record<string, unknown> | undefined)?.reason === 'blocked'));
    };
    const blocking = METALLB_PREREQUISITES.filter(broken);
    // a prerequisite that stays broken (no fix of this run makes it pass first): the restarted
    // operator would lock again at once, so restarting it only costs a restart (and the rate limit)
    const absent = ['metallb.namespace', 'metallb.installed'].filter(broken);
    const unfixed = [...absent, ...blocking].filter((id) => !ctx.fixedEarlier.has(id));
    if (unfixed.length) {
      return {
        skip: `a restart cannot unlock the operator's barrier while ${unfixed.join(', ')} ${unfixed.length > 1 ? 'fail (or could not be checked)' : 'fails (or could not be checked)'} and no fix of this run repairs ${unfixed.length > 1 ? 'them' : 'it'} (the operator reads MetalLB's metrics at start): fix ${unfixed.length > 1 ? 'those' : 'that'} first, then run --fix again`,
      };
    }
    if (blocking.length) {
      notes.push(
        `The operator reads MetalLB's metrics through Service metallb-system/controller port monitoring at start (plain HTTP); ${blocking.join(', ')} ${blocking.length > 1 ? 'fail' : 'fails'} now: the restarted operator unlocks its barrier only once ${blocking.length > 1 ? 'they pass' : 'it passes'} (--fix applies configuration fixes before restarts; a MetalLB 0.16 metrics endpoint needs a manual change).`,
      );
    }
    if (onlyAfterOtherFix) notes.push('The operator reads the pool it reports only at start: restart it after the pool fix (ip-operator.usage).');
    notes.push(`If the provider's /status still hangs afterwards, its own one-shot discovery of the operator may have failed: see provider.status-endpoint (fix provider.restart-pod).`);

    const oldUids = new Set(pods.map((p) => p.metadata?.uid ?? '').filter(Boolean));
    const step: FixStep = restartPodsStep(AKASH_NS, pods, l.selector, `delete IP operator pod ${pods.map((p) => p.metadata?.name).join(', ')} (${l.describe}); Deployment ${AKASH_NS}/${l.name} recreates it`);
    const op = { namespace: AKASH_NS, selector: l.selector, service: l.name, portName: l.portName, what: `IP operator ${AKASH_NS}/${l.name}` };
    return {
      summary: `restart the IP operator ${AKASH_NS}/${l.name} (${layoutWords(l.layout)}): delete its pod(s) so the Deployment recreates them`,
      steps: [step],
      notes,
      restarts: l.deployment ? { kind: KINDS.deployment, namespace: AKASH_NS, name: l.name } : undefined,
      settle: (c: SettleContext) => pollUntil(c, (snap) => operatorRestarted(snap, op, oldUids)),
    };
  },
};
