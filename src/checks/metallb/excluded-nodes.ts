import type * as k8s from '@kubernetes/client-node';
import { fail, pass, warn, type Check, type Remedy } from '../../core/types.js';
import { EXCLUDE_LB_LABEL, compareVersion, controllerVersion, listNames } from '../lib/metallb.js';

const isReady = (n: k8s.V1Node): boolean => (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export function unlabelCommand(node: string): string {
  return `kubectl label node ${node} ${EXCLUDE_LB_LABEL}-`;
}

export const check: Check = {
  id: 'metallb.excluded-nodes',
  title: 'MetalLB may announce from the nodes (exclude-from-external-load-balancers)',
  category: 'metallb',
  dependsOn: ['cluster.api'],
  doc: {
    what: 'Lists the nodes labelled node.kubernetes.io/exclude-from-external-load-balancers (kubeadm puts it on control-plane nodes) and compares them with all nodes. Some excluded nodes warn; all nodes excluded, or no Ready node left to announce from, fails.',
    why: 'MetalLB 0.14.2 and later do not announce lease IPs from labelled nodes. On a single-node provider, or when every node is labelled, no node answers for the lease IPs and they are unreachable, although the Services show an IP.',
    fix: 'Remove the label from the nodes that should announce: `kubectl label node <node> node.kubernetes.io/exclude-from-external-load-balancers-`. Keep it only where announcing is really unwanted and enough other nodes remain.',
  },
  async run(ctx) {
    // one list of the nodes; the labelled ones are picked out of it (no second request)
    const all = await ctx.cluster.listNodes();
    const excluded = all.filter((n) => Object.prototype.hasOwnProperty.call(n.metadata?.labels ?? {}, EXCLUDE_LB_LABEL));
    const excludedNames = excluded.map((n) => n.metadata?.name ?? '').filter(Boolean);
    const excludedSet = new Set(excludedNames);
    const eligible = all.filter((n) => !excludedSet.has(n.metadata?.name ?? ''));
    const eligibleReady = eligible.filter(isReady);
    const details: Record<string, unknown> = { nodes: all.length, excluded: excludedNames, eligibleReady: eligibleReady.map((n) => n.metadata?.name) };
    if (excludedNames.length === 0) return pass(`no node is labelled ${EXCLUDE_LB_LABEL} (${all.length} node${all.length === 1 ? '' : 's'} may announce)`, { details });

    // MetalLB before 0.14.2 ignores the label
    let oldMetallb: string | null = null;
    try {
      const v = await controllerVersion(ctx.cluster);
      if (v?.version && compareVersion(v.version, { major: 0, minor: 14, patch: 2 }) < 0) oldMetallb = v.version.text;
    } catch {
      /* the version is only a refinement */
    }
    if (oldMetallb) details.metallbVersion = oldMetallb;
    const commands = excludedNames.map(unlabelCommand);
    const remedy: Remedy = { summary: `remove ${EXCLUDE_LB_LABEL} from ${listNames(excludedNames)}`, commands, params: { nodes: excludedNames.join(',') } };
    const which = `${excludedNames.length} of ${all.length} node${all.length === 1 ? '' : 's'} (${listNames(excludedNames)})`;
    const blocking = eligibleReady.length === 0;

    if (blocking && !oldMetallb) {
      const what =
        eligible.length > 0
          ? `${which} labelled ${EXCLUDE_LB_LABEL} and the others (${listNames(eligible.map((n) => n.metadata?.name ?? ''))}) are not Ready`
          : all.length === 1
            ? `the only node, ${excludedNames[0]}, is labelled ${EXCLUDE_LB_LABEL}`
            : `all ${all.length} nodes (${listNames(excludedNames)}) are labelled ${EXCLUDE_LB_LABEL}`;
      return fail(`${what}: MetalLB announces lease IPs from no node, so they are unreachable`, {
        details,
        hint: `Let MetalLB announce from them: ${commands.join(' && ')}`,
        remedy,
      });
    }
    if (oldMetallb) {
      return warn(`${which} labelled ${EXCLUDE_LB_LABEL}: MetalLB ${oldMetallb} still announces from them, but 0.14.2 and later will not${blocking ? ', leaving no node to announce from' : ''}`, {
        details,
        hint: `Remove the label before upgrading MetalLB: ${commands.join(' && ')}`,
        remedy,
      });
    }
    return warn(`${which} labelled ${EXCLUDE_LB_LABEL}: MetalLB does not announce lease IPs from them (${eligibleReady.length} Ready node${eligibleReady.length === 1 ? '' : 's'} still can)`, {
      details,
      hint: `If they should announce, remove the label: ${commands.join(' && ')}`,
      remedy,
    });
  },
};
