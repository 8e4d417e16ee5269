/**
 * MetalLB ≤ 0.12 ConfigMap configuration -> the CRDs of MetalLB ≥ 0.13, the way
 * MetalLB's `configmaptocrs` converts it (domain.md §4). Pure; unit-tested; the
 * metallb.legacy-config check shows the result and the fix
 * `metallb.migrate-legacy-config` applies it.
 *
 * - each `address-pools` entry -> IPAddressPool (name normalised: lowercase,
 *   `_` -> `-`, leading non-letters dropped, at most 63 characters); addresses
 *   copied; `auto-assign` -> `autoAssign` only when set; `avoid-buggy-ips: true`
 *   -> `avoidBuggyIPs: true`;
 * - each `protocol: layer2` pool -> L2Advertisement `l2advertisement<k>` (k counts
 *   layer2 pools from 1) selecting that pool;
 * - each `protocol: bgp` pool -> one BGPAdvertisement `bgpadvertisement<n>` per
 *   `bgp-advertisements` entry (or one empty one), n counting across pools;
 *   community aliases from `bgp-communities` are resolved;
 * - invalid or overlapping addresses make the conversion fail.
 * BGP peers and BFD profiles are not converted (reported in `notes`).
 */
import { parse as parseYaml, stringify } from 'yaml';
import { findOverlaps, parsePool, type ParsedPool } from './pools.js';

export interface ConvertedObject {
  apiVersion: string;
  kind: 'IPAddressPool' | 'L2Advertisement' | 'BGPAdvertisement';
  metadata: { name: string; namespace: string };
  spec: Record<string, unknown>;
}

export interface LegacyPool {
  /** The name as written in the ConfigMap. */
  originalName: string;
  /** The IPAddressPool name it becomes. */
  name: string;
  protocol: string;
  addresses: string[];
}

export interface Conversion {
  ok: boolean;
  /** Why the conversion failed (empty when ok). */
  errors: string[];
  /** Things that were not converted or were changed (renamed pools, peers). */
  notes: string[];
  pools: LegacyPool[];
  objects: ConvertedObject[];
  /** The objects as multi-document YAML, ready for `kubectl apply -f -` (empty when not ok). */
  yaml: string;
}

const API_VERSION = 'metallb.io/v1beta1';

/** configmaptocrs' name normalisation (plus trailing `-`/`.` trimmed so the name stays valid). */
export function normalizePoolName(name: string): string {
  return String(name)
    .toLowerCase()
    .replace(/_/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63)
    .replace(/[-.]+$/, '');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Does this text look like a legacy MetalLB configuration (a YAML mapping with an `address-pools` key)? */
export function isLegacyConfig(text: string | undefined): boolean {
  if (!text || !/address-pools/.test(text)) return false;
  try {
    const doc = parseYaml(text);
    return isRecord(doc) && 'address-pools' in doc;
  } catch {
    // unparsable, but it mentions address-pools at the top level: still a legacy config (a broken one)
    return /^address-pools\s*:/m.test(text);
  }
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return Number(v);
  return undefined;
}

export function convertLegacyConfig(configText: string, namespace = 'metallb-system'): Conversion {
  const out: Conversion = { ok: false, errors: [], notes: [], pools: [], objects: [], yaml: '' };
  let doc: unknown;
  try {
    doc = parseYaml(configText);
  } catch (e) {
    out.errors.push(`the legacy configuration is not valid YAML (${String((e as Error).message).split('\n')[0]})`);
    return out;
  }
  if (!isRecord(doc)) {
    out.errors.push('the legacy configuration is not a YAML mapping');
    return out;
  }
  const rawPools = doc['address-pools'];
  if (!Array.isArray(rawPools)) {
    out.errors.push('address-pools is not a list');
    return out;
  }
  const communities = isRecord(doc['bgp-communities']) ? (doc['bgp-communities'] as Record<string, unknown>) : {};

  const parsed: ParsedPool[] = [];
  const seen = new Map<string, string>();
  const pools: { p: Record<string, unknown>; name: string }[] = [];
  rawPools.forEach((p, i) => {
    if (!isRecord(p)) {
      out.errors.push(`address-pools entry ${i + 1} is not a mapping`);
      return;
    }
    const original = typeof p.name === 'string' ? p.name : '';
    if (!original) {
      out.errors.push(`address-pools entry ${i + 1} has no name`);
      return;
    }
    const name = normalizePoolName(original);
    if (!name) {
      out.errors.push(`pool "${original}" has no letters to make a resource name from`);
      return;
    }
    if (seen.has(name)) {
      out.errors.push(`pools "${seen.get(name)}" and "${original}" both become IPAddressPool ${name}`);
      return;
    }
    seen.set(name, original);
    if (name !== original) out.notes.push(`pool "${original}" becomes IPAddressPool ${name}`);
    const addresses = Array.isArray(p.addresses) ? p.addresses.map((a) => String(a)) : [];
    if (addresses.length === 0) out.errors.push(`pool "${original}" has no addresses`);
    const pp = parsePool(name, addresses, p['avoid-buggy-ips'] === true);
    for (const bad of pp.invalid) out.errors.push(`pool "${original}": invalid address "${bad.entry}" (${bad.reason})`);
    parsed.push(pp);
    pools.push({ p, name });
    out.pools.push({ originalName: original, name, protocol: String(p.protocol ?? ''), addresses });
  });
  for (const o of findOverlaps(parsed)) {
    out.errors.push(
      o.poolA === o.poolB
        ? `pool ${o.poolA}: entries ${o.entryA} and ${o.entryB} overlap`
        : `pool ${o.poolA} entry ${o.entryA} overlaps pool ${o.poolB} entry ${o.entryB}`,
    );
  }

  const meta = (name: string) => ({ name, namespace });
  const poolObjects: ConvertedObject[] = [];
  const l2: ConvertedObject[] = [];
  const bgp: ConvertedObject[] = [];
  for (const { p, name } of pools) {
    const spec: Record<string, unknown> = { addresses: Array.isArray(p.addresses) ? p.addresses.map((a) => String(a)) : [] };
    if (typeof p['auto-assign'] === 'boolean') spec.autoAssign = p['auto-assign'];
    if (p['avoid-buggy-ips'] === true) spec.avoidBuggyIPs = true;
    poolObjects.push({ apiVersion: API_VERSION, kind: 'IPAddressPool', metadata: meta(name), spec });

    const protocol = p.protocol;
    if (protocol === 'layer2') {
      l2.push({ apiVersion: API_VERSION, kind: 'L2Advertisement', metadata: meta(`l2advertisement${l2.length + 1}`), spec: { ipAddressPools: [name] } });
    } else if (protocol === 'bgp') {
      const advs = Array.isArray(p['bgp-advertisements']) && p['bgp-advertisements'].length > 0 ? p['bgp-advertisements'] : [{}];
      for (const a of advs) {
        const adv = isRecord(a) ? a : {};
        const bspec: Record<string, unknown> = {};
        const agg = toNumber(adv['aggregation-length']);
        if (agg !== undefined) bspec.aggregationLength = agg;
        const agg6 = toNumber(adv['aggregation-length-v6']);
        if (agg6 !== undefined) bspec.aggregationLengthV6 = agg6;
        const lp = toNumber(adv.localpref);
        if (lp !== undefined) bspec.localPref = lp;
        if (Array.isArray(adv.communities) && adv.communities.length > 0) {
          bspec.communities = adv.communities.map((c) => {
            const key = String(c);
            return typeof communities[key] === 'string' ? (communities[key] as string) : key;
          });
        }
        bspec.ipAddressPools = [name];
        bgp.push({ apiVersion: API_VERSION, kind: 'BGPAdvertisement', metadata: meta(`bgpadvertisement${bgp.length + 1}`), spec: bspec });
      }
    } else {
      out.notes.push(`pool "${String(p.name)}" has protocol "${String(protocol ?? '')}" (neither layer2 nor bgp): no advertisement made`);
    }
  }
  const peers = Array.isArray(doc.peers) ? doc.peers.length : 0;
  if (peers > 0) out.notes.push(`${peers} BGP peer${peers > 1 ? 's are' : ' is'} not converted: create BGPPeer (metallb.io/v1beta2) objects by hand or with configmaptocrs`);
  const bfd = Array.isArray(doc['bfd-profiles']) ? doc['bfd-profiles'].length : 0;
  if (bfd > 0) out.notes.push(`${bfd} BFD profile${bfd > 1 ? 's are' : ' is'} not converted`);

  out.objects = [...poolObjects, ...l2, ...bgp];
  out.ok = out.errors.length === 0;
  out.yaml = out.ok ? out.objects.map((o) => stringify(o)).join('---\n') : '';
  return out;
}
