/** ip-operator.set-provider-address (manual): Helm value provider_address of the IP operator release, then a restart. */
import type { Fix, FixContext, PlanResult } from '../types.js';
import { manualPlan } from '../provider/manual.js';

export const fix: Fix = {
  id: 'ip-operator.set-provider-address',
  title: "Give the IP operator the provider's own address",
  addresses: ['ip-operator.provider-address'],
  risk: 'manual',
  order: 100,
  doc:
    "Printed, never run: the chart renders `.Values.provider_address` into ConfigMap operator-ip key provider-address, read as env AP_PROVIDER (current chart), or passes `--provider <address>` (old chart ≤ 8.x); the operator uses it as LeaseID.Provider (operator/ip/operator.go:554), so a wrong one looks up leases of another provider. Changed with `helm upgrade --reuse-values --set provider_address=…` pinned to the installed chart version (an unpinned upgrade of an old release would switch its layout), then the pods are restarted: they read it only at start.",
  async plan(ctx: FixContext): Promise<PlanResult> {
    return manualPlan(ctx, 'ip-operator.set-provider-address', ['ip-operator.provider-address'], {
      summary: "set provider_address of the IP operator release to the provider's own address (pinned helm upgrade), then restart the operator",
      nothing: 'no check reports a wrong IP operator provider address',
    });
  },
};
