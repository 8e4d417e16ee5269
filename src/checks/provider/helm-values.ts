import type { Check } from '../../core/types.js';
import { fail, pass, skip, warn } from '../../core/types.js';
import { AKASH_NS, providerEnv } from '../lib/akash.js';
import { boolish, helmRelease, providerUpgradeCommands } from '../lib/helm.js';
import { RELEASE_NAME } from './helm-release.js';

export const check: Check = {
  id: 'provider.helm-values',
  title: 'Helm values of akash-provider set ipoperator: true',
  category: 'provider',
  dependsOn: ['provider.helm-release'],
  doc: {
    what: 'Reads the user-supplied values of the akash-provider Helm release (what `helm -n akash-services get values akash-provider` prints) and looks for `ipoperator: true`, then compares it with the AKASH_IP_OPERATOR the running provider actually has. Upstream: akash-network/helm-charts charts/akash-provider/values.yaml:107 (`ipoperator: false` by default), rendered as AKASH_IP_OPERATOR in templates/configmap-main.yaml:28 and templates/statefulset.yaml:131; the provider reads it as flag --ip-operator (akash-network/provider cmd/provider-services/cmd/run.go, env prefixes AP_/AKASH_).',
    why: 'The chart turns `ipoperator` into AKASH_IP_OPERATOR; without it the provider never asks the IP operator and never bids on orders with IP endpoints. If the running flag was changed by hand and the values disagree, the next `helm upgrade` silently undoes it.',
    fix: 'Save the values and upgrade with the flag, pinned to the installed chart version: `helm -n akash-services get values akash-provider -o yaml > provider.yaml`, then `helm upgrade akash-provider akash/provider -n akash-services --version <chart version> -f provider.yaml --set ipoperator=true`.',
  },
  async run(ctx) {
    const { release } = await helmRelease(ctx.cluster, AKASH_NS, RELEASE_NAME);
    if (!release) return skip(`no Helm release ${AKASH_NS}/${RELEASE_NAME}: there are no Helm values to check (see provider.helm-release)`, { details: { reason: 'no-helm-release' } });

    const raw = release.config.ipoperator;
    const value = boolish(raw);
    const env = await providerEnv(ctx.cluster);
    const flag = env?.vars.get('AKASH_IP_OPERATOR');
    const running = boolish(flag?.value);
    const runningText = flag ? `AKASH_IP_OPERATOR=${flag.value ?? '(unreadable)'} (${flag.source})` : 'no AKASH_IP_OPERATOR';
    const details = { release: RELEASE_NAME, revision: release.revision, chartVersion: release.chart.version, ipoperator: raw ?? null, runningFlag: flag?.value ?? null, runningFlagSource: flag?.source ?? null };
    const commands = providerUpgradeCommands(release, ['--set ipoperator=true']);
    const remedy = { summary: 'set ipoperator: true in the provider Helm values and upgrade', commands, fixId: 'provider.enable-ip-operator' };

    if (value === true) {
      if (env && running !== true) {
        return warn(`Helm values set ipoperator: true but the running provider has ${runningText}: the cluster was changed outside Helm or the release did not roll out`, {
          details: { reason: 'running-flag-differs', ...details },
          hint: `re-apply the release so the running provider matches its values: ${commands.join(' && ')}`,
          remedy: { summary: 're-apply the provider Helm values', commands },
        });
      }
      return pass(`Helm values of ${RELEASE_NAME} (revision ${release.revision}) set ipoperator: true${env ? `, and the running provider has ${runningText}` : ''}`, { details: { reason: 'enabled', ...details } });
    }

    const manual = running === true ? `; the running provider has AKASH_IP_OPERATOR=true set by hand (${flag!.source}), which the next helm upgrade will undo` : '';
    if (raw === undefined || raw === null) {
      return fail(`Helm values of ${RELEASE_NAME} (revision ${release.revision}) do not set ipoperator (the chart default is false)${manual}`, {
        details: { reason: 'unset', ...details },
        hint: `add ipoperator: true to the values: ${commands.join(' && ')}`,
        remedy,
      });
    }
    if (value === false) {
      return fail(`Helm values of ${RELEASE_NAME} (revision ${release.revision}) set ipoperator: false${manual}`, {
        details: { reason: 'disabled', ...details },
        hint: `turn it on: ${commands.join(' && ')}`,
        remedy,
      });
    }
    return fail(`Helm values of ${RELEASE_NAME} (revision ${release.revision}) set ipoperator to ${JSON.stringify(raw).slice(0, 40)}, which is neither true nor false${manual}`, {
      details: { reason: 'invalid-value', ...details },
      hint: `set it to true: ${commands.join(' && ')}`,
      remedy,
    });
  },
};
