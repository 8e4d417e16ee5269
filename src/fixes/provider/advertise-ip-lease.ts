/** provider.advertise-ip-lease (manual): attribute ip-lease: true in provider.yaml, published on chain by the restarted provider. */
import { RESTART_PROVIDER } from '../../checks/lib/akash.js';
import type { Fix, FixContext, PlanResult } from '../types.js';
import { manualPlan } from './manual.js';

export const fix: Fix = {
  id: 'provider.advertise-ip-lease',
  title: 'Advertise the ip-lease attribute (Helm values and on chain)',
  addresses: ['provider.ip-lease-attribute', 'provider.onchain-attribute'],
  risk: 'manual',
  order: 100,
  doc:
    "Printed, never run: the attributes are Helm values of the akash-provider chart (charts/akash-provider values.yaml, no default), written to provider.yaml and published on chain by the pod's init container at every start (scripts/init.sh → scripts/create_provider.sh: `provider-services tx provider create|update provider.yaml`). So: add `ip-lease: true` with a pinned `helm upgrade`, then restart the provider so the init container publishes it (a chain transaction signed with the provider's key).",
  async plan(ctx: FixContext): Promise<PlanResult> {
    return manualPlan(ctx, 'provider.advertise-ip-lease', ['provider.ip-lease-attribute', 'provider.onchain-attribute'], {
      summary: 'add attribute ip-lease: true to the akash-provider Helm values (pinned upgrade), then restart the provider so its init container publishes it on chain',
      nothing: 'no check reports the ip-lease attribute missing',
      also: [RESTART_PROVIDER],
      notes: [
        'The restart publishes the attributes with a transaction (provider-services tx provider update): the provider key pays its fee. Check it afterwards with --chain-api, or provider-services query provider get <address>.',
      ],
    });
  },
};
