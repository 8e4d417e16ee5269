import type { Check } from '../../core/types.js';
import { fail, pass, skip } from '../../core/types.js';
import { AKASH_NS } from '../lib/akash.js';
import { findIpLeaseAttribute } from '../lib/attributes.js';
import { helmRelease, providerUpgradeCommands } from '../lib/helm.js';
import { RELEASE_NAME } from './helm-release.js';

export const check: Check = {
  id: 'provider.ip-lease-attribute',
  title: 'The provider advertises the ip-lease attribute in its Helm values',
  category: 'provider',
  dependsOn: ['provider.helm-release'],
  doc: {
    what: 'Looks in the `attributes` list of the akash-provider Helm values for `ip-lease: true` (the guide) or `feat-endpoint-ip: true` (what Akash Console writes); either is accepted, as bool or string. Upstream: attributes are Helm values of akash-network/helm-charts charts/akash-provider (values.yaml:24, no default), written to provider.yaml and published by the init container (scripts/init.sh:21 → scripts/create_provider.sh:34/47, `provider-services tx provider create|update provider.yaml`).',
    why: 'Tenants select providers that support IP leases by this attribute. Without it the provider may be able to serve IPs, but deployments asking for an IP endpoint are not placed on it.',
    fix: 'Add the attribute to the values and upgrade: `helm -n akash-services get values akash-provider -o yaml > provider.yaml`, add `- key: ip-lease` / `  value: true` under `attributes:` (or pass `--set attributes[N].key=ip-lease --set attributes[N].value=true` with N the number of existing attributes), then `helm upgrade akash-provider akash/provider -n akash-services --version <chart version> -f provider.yaml`. The provider publishes its attributes on chain when it restarts; `--chain-api` lets the doctor confirm it.',
  },
  async run(ctx) {
    const { release } = await helmRelease(ctx.cluster, AKASH_NS, RELEASE_NAME);
    if (!release) return skip(`no Helm release ${AKASH_NS}/${RELEASE_NAME}: there are no Helm values to check (see provider.helm-release)`, { details: { reason: 'no-helm-release' } });
    const attrs = release.config.attributes;
    const m = findIpLeaseAttribute(attrs);
    const n = Array.isArray(attrs) ? attrs.length : 0;
    const details = { release: RELEASE_NAME, revision: release.revision, attributeKeys: m.keys, found: m.key, value: m.value };
    const commands = providerUpgradeCommands(release, [`--set 'attributes[${n}].key=ip-lease'`, `--set 'attributes[${n}].value=true'`]);
    if (m.enabled) {
      const alias = m.key === 'feat-endpoint-ip' ? ' (the name Akash Console uses for ip-lease)' : '';
      return pass(`Helm values of ${RELEASE_NAME} advertise ${m.key}=true${alias}`, { details: { reason: 'advertised', ...details } });
    }
    if (m.key) {
      const fixCommands = providerUpgradeCommands(release, [`--set 'attributes[${m.index}].value=true'`]);
      return fail(`Helm values of ${RELEASE_NAME} have attribute ${m.key} set to ${JSON.stringify(m.value)}, not true: tenants asking for IP endpoints skip this provider`, {
        details: { reason: 'not-true', ...details },
        hint: `set its value to true and upgrade: ${fixCommands.join(' && ')}`,
        remedy: { summary: `set attribute ${m.key} to true in the provider Helm values`, commands: fixCommands, fixId: 'provider.advertise-ip-lease' },
      });
    }
    if (!Array.isArray(attrs) || n === 0) {
      return fail(`Helm values of ${RELEASE_NAME} have no attributes at all, so no ip-lease attribute: tenants asking for IP endpoints skip this provider`, {
        details: { reason: 'no-attributes', ...details },
        hint: `add the attribute and upgrade: ${commands.join(' && ')}`,
        remedy: { summary: 'add attribute ip-lease: true to the provider Helm values', commands, fixId: 'provider.advertise-ip-lease' },
      });
    }
    return fail(`Helm values of ${RELEASE_NAME} do not advertise ip-lease (attributes: ${m.keys.join(', ')}): tenants asking for IP endpoints skip this provider`, {
      details: { reason: 'missing', ...details },
      hint: `add the attribute and upgrade: ${commands.join(' && ')}`,
      remedy: { summary: 'add attribute ip-lease: true to the provider Helm values', commands, fixId: 'provider.advertise-ip-lease' },
    });
  },
};
