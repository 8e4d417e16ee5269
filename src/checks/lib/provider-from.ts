/**
 * The provider's own account address (`from`): the running provider's AKASH_FROM
 * first (what it really uses), else the Helm values `from`. Addresses are public.
 */
import type { Snapshot } from '../../cluster/snapshot.js';
import { ClusterError } from '../../cluster/errors.js';
import { AKASH_NS, providerEnv } from './akash.js';
import { HelmDecodeError, helmRelease } from './helm.js';
import { isAkashAddress } from './chain.js';

export interface ProviderFrom {
  /** The address, when one was found that looks like an akash1… address. */
  address: string | null;
  /** Where it came from: `AKASH_FROM (configmap akash-provider-main)`, `Helm values from`. */
  source: string | null;
  /** Values seen that are not addresses (e.g. a key name in AKASH_FROM), for messages. */
  notAddresses: { value: string; source: string }[];
}

export function providerFrom(snap: Snapshot): Promise<ProviderFrom> {
  return snap.once('provider-from', async () => {
    const notAddresses: ProviderFrom['notAddresses'] = [];
    const env = await providerEnv(snap);
    const from = env?.vars.get('AKASH_FROM');
    if (from?.value !== undefined && from.value !== '') {
      const source = `AKASH_FROM from ${from.source}`;
      if (isAkashAddress(from.value)) return { address: from.value.trim(), source, notAddresses };
      notAddresses.push({ value: from.value, source });
    }
    let values: Record<string, unknown> | null = null;
    try {
      values = (await helmRelease(snap, AKASH_NS, 'akash-provider')).release?.config ?? null;
    } catch (e) {
      // an unreadable release (forbidden Secrets, undecodable) only removes this fallback
      if (!(e instanceof ClusterError) && !(e instanceof HelmDecodeError)) throw e;
    }
    const v = values?.from;
    if (typeof v === 'string' && v !== '') {
      if (isAkashAddress(v)) return { address: v.trim(), source: 'Helm values from', notAddresses };
      notAddresses.push({ value: v, source: 'Helm values from' });
    }
    return { address: null, source: null, notAddresses };
  });
}
