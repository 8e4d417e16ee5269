import { fail, pass, skip, warn, type Check, type Remedy } from '../../core/types.js';
import { METALLB_NS } from '../lib/akash.js';
import { findSpeaker } from '../lib/metallb.js';

const PSA = 'pod-security.kubernetes.io';
const MODES = ['enforce', 'audit', 'warn'] as const;

export const LABEL_COMMAND = `kubectl label ns ${METALLB_NS} ${PSA}/enforce=privileged ${PSA}/audit=privileged ${PSA}/warn=privileged --overwrite`;

const REMEDY: Remedy = {
  summary: `label namespace ${METALLB_NS} privileged for Pod Security (enforce, audit, warn)`,
  commands: [LABEL_COMMAND],
  fixId: 'metallb.label-psa',
  params: { namespace: METALLB_NS },
};

/** `pods "x" is forbidden: violates PodSecurity "baseline:latest"` out of a FailedCreate event (the reasons go to details). */
export function psaEventSummary(message: string): string {
  const line = message.split('\n')[0] ?? '';
  const m = /(pods? "[^"]*" is forbidden: )?violates PodSecurity "[^"]*"/.exec(line);
  if (m) return m[0];
  return line.length > 160 ? `${line.slice(0, 160).replace(/\s+\S*$/, '')}...` : line;
}

export const check: Check = {
  id: 'metallb.pod-security',
  title: 'Namespace metallb-system allows privileged pods (Pod Security labels)',
  category: 'metallb',
  dependsOn: ['cluster.api', 'metallb.namespace'],
  doc: {
    what: 'Reads the Pod Security Admission labels of namespace metallb-system (pod-security.kubernetes.io/enforce, audit, warn) and, when they are missing, whether the speaker DaemonSet is being blocked (it wants more pods than it has, or FailedCreate events say the pods violate PodSecurity). An enforce level other than privileged fails; missing labels fail when the speaker is blocked and warn otherwise. details.reason: privileged, enforce-not-privileged, labels-missing-blocked, labels-missing, no-namespace.',
    why: 'The MetalLB speaker needs host networking and the NET_RAW capability (hostNetwork: true and capabilities add NET_RAW in metallb/metallb:charts/metallb/templates/speaker.yaml:167,353 at v0.14.9), which only the privileged Pod Security level allows. Under baseline or restricted the API server refuses to create speaker pods, so no node announces the lease IPs. Without labels the cluster-wide default decides, which a cluster upgrade or an admission config change can make stricter at any time.',
    fix: 'Label the namespace as the guide says: `kubectl label ns metallb-system pod-security.kubernetes.io/enforce=privileged pod-security.kubernetes.io/audit=privileged pod-security.kubernetes.io/warn=privileged --overwrite`. The DaemonSet controller then creates the missing speaker pods by itself (within a few minutes; `kubectl -n metallb-system rollout restart ds metallb-speaker` speeds it up).',
  },
  async run(ctx) {
    const ns = await ctx.cluster.getNamespace(METALLB_NS);
    if (!ns) return skip(`namespace ${METALLB_NS} does not exist (see metallb.namespace)`, { details: { reason: 'no-namespace' } });
    const labels = ns.metadata?.labels ?? {};
    const levels = Object.fromEntries(MODES.map((m) => [m, labels[`${PSA}/${m}`] ?? null])) as Record<(typeof MODES)[number], string | null>;
    const details: Record<string, unknown> = { namespace: METALLB_NS, labels: levels };
    const enforce = levels.enforce;

    // is the speaker being blocked? (one DaemonSet read, one bounded event list)
    const ds = await findSpeaker(ctx.cluster);
    const desired = ds?.status?.desiredNumberScheduled ?? 0;
    const current = ds?.status?.currentNumberScheduled ?? 0;
    const events = await ctx.cluster.listEvents(METALLB_NS, { fieldSelector: 'reason=FailedCreate' });
    const psaEvents = events.filter((e) => /PodSecurity/i.test(e.message ?? ''));
    const firstEvent = psaEvents[0] ? psaEventSummary(psaEvents[0].message ?? '') : undefined;
    const missingPods = ds ? Math.max(0, desired - current) : 0;
    details.speaker = ds ? { daemonSet: `${METALLB_NS}/${ds.metadata?.name}`, desired, current } : null;
    details.podSecurityEvents = psaEvents.length;
    if (psaEvents[0]) details.firstEvent = (psaEvents[0].message ?? '').split('\n')[0]!.slice(0, 500);
    const blocked = missingPods > 0 || psaEvents.length > 0;
    const blockedText = [
      missingPods > 0 ? `speaker ${METALLB_NS}/${ds?.metadata?.name} has ${current}/${desired} pods created` : '',
      firstEvent ? `event: ${firstEvent}` : '',
    ]
      .filter(Boolean)
      .join('; ');

    if (enforce && enforce !== 'privileged') {
      details.reason = 'enforce-not-privileged';
      return fail(`namespace ${METALLB_NS} enforces Pod Security level "${enforce}": the speaker needs privileged (hostNetwork, NET_RAW)${blocked ? ` and is blocked (${blockedText})` : ''}`, {
        details,
        hint: `Allow privileged pods in ${METALLB_NS}: ${LABEL_COMMAND}`,
        remedy: REMEDY,
      });
    }
    if (!enforce) {
      if (blocked) {
        details.reason = 'labels-missing-blocked';
        return fail(`namespace ${METALLB_NS} has no Pod Security labels and the cluster default blocks the speaker (${blockedText})`, {
          details,
          hint: `Allow privileged pods in ${METALLB_NS}: ${LABEL_COMMAND}`,
          remedy: REMEDY,
        });
      }
      details.reason = 'labels-missing';
      return warn(`namespace ${METALLB_NS} has no Pod Security labels: the speaker runs under the cluster default, which a stricter default would block`, {
        details,
        hint: `Pin the privileged level as the guide says: ${LABEL_COMMAND}`,
        remedy: REMEDY,
      });
    }
    const others = MODES.filter((m) => m !== 'enforce' && levels[m] !== 'privileged');
    const note = others.length ? ` (${others.map((m) => `${m}=${levels[m] ?? 'unset'}`).join(', ')}: warnings only)` : '';
    details.reason = 'privileged';
    return pass(`namespace ${METALLB_NS} enforces Pod Security level privileged${note}`, { details });
  },
};
