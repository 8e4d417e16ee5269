import { error, fail, pass, warn, type Check, type Remedy } from '../../core/types.js';
import { AKASH_NS, PROVIDER_STS, providerEnv, providerStatefulSet } from '../lib/akash.js';
import { flagValue, goBoolFalse, goBoolTrue } from '../lib/kube-proxy-config.js';
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
  return { summary: 'set ipoperator: true in the akash-provider Helm values and upgrade the release', commands };
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
    what: 'Resolves the effective AKASH_IP_OPERATOR of the provider container in StatefulSet akash-services/akash-provider, the way the kubelet does: from ConfigMaps read through envFrom (the chart puts it in akash-provider-main), then the container env, then an --ip-operator command-line flag. Reports where the value came from.',
    why: 'Without AKASH_IP_OPERATOR=true the provider never asks the IP operator for addresses, so it does not bid on deployments that request IP leases.',
    fix: 'Set the Helm value and upgrade: `helm -n akash-services get values akash-provider | grep -v ^USER > provider.yaml`, add `ipoperator: true` to provider.yaml, then `helm upgrade akash-provider akash/provider -n akash-services --version <installed chart version> -f provider.yaml` (pinned, so the upgrade changes only the values). Providers run without Helm set AKASH_IP_OPERATOR=true or pass --ip-operator=true.',
  },
  async run(ctx) {
    const sts = await providerStatefulSet(ctx.cluster);
    if (!sts) {
      return fail(`StatefulSet ${AKASH_NS}/${PROVIDER_STS} not found: the Akash provider is not installed in ${AKASH_NS}`, {
        details: { statefulSet: `${AKASH_NS}/${PROVIDER_STS}`, found: false },
        hint: `Install the provider with its Helm chart into ${AKASH_NS} (helm install akash-provider akash/provider -n ${AKASH_NS} -f provider.yaml, with ipoperator: true in provider.yaml); a provider installed elsewhere is not supported by this check`,
      });
    }
    const env = await providerEnv(ctx.cluster);
    // only the failing paths need the release (memoised: helm-values and the attribute check read it too)
    const fixCommands = async () => enableCommands(await installedChartVersion(ctx.cluster));
    if (!env) return error(`StatefulSet ${AKASH_NS}/${PROVIDER_STS} has no containers, so its environment could not be read`, { details: { statefulSet: `${AKASH_NS}/${PROVIDER_STS}` } });

    const container = env.container.name;
    const argv = [...(env.container.command ?? []), ...(env.container.args ?? [])];
    const flag = flagValue(argv, 'ip-operator');
    const v = env.vars.get(VAR);
    const missingNote = env.missingConfigMaps.length ? `; ConfigMap ${env.missingConfigMaps.map((n) => `${AKASH_NS}/${n}`).join(', ')} referenced by the container is missing` : '';
    const details: Record<string, unknown> = {
      statefulSet: `${AKASH_NS}/${PROVIDER_STS}`,
      container,
      value: v?.value ?? null,
      source: v?.source ?? null,
      ...(flag !== undefined ? { flag } : {}),
      ...(env.missingConfigMaps.length ? { missingConfigMaps: env.missingConfigMaps } : {}),
    };

    // A command-line flag wins over the environment (cobra/viper).
    if (flag !== undefined) {
      details.source = 'args';
      details.value = flag;
      if (goBoolTrue(flag)) return pass(`provider container ${container} runs with --ip-operator=${flag} (command-line flag)`, { details });
      return fail(`provider container ${container} runs with --ip-operator=${flag} (command-line flag), so IP leases are off`, {
        details,
        hint: `Remove the --ip-operator=${flag} argument from StatefulSet ${AKASH_NS}/${PROVIDER_STS} (kubectl -n ${AKASH_NS} edit statefulset ${PROVIDER_STS}) or set it to true`,
      });
    }

    if (!v) {
      const secrets = [...env.vars.entries()].filter(([k]) => k.endsWith('*')).map(([, e]) => e.source);
      const commands = await fixCommands();
      if (secrets.length > 0) {
        return warn(`${VAR} is set neither in the env nor in the ConfigMaps of provider container ${container}; it could only come from ${secrets.join(', ')}, which this tool does not read${missingNote}`, {
          details: { ...details, unreadSources: secrets },
          hint: `Make sure ${VAR}=true is set; with Helm: ${helmHint(commands)}`,
          remedy: helmRemedy(commands),
        });
      }
      return fail(`${VAR} is not set on provider container ${container} of StatefulSet ${AKASH_NS}/${PROVIDER_STS} (neither in env nor in its envFrom ConfigMaps), so IP leases are off${missingNote}`, {
        details,
        hint: helmHint(commands),
        remedy: helmRemedy(commands),
      });
    }
    if (v.value === undefined) {
      return warn(`${VAR} of provider container ${container} comes from ${v.source}, which this tool does not read, so its value is unknown`, {
        details,
        hint: `Check that it is true: kubectl -n ${AKASH_NS} exec ${PROVIDER_STS}-0 -c ${container} -- printenv ${VAR}`,
      });
    }
    if (goBoolTrue(v.value)) {
      return pass(`${VAR}=${v.value} on provider container ${container} (from ${v.source})`, { details });
    }
    const commands = await fixCommands();
    const what = v.value === '' ? 'is empty' : goBoolFalse(v.value) ? `is "${v.value}"` : `is "${v.value}", which the provider does not read as true`;
    // env wins over envFrom: say so when a ConfigMap holds a different value
    let shadowed = '';
    if (v.source === 'env') {
      for (const from of env.container.envFrom ?? []) {
        const name = from.configMapRef?.name;
        const other = name ? (await ctx.cluster.getConfigMap(AKASH_NS, name))?.data?.[VAR.slice((from.prefix ?? '').length)] : undefined;
        if (name && other !== undefined && other !== v.value && (!from.prefix || VAR.startsWith(from.prefix))) {
          shadowed = `; ConfigMap ${AKASH_NS}/${name} says "${other}", but the container env wins`;
          details.shadowed = { source: `configmap ${name}`, value: other };
        }
      }
    }
    return fail(`${VAR} ${what} on provider container ${container} (from ${v.source})${shadowed}, so IP leases are off`, {
      details,
      hint: helmHint(commands),
      remedy: helmRemedy(commands),
    });
  },
};
