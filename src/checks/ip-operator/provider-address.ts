import type { Check } from '../../core/types.js';
import type { Snapshot } from '../../cluster/snapshot.js';
import { error, fail, pass, warn } from '../../core/types.js';
import { AKASH_NS, restartOperatorCommand } from '../lib/akash.js';
import { operatorContainer, operatorTarget, preferred, type LayoutState } from '../lib/ip-operator.js';
import { readSetting, type Setting } from '../lib/flags.js';
import { providerFrom } from '../lib/provider-from.js';
import { helmRelease } from '../lib/helm.js';

const PIN_HINT = `find the installed chart version (helm -n ${AKASH_NS} list), then upgrade the operator release with that --version, --reuse-values and --set provider_address=<provider address>, and restart its pods`;

/**
 * Helm upgrade + restart, pinned to the installed chart version: an unpinned
 * upgrade of an old (≤ 8.x) operator release would jump to the current chart and
 * change the layout under the operator. No commands when the old layout's version
 * cannot be read.
 */
async function fixCommands(snap: Snapshot, s: LayoutState, address: string): Promise<string[] | null> {
  const release = s.helmRelease ?? 'akash-ip-operator';
  const version = await helmRelease(snap, AKASH_NS, release).then(
    (l) => l.release?.chart.version ?? null,
    () => null,
  );
  if (!version && s.layout.layout === 'old') return null;
  return [`helm -n ${AKASH_NS} upgrade ${release} akash/akash-ip-operator${version ? ` --version ${version}` : ''} --reuse-values --set provider_address=${address}`, restartOperatorCommand(s.layout)];
}

export const OPERATOR_CONFIGMAP = 'operator-ip';
/** Names that look like the address setting but that no operator version reads. */
export const ADDRESS_LOOKALIKES = ['AKASH_PROVIDER_ADDRESS', 'PROVIDER_ADDRESS', 'AP_PROVIDER_ADDRESS', '--provider-address'];

export interface OperatorAddress {
  address: string | null;
  /** e.g. `args --provider akash1…`, `env AP_PROVIDER (configmap operator-ip key provider-address)`. */
  source: string | null;
  setting: Setting | null;
}

/**
 * The operator's provider address as the binary reads it: flag `--provider`, else env
 * AP_PROVIDER / AKASH_PROVIDER (literal, configMapKeyRef as the chart renders it, or an
 * envFrom ConfigMap). Lookalike names are reported but never used.
 */
export async function operatorAddress(snap: Snapshot, s: LayoutState): Promise<OperatorAddress> {
  const c = operatorContainer(s);
  if (!c) return { address: null, source: null, setting: null };
  const setting = await readSetting(snap, AKASH_NS, c, { flag: 'provider', lookalikes: ADDRESS_LOOKALIKES });
  const v = setting.value?.trim();
  return { address: v ? v : null, source: setting.source, setting };
}

export const check: Check = {
  id: 'ip-operator.provider-address',
  title: "The IP operator serves the provider's own address",
  category: 'ip-operator',
  dependsOn: ['cluster.api'],
  doc: {
    what: "Compares the provider address the IP operator (the layout the provider uses) runs with against the provider's own address (AKASH_FROM of the akash-provider StatefulSet, else Helm values `from`). The operator reads flag `--provider` (akash-network/provider:operator/common/operator_flags.go:18), else env AP_PROVIDER or AKASH_PROVIDER (env prefixes AP and AKASH, cmd/provider-services/cmd/root.go:31); the current chart sets env AP_PROVIDER from ConfigMap operator-ip key provider-address (helm-charts:charts/akash-ip-operator/templates/deployment.yaml), the old chart passes `--provider <address>` in args. AKASH_PROVIDER_ADDRESS, PROVIDER_ADDRESS, AP_PROVIDER_ADDRESS and --provider-address are read by nothing: an operator configured only through them has no address.",
    why: "The operator only handles leases of the provider address it was given. With another address (a copy-paste from the guide's example, or an old wallet) it allocates nothing for this provider's leases: tenants see no IP although everything looks healthy.",
    fix: 'Reinstall the operator with the right address and restart it: `helm -n akash-services upgrade akash-ip-operator akash/akash-ip-operator --version <installed chart version> --reuse-values --set provider_address=<provider address>` (pinned: an unpinned upgrade of an old ≤ 8.x release would switch it to the current chart\'s layout), then `kubectl -n akash-services delete pod -l app.kubernetes.io/name=ip` (the pods read the address only at start).',
  },
  async run(ctx) {
    const t = await operatorTarget(ctx.cluster);
    if (!t.used) return fail(`no IP operator of the layout the provider uses in ${AKASH_NS} (see ip-operator.installed)`, { details: { reason: 'not-installed' } });
    const states = t.needed ? [t.used] : preferred(t.states);
    const from = await providerFrom(ctx.cluster);
    if (!from.address) {
      const seen = from.notAddresses.map((n) => `${n.source} is "${n.value}"`).join(', ');
      return error(`cannot tell the provider's own address to compare with: ${seen ? `${seen}, not an akash1… address` : 'neither AKASH_FROM in the provider StatefulSet nor Helm values from is set'}`, {
        details: { reason: 'provider-address-unknown', notAddresses: from.notAddresses },
      });
    }
    const found = await Promise.all(states.map(async (s) => ({ s, op: await operatorAddress(ctx.cluster, s) })));
    const details = {
      provider: { address: from.address, source: from.source },
      operators: found.map(({ s, op }) => ({ name: s.layout.name, layout: s.layout.layout, address: op.address, source: op.source, ...(op.setting?.lookalikes.length ? { ignoredNames: op.setting.lookalikes } : {}) })),
    };
    for (const { s, op } of found) {
      if (op.address && op.address === from.address) continue;
      const cmds = await fixCommands(ctx.cluster, s, from.address);
      const fix = cmds ? { remedy: { summary: `configure the IP operator for ${from.address}`, commands: cmds, fixId: 'ip-operator.set-provider-address' } } : {};
      const where = `IP operator ${AKASH_NS}/${s.layout.name}`;
      if (!op.address && op.setting?.unreadable) {
        return warn(`${where} reads its provider address from ${op.source}, which this tool does not read, so it cannot be compared with ${from.address}`, {
          details: { ...details, reason: 'address-unreadable' },
          hint: `check it by hand: kubectl -n ${AKASH_NS} exec deploy/${s.layout.name} -- printenv ${op.setting.envName ?? 'AP_PROVIDER'}`,
        });
      }
      if (!op.address) {
        const ignored = op.setting?.lookalikes ?? [];
        const empty = op.source ? ` (${op.source} is empty)` : '';
        const why = ignored.length
          ? `it is configured only through ${ignored.map((l) => l.source).join(', ')}, which the operator does not read (it reads --provider or env AP_PROVIDER/AKASH_PROVIDER)`
          : `neither --provider nor env AP_PROVIDER/AKASH_PROVIDER is set${empty}`;
        return fail(`${where} has no provider address: ${why}; it refuses to start or handles no lease of ${from.address}`, {
          details: { ...details, reason: ignored.length ? 'address-ignored-name' : 'address-missing' },
          hint: cmds ? `set it and restart the operator: ${cmds.join(' && ')}` : PIN_HINT,
          ...fix,
        });
      }
      return fail(`${where} serves provider ${op.address} (${op.source}) but the provider is ${from.address} (${from.source}): tenants of this provider get no IP`, {
        details: { ...details, reason: 'address-mismatch' },
        hint: cmds ? `point the operator at ${from.address} and restart it: ${cmds.join(' && ')}` : PIN_HINT,
        ...fix,
      });
    }
    const srcs = found.map(({ s, op }) => `${s.layout.name} reads it from ${op.source}`).join(', ');
    return pass(`IP operator serves ${from.address}, the provider's own address (${from.source}); ${srcs}`, { details: { ...details, reason: 'address-match' } });
  },
};
