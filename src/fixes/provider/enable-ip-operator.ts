/** provider.enable-ip-operator (manual): Helm value `ipoperator: true` of the akash-provider release. */
import { AKASH_NS, PROVIDER_STS } from '../../checks/lib/akash.js';
import type { Fix, FixContext, PlanResult } from '../types.js';
import { manualPlan } from './manual.js';

export const fix: Fix = {
  id: 'provider.enable-ip-operator',
  title: 'Turn on the IP operator in the provider (Helm value ipoperator: true)',
  addresses: ['provider.ip-operator-flag', 'provider.helm-values'],
  risk: 'manual',
  order: 100,
  doc:
    'Printed, never run: the akash-provider chart renders `.Values.ipoperator` (default false, charts/akash-provider/values.yaml) as AKASH_IP_OPERATOR in ConfigMap akash-provider-main (envFrom) and in the container env (templates/configmap-main.yaml, templates/statefulset.yaml); the provider reads it as --ip-operator (cmd/provider-services/cmd/run.go:106, env prefixes AP/AKASH). A Helm value is changed with a pinned `helm upgrade` of the release (the installed chart version, so only the values change); editing the StatefulSet instead would be undone by the next upgrade.',
  async plan(ctx: FixContext): Promise<PlanResult> {
    return manualPlan(ctx, 'provider.enable-ip-operator', ['provider.helm-values', 'provider.ip-operator-flag'], {
      summary: 'set ipoperator: true in the Helm values of release akash-provider and upgrade it, pinned to the installed chart version',
      nothing: 'no check reports the IP operator turned off in the provider',
      notes: [
        `A container reads its environment (and envFrom ConfigMaps) only at start: if pod ${AKASH_NS}/${PROVIDER_STS}-0 is not replaced by the upgrade, restart it: kubectl -n ${AKASH_NS} delete pod ${PROVIDER_STS}-0`,
        'With the IP operator on, the provider waits at start for the IP operator (Service operator-ip port rest): install it first if ip-operator.installed fails.',
      ],
    });
  },
};
