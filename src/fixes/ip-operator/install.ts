/** ip-operator.install (manual): the akash-ip-operator chart of the layout the provider uses, pinned, with provider_address. */
import { OPERATOR_CHART } from '../../checks/lib/ip-operator.js';
import type { Fix, FixContext, PlanResult } from '../types.js';
import { manualPlan } from '../provider/manual.js';

export const fix: Fix = {
  id: 'ip-operator.install',
  title: 'Install the IP operator chart the provider needs',
  addresses: ['ip-operator.installed'],
  risk: 'manual',
  order: 100,
  doc: `Printed, never run: \`helm install akash-ip-operator akash/akash-ip-operator -n akash-services --version ${OPERATOR_CHART.new} --set provider_address=<address>\` for provider ≥ 0.5.0 (Deployment/Service operator-ip port rest, helm-charts main charts/akash-ip-operator), \`--version ${OPERATOR_CHART.old}\` for a provider ≤ 0.4.x (akash-ip-operator port api); the provider finds only its own layout (provider cluster/kube/operators/clients/ip/client.go:45, v0.4.8 cluster/operatorclients/ip_operator_client.go:65). provider_address is required: the operator exits without it (operator/ip/cmd.go:38). A release of the other layout is removed first.`,
  async plan(ctx: FixContext): Promise<PlanResult> {
    return manualPlan(ctx, 'ip-operator.install', ['ip-operator.installed'], {
      summary: 'install the akash-ip-operator chart of the layout the provider uses, pinned, with the provider address',
      nothing: 'no check reports the IP operator missing',
      notes: ['Replace <provider-address> if the command still shows it: the operator refuses to start without a bech32 provider address.'],
    });
  },
};
