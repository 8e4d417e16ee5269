import { KINDS } from '../../cluster/writer.js';
import { METALLB_NS } from '../../checks/lib/akash.js';
import { RECOMMENDED_METALLB } from '../../checks/lib/metallb.js';
import { createStep } from '../lib.js';
import type { Fix } from '../types.js';
import { PSA_LABELS } from './common.js';

export const fix: Fix = {
  id: 'metallb.create-namespace',
  title: 'Create namespace metallb-system (Pod Security privileged)',
  addresses: ['metallb.namespace'],
  risk: 'safe',
  order: 10,
  doc:
    'Creates namespace metallb-system with the Pod Security labels enforce/audit/warn=privileged, which the MetalLB speaker needs (hostNetwork and NET_RAW: metallb/metallb:charts/metallb/templates/speaker.yaml:167,353 at v0.14.9). The IP operator looks for MetalLB only there (akash-network/provider:cluster/kube/operators/clients/metallb/client.go:113). ' +
    `MetalLB itself is not installed by this fix: see metallb.install (Helm chart ${RECOMMENDED_METALLB}, a manual step).`,
  async plan(ctx) {
    const ns = await ctx.writer.get(KINDS.namespace, undefined, METALLB_NS, ctx.signal);
    if (ns) return { skip: `namespace ${METALLB_NS} exists` };
    return {
      summary: `create namespace ${METALLB_NS} labelled privileged for Pod Security`,
      steps: [createStep(KINDS.namespace, { metadata: { name: METALLB_NS, labels: { ...PSA_LABELS } } }, `create namespace ${METALLB_NS} with pod-security.kubernetes.io/{enforce,audit,warn}=privileged`)],
      notes: [`MetalLB is still to be installed into ${METALLB_NS}: see the manual fix metallb.install (helm install without --create-namespace, the namespace exists then).`],
    };
  },
};
