import type * as k8s from '@kubernetes/client-node';
import type { Check } from '../../core/types.js';
import type { Snapshot } from '../../cluster/snapshot.js';
import { error, fail, pass } from '../../core/types.js';
import { AKASH_NS, restartOperatorCommand } from '../lib/akash.js';
import { operatorStates, type LayoutState } from '../lib/ip-operator.js';
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
export const ADDRESS_ENV = ['AP_PROVIDER', 'AKASH_PROVIDER_ADDRESS', 'PROVIDER_ADDRESS', 'AP_PROVIDER_ADDRESS'];
const ADDRESS_FLAGS = ['--provider', '--provider-address'];

export interface OperatorAddress {
  address: string | null;
  /** e.g. `ConfigMap operator-ip key provider-address`, `args --provider`, `env AP_PROVIDER`. */
  source: string | null;
}

/** The provider address in a container's args: `--provider X`, `--provider=X`, `--provider-address X`. */
export function addressFromArgs(args: string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    for (const f of ADDRESS_FLAGS) {
      if (a === f) return args[i + 1] ?? null;
      if (a.startsWith(f + '=')) return a.slice(f.length + 1);
    }
  }
  return null;
}

/**
 * Where the operator of this layout takes its provider address from, in the order
 * it would win: explicit args, then env (literal or ConfigMap key), then the chart's
 * ConfigMap operator-ip key provider-address (the current chart's source of truth).
 */
export async function operatorAddress(snap: Snapshot, s: LayoutState): Promise<OperatorAddress> {
  const spec: k8s.V1PodSpec | undefined = s.layout.deployment?.spec?.template?.spec ?? s.pods[0]?.spec;
  const c = spec?.containers?.find((x) => x.name === s.layout.container) ?? spec?.containers?.[0];
  const args = [...(c?.command ?? []), ...(c?.args ?? [])];
  const fromArgs = addressFromArgs(args);
  if (fromArgs) return { address: fromArgs.trim(), source: `${s.layout.name} container args --provider` };
  for (const e of c?.env ?? []) {
    if (!ADDRESS_ENV.includes(e.name)) continue;
    if (e.value !== undefined && e.value !== '') return { address: e.value.trim(), source: `${s.layout.name} env ${e.name}` };
    const ref = e.valueFrom?.configMapKeyRef;
    if (ref?.name) {
      const cm = await snap.getConfigMap(AKASH_NS, ref.name);
      const v = cm?.data?.[ref.key];
      return { address: v?.trim() || null, source: `ConfigMap ${ref.name} key ${ref.key} (env ${e.name})` };
    }
  }
  // envFrom a ConfigMap with one of the env names as key
  for (const from of c?.envFrom ?? []) {
    const name = from.configMapRef?.name;
    if (!name) continue;
    const cm = await snap.getConfigMap(AKASH_NS, name);
    const prefix = from.prefix ?? '';
    for (const k of ADDRESS_ENV) {
      if (!k.startsWith(prefix)) continue;
      const key = k.slice(prefix.length);
      const v = cm?.data?.[key];
      if (v) return { address: v.trim(), source: `ConfigMap ${name} key ${key}` };
    }
  }
  const cm = await snap.getConfigMap(AKASH_NS, OPERATOR_CONFIGMAP);
  const v = cm?.data?.['provider-address'];
  if (cm) return { address: v?.trim() || null, source: `ConfigMap ${OPERATOR_CONFIGMAP} key provider-address` };
  return { address: null, source: null };
}

export const check: Check = {
  id: 'ip-operator.provider-address',
  title: "The IP operator serves the provider's own address",
  category: 'ip-operator',
  dependsOn: ['ip-operator.installed'],
  doc: {
    what: "Compares the provider address the IP operator was configured with (ConfigMap operator-ip key provider-address for the current chart; the container's `--provider` argument or AP_PROVIDER env for the old chart) with the provider's own address (AKASH_FROM of the akash-provider StatefulSet, else Helm values `from`).",
    why: "The operator only handles leases of the provider address it was given. With another address (a copy-paste from the guide's example, or an old wallet) it allocates nothing for this provider's leases: tenants see no IP although everything looks healthy.",
    fix: 'Reinstall the operator with the right address and restart it: `helm -n akash-services upgrade akash-ip-operator akash/akash-ip-operator --version <installed chart version> --reuse-values --set provider_address=<provider address>` (pinned: an unpinned upgrade of an old ≤ 8.x release would switch it to the current chart\'s layout), then `kubectl -n akash-services delete pod -l app.kubernetes.io/name=ip` (the pods read the address only at start).',
  },
  async run(ctx) {
    const states = await operatorStates(ctx.cluster);
    if (states.length === 0) return fail(`no IP operator in ${AKASH_NS} (see ip-operator.installed)`);
    const from = await providerFrom(ctx.cluster);
    if (!from.address) {
      const seen = from.notAddresses.map((n) => `${n.source} is "${n.value}"`).join(', ');
      return error(`cannot tell the provider's own address to compare with: ${seen ? `${seen}, not an akash1… address` : 'neither AKASH_FROM in the provider StatefulSet nor Helm values from is set'}`, {
        details: { notAddresses: from.notAddresses },
      });
    }
    const found = await Promise.all(states.map(async (s) => ({ s, op: await operatorAddress(ctx.cluster, s) })));
    const details = { provider: { address: from.address, source: from.source }, operators: found.map(({ s, op }) => ({ name: s.layout.name, layout: s.layout.layout, address: op.address, source: op.source })) };
    for (const { s, op } of found) {
      if (op.address && op.address === from.address) continue;
      const cmds = await fixCommands(ctx.cluster, s, from.address);
      if (!op.address) {
        return fail(`IP operator ${AKASH_NS}/${s.layout.name} has no provider address configured${op.source ? ` (${op.source} is empty)` : ''}: it handles no lease of ${from.address}`, {
          details,
          hint: cmds ? `set it and restart the operator: ${cmds.join(' && ')}` : PIN_HINT,
          ...(cmds ? { remedy: { summary: `configure the IP operator for ${from.address}`, commands: cmds } } : {}),
        });
      }
      if (op.address !== from.address) {
        return fail(`IP operator ${AKASH_NS}/${s.layout.name} serves provider ${op.address} (${op.source}) but the provider is ${from.address} (${from.source}): tenants of this provider get no IP`, {
          details,
          hint: cmds ? `point the operator at ${from.address} and restart it: ${cmds.join(' && ')}` : PIN_HINT,
          ...(cmds ? { remedy: { summary: `configure the IP operator for ${from.address}`, commands: cmds } } : {}),
        });
      }
    }
    const srcs = found.map(({ s, op }) => `${s.layout.name} reads it from ${op.source}`).join(', ');
    return pass(`IP operator serves ${from.address}, the provider's own address (${from.source}); ${srcs}`, { details });
  },
};
