import type { Check } from '../../core/types.js';
import { pass, warn } from '../../core/types.js';
import { PERMISSIONS, describePermission, grantCommands, type Permission } from '../lib/permissions.js';

export const check: Check = {
  id: 'cluster.permissions',
  title: 'The credentials may make every read the doctor needs',
  category: 'cluster',
  dependsOn: ['cluster.api'],
  doc: {
    what: 'Asks the API server (SelfSubjectAccessReview, the same question as `kubectl auth can-i`) whether the kubeconfig may make each read the doctor makes: pods and pod logs, Services and the service proxy, Secrets in akash-services (the Helm release), MetalLB pools, nodes, events and ConfigMaps. Upstream: Kubernetes authorization.k8s.io/v1 SelfSubjectAccessReview; the list of reads is src/checks/lib/permissions.ts.',
    why: 'A check whose read is forbidden cannot decide anything: it reports an error naming the missing permission instead of a result. Knowing up front which checks are degraded keeps a restricted kubeconfig from looking like a broken cluster.',
    fix: 'Run the doctor with a kubeconfig that can read the cluster (for example the admin kubeconfig on a control-plane node), or grant the listed read-only permissions, e.g. `kubectl -n akash-services create role akash-ip-doctor-read --verb=get,list --resource=pods/log,services/proxy` and `kubectl -n akash-services create rolebinding akash-ip-doctor-read --role=akash-ip-doctor-read --user=<doctor-user>` (find the user with `kubectl auth whoami`).',
  },
  async run(ctx) {
    const answers = await Promise.all(
      PERMISSIONS.map(async (p) => ({
        p,
        answer: await ctx.cluster.canI(p.verb, p.resource, { group: p.group, namespace: p.namespace, subresource: p.subresource }),
      })),
    );
    const missing: Permission[] = answers.filter((a) => !a.answer.allowed).map((a) => a.p);
    if (missing.length === 0) {
      return pass(`all ${PERMISSIONS.length} reads the doctor makes are allowed`, { details: { reason: 'all-allowed', checked: PERMISSIONS.length } });
    }
    const degraded = [...new Set(missing.flatMap((p) => p.checks))].sort();
    const list = missing.map(describePermission);
    return warn(
      `${missing.length} of ${PERMISSIONS.length} reads are forbidden (${list.join('; ')}): ${degraded.length} checks cannot give a result (they report the forbidden read or are skipped): ${degraded.join(', ')}`,
      {
        details: {
          reason: 'some-forbidden',
          checked: PERMISSIONS.length,
          missing: missing.map((p) => ({ permission: describePermission(p), verb: p.verb, resource: p.resource, group: p.group, namespace: p.namespace ?? null, subresource: p.subresource ?? null, purpose: p.purpose, checks: p.checks })),
          degradedChecks: degraded,
        },
        hint: `run the doctor with a kubeconfig that can read the cluster, or grant the missing read-only permissions (replace <doctor-user> with the output of \`kubectl auth whoami\` run with the doctor's kubeconfig): ${grantCommands(missing).join(' && ')}`,
        remedy: { summary: 'grant the doctor read-only access to what it checks', commands: grantCommands(missing) },
      },
    );
  },
};
