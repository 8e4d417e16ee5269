import type { Check } from '../../core/types.js';
import { error, fail, pass, skip } from '../../core/types.js';
import { findIpLeaseAttribute } from '../lib/attributes.js';
import { fetchChainProvider } from '../lib/chain.js';
import { providerFrom } from '../lib/provider-from.js';
import { RESTART_PROVIDER } from '../lib/akash.js';

export const check: Check = {
  id: 'provider.onchain-attribute',
  title: 'The ip-lease attribute is published on chain',
  category: 'provider',
  dependsOn: ['cluster.api'],
  doc: {
    what: 'With `--chain-api <url>`, reads the provider record from the Akash chain REST API (`/akash/provider/v1beta4/providers/<address>`, falling back to `v1beta3` on older nodes) and looks for `ip-lease: true` or `feat-endpoint-ip: true` in its attributes. The address is the provider\'s AKASH_FROM, else the Helm values `from`. Skipped without `--chain-api`. Upstream: the provider record is what akash-network/helm-charts charts/akash-provider/scripts/create_provider.sh:34/47 publishes (`provider-services tx provider create|update`) from the init container on every pod start; the REST route is the chain\'s provider query (akash-network/node, x/provider).',
    why: 'Tenants match providers against the attributes on chain, not the ones in the Helm values. The provider publishes its attributes when it starts; until it has, or when that transaction failed, the provider gets no IP-lease orders.',
    fix: 'Make sure the Helm values carry the attribute (provider.ip-lease-attribute), then restart the provider so it publishes its attributes: `kubectl -n akash-services rollout restart statefulset akash-provider`. Check the result with `provider-services query provider get <address>`.',
  },
  async run(ctx) {
    const api = ctx.options.chainApi;
    if (!api) return skip('no chain API given: pass --chain-api https://api.akashnet.net:443 to compare the on-chain attributes', { details: { reason: 'no-chain-api' } });
    const from = await providerFrom(ctx.cluster);
    if (!from.address) {
      const seen = from.notAddresses.map((n) => `${n.source} is "${n.value}"`).join(', ');
      return error(`cannot tell the provider's address: ${seen ? `${seen}, not an akash1… address` : 'neither AKASH_FROM in the provider StatefulSet nor Helm values from is set'}`, {
        details: { reason: 'no-provider-address', notAddresses: from.notAddresses },
      });
    }
    const res = await fetchChainProvider(api, from.address, { signal: ctx.signal });
    if (res.outcome === 'error') {
      return error(`chain API ${res.url} could not be read: ${res.reason}`, { details: { reason: 'chain-api-error', url: res.url, error: res.reason, address: from.address } });
    }
    if (res.outcome === 'not-found') {
      return fail(`provider ${from.address} (${from.source}) is not registered on chain: ${api} answered not found for API ${res.tried.join(' and ')}`, {
        details: { reason: 'not-registered', address: from.address, addressSource: from.source, tried: res.tried, message: res.message ?? null },
        hint: 'check the address and the chain API network (mainnet: https://api.akashnet.net:443); a provider that never ran `provider-services tx provider create` has no record',
      });
    }
    const m = findIpLeaseAttribute(res.attributes);
    const details = { address: from.address, addressSource: from.source, apiVersion: res.apiVersion, hostUri: res.hostUri ?? null, attributes: res.attributes, found: m.key, value: m.value };
    const restart = RESTART_PROVIDER;
    if (m.enabled) return pass(`on chain (${res.apiVersion}) provider ${from.address} advertises ${m.key}=true`, { details: { reason: 'advertised', ...details } });
    if (m.key) {
      return fail(`on chain (${res.apiVersion}) provider ${from.address} has attribute ${m.key}=${JSON.stringify(m.value)}, not true: tenants asking for IP endpoints skip it`, {
        details: { reason: 'not-true', ...details },
        hint: `set the attribute to true in the Helm values (see provider.ip-lease-attribute), then restart the provider so it publishes it: ${restart}`,
        remedy: { summary: 'restart the provider so it publishes its attributes', commands: [restart], fixId: 'provider.advertise-ip-lease' },
      });
    }
    return fail(`on chain (${res.apiVersion}) provider ${from.address} does not advertise ip-lease (attributes: ${m.keys.join(', ') || 'none'}): tenants asking for IP endpoints skip it`, {
      details: { reason: 'missing', ...details },
      hint: `add ip-lease: true to the Helm values (see provider.ip-lease-attribute), then restart the provider so it publishes it: ${restart}`,
      remedy: { summary: 'restart the provider so it publishes its attributes', commands: [restart], fixId: 'provider.advertise-ip-lease' },
    });
  },
};
