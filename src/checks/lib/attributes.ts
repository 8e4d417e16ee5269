/**
 * The provider attribute that advertises IP leases: `ip-lease: true` (the guide) or
 * `feat-endpoint-ip: true` (what Akash Console writes). Values may be bool or string.
 */

export const IP_LEASE_KEYS = ['ip-lease', 'feat-endpoint-ip'] as const;

export interface AttributeMatch {
  /** The attribute found (first IP-lease key present), or null. */
  key: string | null;
  /** Its value as text. */
  value: string | null;
  /** True when a key is present with value true/"true". */
  enabled: boolean;
  /** Index of that attribute in the list (for `--set attributes[i].value=true`), or -1. */
  index: number;
  /** Every attribute key (for messages: what is advertised instead). */
  keys: string[];
}

/** Look through a `[{key, value}]` list (Helm values or on-chain attributes). */
export function findIpLeaseAttribute(attributes: unknown): AttributeMatch {
  const list: unknown[] = Array.isArray(attributes) ? attributes : [];
  const pairs = list
    .map((a) => (typeof a === 'object' && a !== null ? (a as Record<string, unknown>) : {}))
    .map((a, index) => ({ key: String(a.key ?? ''), value: a.value, index }));
  const keys = pairs.map((p) => p.key).filter(Boolean);
  const hits = pairs.filter((p) => (IP_LEASE_KEYS as readonly string[]).includes(p.key.trim()));
  const enabledHit = hits.find((p) => isTrue(p.value));
  const hit = enabledHit ?? hits[0];
  if (!hit) return { key: null, value: null, enabled: false, index: -1, keys };
  return { key: hit.key.trim(), value: hit.value === undefined || hit.value === null ? null : String(hit.value), enabled: !!enabledHit, index: hit.index, keys };
}

function isTrue(v: unknown): boolean {
  return v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true');
}
