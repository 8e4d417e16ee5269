import type { Check } from '../../core/types.js';
import { error, fail, pass, warn } from '../../core/types.js';
import { AKASH_NS, PROVIDER_STS } from '../lib/akash.js';
import { HelmDecodeError, helmRelease, redact, type HelmReleaseLookup } from '../lib/helm.js';

export const RELEASE_NAME = 'akash-provider';

export const check: Check = {
  id: 'provider.helm-release',
  title: 'The provider is installed with the Helm release akash-provider',
  category: 'provider',
  dependsOn: ['cluster.api'],
  dependantsStartEarly: true,
  doc: {
    what: 'Finds the Helm release `akash-provider` in akash-services the way `helm list` does (release Secrets labelled owner=helm), decodes its newest deployed revision and reports the chart, chart version, app version, revision and status. Values shown in the report are redacted (key, keysecret and anything that looks like a secret). Upstream: the chart is akash-network/helm-charts charts/akash-provider (release `akash-provider` renders StatefulSet akash-provider, charts/akash-provider/templates/statefulset.yaml); Helm keeps each revision in a Secret `sh.helm.release.v1.<release>.v<N>` labelled owner=helm.',
    why: 'The IP-lease guide supports only providers installed with the Helm chart: `ipoperator` and the `ip-lease` attribute are Helm values, and the next `helm upgrade` overwrites anything changed by hand. A failed or interrupted upgrade leaves the running provider out of step with its values.',
    fix: 'Install the provider with the chart (`helm install akash-provider akash/provider -n akash-services -f provider.yaml`). When an upgrade is stuck in pending-upgrade or failed, see `helm -n akash-services history akash-provider` and roll back to the last good revision with `helm -n akash-services rollback akash-provider <revision>` before upgrading again.',
  },
  async run(ctx) {
    let lookup: HelmReleaseLookup;
    try {
      lookup = await helmRelease(ctx.cluster, AKASH_NS, RELEASE_NAME);
    } catch (e) {
      if (!(e instanceof HelmDecodeError)) throw e;
      return error(e.message, {
        details: { reason: 'decode-error', release: RELEASE_NAME, namespace: AKASH_NS },
        hint: `compare with what helm sees: helm -n ${AKASH_NS} history ${RELEASE_NAME}`,
      });
    }
    const rel = lookup.release;
    if (!rel) {
      const sts = await ctx.cluster.getStatefulSet(AKASH_NS, PROVIDER_STS);
      if (!sts) {
        return fail(`the provider is not installed: no Helm release ${RELEASE_NAME} and no StatefulSet ${AKASH_NS}/${PROVIDER_STS}`, {
          hint: `install the provider with its Helm chart: helm repo add akash https://akash-network.github.io/helm-charts && helm install ${RELEASE_NAME} akash/provider -n ${AKASH_NS} -f provider.yaml`,
          details: { reason: 'not-installed', namespace: AKASH_NS, release: RELEASE_NAME },
        });
      }
      // Decision: a provider running without Helm works, but the guide does not support it and
      // the Helm-value checks cannot verify anything: warn, not fail.
      return warn(`no Helm release ${RELEASE_NAME} in ${AKASH_NS}: StatefulSet ${AKASH_NS}/${PROVIDER_STS} was installed another way, which the IP-lease guide does not support; Helm values cannot be checked`, {
        hint: `set AKASH_IP_OPERATOR=true and the ip-lease attribute in the provider's own configuration, or reinstall with the chart: helm install ${RELEASE_NAME} akash/provider -n ${AKASH_NS} -f provider.yaml (\`helm -n ${AKASH_NS} list -a\` shows the releases helm knows)`,
        details: { reason: 'no-helm-release', namespace: AKASH_NS, release: RELEASE_NAME, statefulSet: PROVIDER_STS, helm: false },
      });
    }

    const details: Record<string, unknown> = {
      release: rel.name || RELEASE_NAME,
      namespace: rel.namespace || AKASH_NS,
      revision: rel.revision,
      status: rel.status,
      chart: rel.chart.name,
      chartVersion: rel.chart.version,
      appVersion: rel.chart.appVersion,
      lastDeployed: rel.lastDeployed,
      storage: lookup.storage,
      revisions: lookup.revisions.map((r) => ({ revision: r.revision, status: r.status })),
      values: redact(rel.config),
    };
    const chartText = `chart ${rel.chart.name || '?'}-${rel.chart.version || '?'} (app ${rel.chart.appVersion || '?'})`;
    const latest = lookup.latest!;

    if (rel.status !== 'deployed') {
      return fail(`Helm release ${AKASH_NS}/${RELEASE_NAME} has no deployed revision: the newest, revision ${latest.revision}, is ${latest.status || 'without status'} (${chartText})`, {
        details: { reason: 'no-deployed-revision', ...details },
        hint: `inspect the history and roll back to the last good revision: helm -n ${AKASH_NS} history ${RELEASE_NAME} && helm -n ${AKASH_NS} rollback ${RELEASE_NAME} <revision>`,
        remedy: { summary: 'roll the provider release back to its last good revision', commands: [`helm -n ${AKASH_NS} history ${RELEASE_NAME}`, `helm -n ${AKASH_NS} rollback ${RELEASE_NAME} <revision>`] },
      });
    }
    if (latest.revision > rel.revision) {
      const pending = latest.status.startsWith('pending');
      return warn(
        `Helm release ${AKASH_NS}/${RELEASE_NAME} revision ${rel.revision} is deployed (${chartText}) but the newer revision ${latest.revision} is ${latest.status}: ${pending ? 'an interrupted helm operation blocks the next upgrade ("another operation is in progress")' : 'the last upgrade did not apply'}`,
        {
          details: { reason: 'newer-revision-not-deployed', ...details },
          hint: `roll back to the deployed revision, then upgrade again: helm -n ${AKASH_NS} rollback ${RELEASE_NAME} ${rel.revision}`,
          remedy: { summary: `roll back to deployed revision ${rel.revision}`, commands: [`helm -n ${AKASH_NS} rollback ${RELEASE_NAME} ${rel.revision}`] },
        },
      );
    }
    return pass(`Helm release ${AKASH_NS}/${RELEASE_NAME}: ${chartText}, revision ${rel.revision} deployed`, { details: { reason: 'deployed', ...details } });
  },
};
