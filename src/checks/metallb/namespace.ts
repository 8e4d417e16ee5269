import { fail, pass, type Check } from '../../core/types.js';
import { METALLB_NS } from '../lib/akash.js';
import { RECOMMENDED_METALLB } from '../lib/metallb.js';

export const METALLB_HELM_INSTALL = [
  'helm repo add metallb https://metallb.github.io/metallb',
  `helm -n ${METALLB_NS} install metallb metallb/metallb --version ${RECOMMENDED_METALLB} --create-namespace`,
];

export const check: Check = {
  id: 'metallb.namespace',
  title: 'Namespace metallb-system exists',
  category: 'metallb',
  dependsOn: ['cluster.api'],
  dependantsStartEarly: true,
  doc: {
    what: 'Looks up the namespace metallb-system, where MetalLB (controller, speaker, address pools) must live. details.reason: namespace-exists, namespace-missing, namespace-terminating.',
    why: 'The Akash IP operator looks for MetalLB only in metallb-system (Service controller, port monitoring: akash-network/provider:cluster/kube/operators/clients/metallb/client.go:113). Without the namespace there is no MetalLB the operator can use, so no IP lease can get an address.',
    fix: 'Install MetalLB 0.14.x into metallb-system, for example with Helm: `helm repo add metallb https://metallb.github.io/metallb` then `helm -n metallb-system install metallb metallb/metallb --version 0.14.9 --create-namespace` (or `kubectl create ns metallb-system` first when installing another way). Kubespray users set `metallb_enabled: true` in the inventory.',
  },
  async run(ctx) {
    const ns = await ctx.cluster.getNamespace(METALLB_NS);
    if (!ns) {
      return fail(`namespace ${METALLB_NS} does not exist: MetalLB is not installed where the IP operator looks for it`, {
        details: { reason: 'namespace-missing', namespace: METALLB_NS },
        hint: `Install MetalLB ${RECOMMENDED_METALLB} into ${METALLB_NS}: ${METALLB_HELM_INSTALL.join(' && ')}`,
        remedy: {
          summary: `create namespace ${METALLB_NS} and install MetalLB ${RECOMMENDED_METALLB} with Helm`,
          commands: [`kubectl create ns ${METALLB_NS}`, ...METALLB_HELM_INSTALL.map((c) => c.replace(' --create-namespace', ''))],
          fixId: 'metallb.create-namespace',
        },
      });
    }
    const phase = ns.status?.phase ?? 'Active';
    if (ns.metadata?.deletionTimestamp || phase === 'Terminating') {
      return fail(`namespace ${METALLB_NS} is being deleted (phase Terminating): MetalLB will be gone with it`, {
        details: { reason: 'namespace-terminating', namespace: METALLB_NS, phase: 'Terminating' },
        hint: `Find what deletes it and what blocks the deletion: kubectl get ns ${METALLB_NS} -o yaml; once it is gone, reinstall MetalLB: ${METALLB_HELM_INSTALL.join(' && ')}`,
      });
    }
    return pass(`namespace ${METALLB_NS} exists`, { details: { reason: 'namespace-exists', namespace: METALLB_NS, phase } });
  },
};
