import { error, fail, pass, warn, type Check, type Remedy } from '../../core/types.js';
import { AKASH_NS, PROVIDER_STS, providerEnv, providerStatefulSet } from '../lib/akash.js';
import { goBoolFalse, goBoolTrue, readSetting } from '../lib/flags.js';
import { HelmDecodeError, helmRelease } from '../lib/helm.js';
import { ClusterError } from '../../cluster/errors.js';

const VAR = 'AKASH_IP_OPERATOR';

export const HELM_ENABLE_IP_OPERATOR = [
  `helm -n ${AKASH_NS} get values akash-provider | grep -v ^USER > provider.yaml`,
  `sed -i '/^ipoperator:/d' provider.yaml && echo 'ipoperator: true' >> provider.yaml`,
  `helm upgrade akash-provider akash/provider -n ${AKASH_NS} -f provider.yaml`,
];

/**
 * The guide's commands, with the upgrade pinned to the chart version installed now: an unpinned
 * `helm upgrade` takes whatever the local repo index holds, which can be a newer major chart
 * (other values) or, with a stale index, an older one (a downgrade of the running provider).
 */
export function enableCommands(chartVersion: string | null | undefined): string[] {
  if (!chartVersion) return HELM_ENABLE_IP_OPERATOR;
  return [HELM_ENABLE_IP_OPERATOR[0]!, HELM_ENABLE_IP_OPERATOR[1]!, `helm upgrade akash-provider akash/provider -n ${AKASH_NS} --version ${chartVersion} -f provider.yaml`];
}

/** Chart version of the deployed akash-provider release, or null when there is none or it cannot be read. */
async function installedChartVersion(snap: Parameters<Check['run']>[0]['cluster']): Promise<string | null> {
  try {
    return (await helmRelease(snap, AKASH_NS, 'akash-provider')).release?.chart.version || null;
  } catch (e) {
    if (e instanceof ClusterError || e instanceof HelmDecodeError) return null;
    throw e;
  }
}

function helmRemedy(commands: string[]): Remedy {
  return { summary: 'set ipoperator: true in the akash-provider Helm values and upgrade the release', commands, fixId: 'provider.enable-ip-operator' };
}

function helmHint(commands: string[]): string {
  return `Enable it in the provider's Helm values: ${commands[0]}; add "ipoperator: true" to provider.yaml; ${commands[2]} (without Helm: set ${VAR}=true in the provider's environment or run provider-services with --ip-operator=true)`;
}

export const check: Check = {
  id: 'provider.ip-operator-flag',
  title: 'Provider runs with AKASH_IP_OPERATOR=true',
  category: 'provider',
  dependsOn: ['cluster.api'],
  doc: {
    what: 'Resolves whether the provider container in StatefulSet akash-services/akash-provider runs with the IP operator enabled, the way provider-services reads it: the bool flag --ip-operator (akash-network/provider:cmd/provider-services/cmd/run.go:106; pflag: only `--ip-operator=value` carries a value, a bare flag is true, the last occurrence wins) wins over env AP_IP_OPERATOR / AKASH_IP_OPERATOR (env prefixes AP and AKASH, cmd/provider-services/cmd/root.go:31); the env is resolved as the kubelet does (envFrom ConfigMaps, then env, valueFrom configMapKeyRef; Secrets are never read). The chart sets AKASH_IP_OPERATOR from `.Values.ipoperator` in ConfigMap akash-provider-main and in the container env (helm-charts:charts/akash-provider/templates). Reports where the value came from.',
    why: 'Without AKASH_IP_OPERATOR=true the provider never asks the IP operator for addresses, so it does not bid on deployments that request IP leases.',
    fix: 'Set the Helm value and upgrade: `helm -n akash-services get values akash-provider | grep -v ^USER > provider.yaml`, add `ipoperator: true` to provider.yaml, then `helm upgrade akash-provider akash/provider -n akash-services --version <installed chart version> -f provider.yaml` (pinned, so the upgrade changes only the values). Providers run without Helm set AKASH_IP_OPERATOR=true or pass --ip-operator=true.',
  },
  async run(ctx) {
    const sts = await providerStatefulSet(ctx.cluster);
    if (!sts) {
      return fail(`StatefulSet ${AKASH_NS}/${PROVIDER_STS} not found: the Akash provider is not installed in ${AKASH_NS}`, {
        details: { reason: 'statefulset-missing', statefulSet: `${AKASH_NS}/${PROVIDER_STS}`, found: false },
        hint: `Install the provider with its Helm chart into ${AKASH_NS} (helm install akash-provider akash/provider -n ${AKASH_NS} -f provider.yaml, with ipoperator: true in provider.yaml); a provider installed elsewhere is not supported by this check`,
      });
    }
    const env = await providerEnv(ctx.cluster);
    // only the failing paths need the release (memoised: helm-values and the attribute check read it too)
    const fixCommands = async () => enableCommands(await installedChartVersion(ctx.cluster));
    if (!env) return error(`StatefulSet ${AKASH_NS}/${PROVIDER_STS} has no containers, so its environment could not be read`, { details: { reason: 'no-container', statefulSet: `${AKASH_NS}/${PROVIDER_STS}` } });

    const container = env.container.name;
    const setting = await readSetting(ctx.cluster, AKASH_NS, env.container, { flag: 'ip-operator', bool: true }, { vars: env.vars, missingConfigMaps: env.missingConfigMaps });
    const missingNote = env.missingConfigMaps.length ? `; ConfigMap ${env.missingConfigMaps.map((n) => `${AKASH_NS}/${n}`).join(', ')} referenced by the container is missing` : '';
    const details: Record<string, unknown> = {
      statefulSet: `${AKASH_NS}/${PROVIDER_STS}`,
      container,
      via: setting.via,
      value: setting.value ?? null,
      // where the value came from: `args`, `env`, `configmap <name>` (envFrom), `configmap <name> key <k>`, `secret <name>`
      source: setting.via === 'flag' ? 'args' : setting.envName ? (env.vars.get(setting.envName)?.source ?? null) : null,
      setting: setting.source,
      ...(setting.envName ? { env: setting.envName } : {}),
      ...(setting.shadowed.length ? { shadowed: setting.shadowed } : {}),
      ...(setting.strayValue !== undefined ? { strayValue: setting.strayValue } : {}),
      ...(env.missingConfigMaps.length ? { missingConfigMaps: env.missingConfigMaps } : {}),
    };
    const shadowNote = setting.shadowed.length ? `; ${setting.shadowed.map((x) => `${x.source}${x.value !== undefined ? ` = "${x.value}"` : ''}`).join(', ')} ${setting.via === 'flag' ? 'loses to the command-line flag' : 'is also set'}` : '';

    // A command-line flag wins over the environment (cobra/viper).
    if (setting.via === 'flag') {
      const v = setting.value ?? '';
      if (setting.strayValue !== undefined) {
        // pflag: a bool flag takes its value only as --flag=value
        const stray = ` ("${setting.strayValue}" after it is a separate argument, not the flag's value: pflag reads bool flags only as --ip-operator=value)`;
        return pass(`provider container ${container} runs with --ip-operator, which is true${stray}${shadowNote}`, { details: { ...details, reason: 'flag-true' } });
      }
      if (goBoolTrue(v)) return pass(`provider container ${container} runs with ${setting.source!.replace(/^args /, '')} (command-line flag)${shadowNote}`, { details: { ...details, reason: 'flag-true' } });
      return fail(`provider container ${container} runs with ${setting.source!.replace(/^args /, '')} (command-line flag, it wins over the environment)${shadowNote}, so IP leases are off`, {
        details: { ...details, reason: goBoolFalse(v) ? 'flag-false' : 'flag-invalid' },
        hint: `Remove the ${setting.source!.replace(/^args /, '')} argument from StatefulSet ${AKASH_NS}/${PROVIDER_STS} (kubectl -n ${AKASH_NS} edit statefulset ${PROVIDER_STS}) or set it to --ip-operator=true`,
      });
    }

    if (setting.via === null) {
      const commands = await fixCommands();
      if (setting.secretSources.length > 0) {
        return warn(`neither --ip-operator nor ${VAR}/AP_IP_OPERATOR is set in the env or the ConfigMaps of provider container ${container}; it could only come from ${setting.secretSources.join(', ')}, which this tool does not read${missingNote}`, {
          details: { ...details, reason: 'unreadable', unreadSources: setting.secretSources },
          hint: `Make sure ${VAR}=true is set; with Helm: ${helmHint(commands)}`,
          remedy: helmRemedy(commands),
        });
      }
      return fail(`${VAR} is not set on provider container ${container} of StatefulSet ${AKASH_NS}/${PROVIDER_STS} (neither --ip-operator, nor AP_IP_OPERATOR/${VAR} in env or its envFrom ConfigMaps), so IP leases are off${missingNote}`, {
        details: { ...details, reason: 'not-set' },
        hint: helmHint(commands),
        remedy: helmRemedy(commands),
      });
    }
    const name = setting.envName!;
    const src = setting.source!.replace(/^env [A-Z_]+ ?/, '').replace(/^\((.*)\)$/, '$1') || 'env';
    if (setting.unreadable || setting.value === undefined) {
      return warn(`${name} of provider container ${container} comes from ${src}, which this tool does not read, so its value is unknown`, {
        details: { ...details, reason: 'unreadable' },
        hint: `Check that it is true: kubectl -n ${AKASH_NS} exec ${PROVIDER_STS}-0 -c ${container} -- printenv ${name}`,
      });
    }
    if (goBoolTrue(setting.value)) {
      return pass(`${name}=${setting.value} on provider container ${container} (from ${src})${shadowNote}`, { details: { ...details, reason: 'env-true' } });
    }
    const commands = await fixCommands();
    const v = setting.value;
    const what = v === '' ? 'is empty' : goBoolFalse(v) ? `is "${v}"` : `is "${v}", which the provider does not read as true`;
    // env wins over envFrom: say so when a ConfigMap holds a different value
    let shadowed = '';
    if (src === 'env') {
      for (const from of env.container.envFrom ?? []) {
        const cmName = from.configMapRef?.name;
        const other = cmName ? (await ctx.cluster.getConfigMap(AKASH_NS, cmName))?.data?.[name.slice((from.prefix ?? '').length)] : undefined;
        if (cmName && other !== undefined && other !== v && (!from.prefix || name.startsWith(from.prefix))) {
          shadowed = `; ConfigMap ${AKASH_NS}/${cmName} says "${other}", but the container env wins`;
          details.overridden = { source: `configmap ${cmName}`, value: other };
        }
      }
    }
    return fail(`${name} ${what} on provider container ${container} (from ${src})${shadowed}${shadowNote}, so IP leases are off`, {
      details: { ...details, reason: v === '' ? 'env-empty' : goBoolFalse(v) ? 'env-false' : 'env-invalid' },
      hint: helmHint(commands),
      remedy: helmRemedy(commands),
    });
  },
};
