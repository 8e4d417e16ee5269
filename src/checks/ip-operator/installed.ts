import type { Check } from '../../core/types.js';
import { fail, pass, warn } from '../../core/types.js';
import { AKASH_NS, imageTag } from '../lib/akash.js';
import { installOperatorAdvice, operatorStates, type LayoutState } from '../lib/ip-operator.js';

function summary(s: LayoutState): Record<string, unknown> {
  return {
    layout: s.layout.layout,
    name: s.layout.name,
    selector: s.layout.selector,
    deployment: s.layout.deployment ? s.layout.name : null,
    helmRelease: s.helmRelease,
    desired: s.desired,
    available: s.available,
    pods: s.pods.map((p) => p.metadata?.name),
    readyPods: s.readyPods,
    image: imageTag(s.layout.deployment?.spec?.template?.spec ?? s.pods[0]?.spec, /provider/)?.image ?? null,
    problem: s.problem,
  };
}

/** The exact command that removes the old layout without touching the current one. */
function removeOldCommands(oldState: LayoutState, current: LayoutState): string[] {
  const rel = oldState.helmRelease;
  if (rel && rel !== current.helmRelease) return [`helm -n ${AKASH_NS} uninstall ${rel}`];
  // same release or not from Helm: delete the old objects directly
  return [`kubectl -n ${AKASH_NS} delete deployment,service ${oldState.layout.name} --ignore-not-found`];
}

export const check: Check = {
  id: 'ip-operator.installed',
  title: 'The IP operator is installed and running',
  category: 'ip-operator',
  dependsOn: ['cluster.api'],
  doc: {
    what: 'Finds the IP operator in akash-services in either layout: the current chart (Deployment and Service `operator-ip`, pods labelled app.kubernetes.io/name=ip) or the old chart ≤ 8.x (`akash-ip-operator`, app=akash-ip-operator), and checks that its Deployment is available and its pods are ready.',
    why: 'The IP operator hands out MetalLB addresses for IP leases and tells the provider how many are free. Without it the provider never bids on IP orders. Two operators (an old release left next to a new one) fight over the same leases.',
    fix: 'Install it with `helm install akash-ip-operator akash/akash-ip-operator -n akash-services --set provider_address=<provider address>`. If both layouts are present, remove the old one (`helm -n akash-services uninstall <old release>`, see `helm -n akash-services list`). If its pod is not ready, see `kubectl -n akash-services describe pod -l app.kubernetes.io/name=ip`.',
  },
  async run(ctx) {
    const states = await operatorStates(ctx.cluster);
    if (states.length === 0) {
      const { address, hint, remedy } = await installOperatorAdvice(ctx.cluster);
      return fail(`no IP operator in ${AKASH_NS}: neither Deployment operator-ip (current chart) nor akash-ip-operator (old chart) nor pods with their labels`, {
        details: { namespace: AKASH_NS, providerAddress: address },
        hint,
        remedy,
      });
    }
    const details = { layouts: states.map(summary) };
    const healthy = states.filter((s) => s.problem === null);

    if (states.length > 1) {
      const current = states.find((s) => s.layout.layout === 'new')!;
      const old = states.find((s) => s.layout.layout === 'old')!;
      if (healthy.length === 0) {
        return fail(`two IP operators are installed and neither is running: ${current.problem}; ${old.problem}`, {
          details,
          hint: `remove the old one (${removeOldCommands(old, current).join(' && ')}), then see kubectl -n ${AKASH_NS} describe pod -l ${current.layout.selector}`,
          remedy: { summary: 'remove the old IP operator', commands: removeOldCommands(old, current) },
        });
      }
      const cmds = removeOldCommands(old, current);
      return warn(
        `two IP operators are installed: ${current.layout.name} (current chart${current.problem ? `, ${current.problem}` : ', running'}) and ${old.layout.name} (old chart ≤ 8.x${old.problem ? `, ${old.problem}` : ', running'}); they fight over the same leases`,
        {
          details,
          hint: `remove the old one: ${cmds.join(' && ')}${old.helmRelease ? '' : ` (check \`helm -n ${AKASH_NS} list\` first: if an old chart release owns it, uninstall that release instead)`}`,
          remedy: { summary: `remove the old IP operator ${old.layout.name}`, commands: cmds },
        },
      );
    }

    const s = states[0]!;
    const layoutText = s.layout.layout === 'new' ? 'current chart' : 'old chart ≤ 8.x';
    if (s.problem) {
      const describe = `kubectl -n ${AKASH_NS} describe pod -l ${s.layout.selector}`;
      const logs = `kubectl -n ${AKASH_NS} logs -l ${s.layout.selector} --tail=50`;
      const scaled = s.desired === 0;
      return fail(`IP operator (${layoutText}) is not running: ${s.problem}`, {
        details,
        hint: scaled ? `scale it up: kubectl -n ${AKASH_NS} scale deployment ${s.layout.name} --replicas=1` : `see why: ${describe} && ${logs}`,
        ...(scaled ? { remedy: { summary: 'scale the IP operator back to 1 replica', commands: [`kubectl -n ${AKASH_NS} scale deployment ${s.layout.name} --replicas=1`] } } : {}),
      });
    }
    const where = s.layout.deployment ? `Deployment ${AKASH_NS}/${s.layout.name}` : `pods ${s.layout.selector} in ${AKASH_NS} (no Deployment)`;
    return pass(`IP operator (${layoutText}) is running: ${where}, ${s.readyPods.length}/${s.pods.length} pods ready`, { details });
  },
};
