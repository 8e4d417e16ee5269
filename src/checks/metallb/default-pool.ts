import { fail, pass, type Check } from '../../core/types.js';
import { ClusterError } from '../../cluster/errors.js';
import { METALLB_NS } from '../lib/akash.js';
import { listAdvertisements, listNames, listPools, operatorPool, type Advertisement } from '../lib/metallb.js';
import { countForJson, findOverlaps, parsePool, poolSize, type ParsedPool } from '../lib/pools.js';

const RES = 'ipaddresspools.metallb.io';

/** A one-line `kubectl apply` of an IPAddressPool (JSON, so it stays one line). */
export function createPoolCommand(name: string, addresses: string[]): string {
  const obj = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: METALLB_NS }, spec: { addresses, autoAssign: true } };
  return `echo '${JSON.stringify(obj)}' | kubectl apply -f -`;
}

/** Commands that recreate pool `from` under the name `to` (pools cannot be renamed; addresses may not be in two pools). */
export function renamePoolCommands(from: string, to: string): string[] {
  return [
    `kubectl -n ${METALLB_NS} get ${RES} ${from} -o json | jq '{apiVersion, kind, metadata: {name: "${to}", namespace: "${METALLB_NS}", labels: .metadata.labels}, spec}' > pool-${to}.json`,
    `kubectl -n ${METALLB_NS} delete ${RES} ${from}`,
    `kubectl apply -f pool-${to}.json`,
  ];
}

/**
 * Advertisements that name pool `from` in ipAddressPools must name `to` after a rename, or the
 * renamed pool's addresses (every LoadBalancer IP, not only leases) are no longer announced.
 * One JSON patch per advertisement, replacing the entry in place; run after the pool is recreated.
 */
export function repointAdvertisementCommands(ads: readonly Advertisement[], from: string, to: string): string[] {
  const out: string[] = [];
  for (const a of ads) {
    const names: unknown[] = Array.isArray(a.object.spec?.ipAddressPools) ? a.object.spec.ipAddressPools : [];
    const i = names.map(String).indexOf(from);
    if (i < 0 || !a.name) continue;
    const res = a.kind === 'L2Advertisement' ? 'l2advertisements.metallb.io' : 'bgpadvertisements.metallb.io';
    out.push(`kubectl -n ${METALLB_NS} patch ${res} ${a.name} --type=json -p '[{"op":"replace","path":"/spec/ipAddressPools/${i}","value":"${to}"}]'`);
  }
  return out;
}

export const check: Check = {
  id: 'metallb.default-pool',
  title: 'IPAddressPool default exists with valid, non-overlapping addresses',
  category: 'metallb',
  dependsOn: ['cluster.api', 'metallb.namespace'],
  doc: {
    what: 'Lists the IPAddressPools in metallb-system and checks that one is named default (or the name given to the IP operator with --metal-lb-pool), that every address entry is a valid CIDR (a.b.c.d/nn, IPv6 too) or range (start-end), and that no two entries of any pool overlap. Reports the pool size (avoidBuggyIPs skips .0 and .255 addresses).',
    why: 'The IP operator reads only pool default. When the pool has another name it reports 0 free IPs without any error, so the provider never bids on IP leases and nothing in the logs says why. An invalid or overlapping entry makes MetalLB reject its whole configuration, so no Service gets an address.',
    fix: 'Create the pool as in the guide: an IPAddressPool named default in metallb-system with your public ranges, e.g. `echo \'{"apiVersion":"metallb.io/v1beta1","kind":"IPAddressPool","metadata":{"name":"default","namespace":"metallb-system"},"spec":{"addresses":["203.0.113.0/28"]}}\' | kubectl apply -f -`. A pool under another name must be recreated as default (pools cannot be renamed): export it with `kubectl -n metallb-system get ipaddresspools.metallb.io <name> -o json`, delete it, and apply it under the name default; update advertisements that name it. Write single addresses as /32, and remove overlapping entries with `kubectl -n metallb-system edit ipaddresspools.metallb.io <name>`.',
  },
  async run(ctx) {
    const [objects, target] = await Promise.all([listPools(ctx.cluster), operatorPool(ctx.cluster)]);
    const want = target.name;
    const viaFlag = target.source !== 'default' ? ` (the IP operator is started with --metal-lb-pool=${want})` : '';
    if (objects === null) {
      return fail(`the IPAddressPool resource (${RES}) is not installed: MetalLB is older than 0.13 or its CRDs are missing`, {
        details: { crd: RES },
        hint: 'Install MetalLB 0.14.9, which brings the CRDs (see metallb.version): helm -n metallb-system upgrade --install metallb metallb/metallb --version 0.14.9',
      });
    }
    const parsed: ParsedPool[] = objects.map((o) => parsePool(o.metadata?.name ?? '', o.spec?.addresses, o.spec?.avoidBuggyIPs === true));
    const names = parsed.map((p) => p.name);
    const details: Record<string, unknown> = { pool: want, ...(viaFlag ? { poolSource: target.source } : {}), pools: names };
    const pool = parsed.find((p) => p.name === want);
    const poolObj = objects.find((o) => o.metadata?.name === want);

    if (!pool) {
      if (parsed.length === 0) {
        const cmd = createPoolCommand(want, ['<first-ip>-<last-ip>']);
        return fail(`no IPAddressPool in ${METALLB_NS}: MetalLB has no addresses to give, and the IP operator reports 0 IPs${viaFlag}`, {
          details,
          hint: `Create pool ${want} with your public addresses: ${cmd}`,
          remedy: { summary: `create IPAddressPool ${METALLB_NS}/${want}`, commands: [cmd] },
        });
      }
      const other = names.length === 1 ? names[0]! : undefined;
      // a rename must carry the advertisements along, or the pool's addresses stop being announced
      // (unreadable advertisements: no remedy, since the rename alone could leave the pool unannounced)
      let repoint: string[] | null = [];
      if (other) {
        try {
          repoint = repointAdvertisementCommands(await listAdvertisements(ctx.cluster), other, want);
        } catch (e) {
          if (!(e instanceof ClusterError)) throw e;
          repoint = null;
        }
      }
      const commands = other ? [...renamePoolCommands(other, want), ...(repoint ?? [])] : [];
      return fail(`no IPAddressPool named ${want} (found: ${listNames(names, 5)}): the IP operator reads only pool ${want} and silently reports 0 IPs, so the provider never bids on IP leases${viaFlag}`, {
        details,
        hint: other
          ? `Recreate pool ${other} under the name ${want}, then point advertisements that name ${other} at ${want}: ${commands.join(' && ')}`
          : `Recreate the pool meant for leases under the name ${want}: kubectl -n ${METALLB_NS} get ${RES} <name> -o json, delete it and apply it with metadata.name ${want}`,
        ...(other && repoint ? { remedy: { summary: `recreate IPAddressPool ${other} as ${want}${repoint.length ? ' and point its advertisements at it' : ''}`, commands } } : {}),
      });
    }

    const ref = `IPAddressPool ${METALLB_NS}/${want}`;
    details.entries = Array.isArray(poolObj?.spec?.addresses) ? poolObj!.spec.addresses : [];
    if (pool.invalid.length > 0) {
      const bad = pool.invalid[0]!;
      details.invalid = pool.invalid;
      return fail(`${ref} has an invalid address entry "${bad.entry}": ${bad.reason}${pool.invalid.length > 1 ? ` (+${pool.invalid.length - 1} more)` : ''}; MetalLB rejects the whole configuration`, {
        details,
        hint: `Fix the entry (a CIDR like 203.0.113.5/32 or a range like 203.0.113.5-203.0.113.9): kubectl -n ${METALLB_NS} edit ${RES} ${want}`,
      });
    }
    if (pool.ranges.length === 0) {
      return fail(`${ref} has no addresses`, { details, hint: `Add your public addresses: kubectl -n ${METALLB_NS} edit ${RES} ${want}` });
    }
    const otherInvalid = parsed.filter((p) => p !== pool && p.invalid.length > 0);
    if (otherInvalid.length > 0) {
      const p = otherInvalid[0]!;
      details.invalid = otherInvalid.map((x) => ({ pool: x.name, entries: x.invalid }));
      return fail(`IPAddressPool ${METALLB_NS}/${p.name} has an invalid address entry "${p.invalid[0]!.entry}" (${p.invalid[0]!.reason}): MetalLB rejects the whole configuration, pool ${want} included`, {
        details,
        hint: `Fix or delete that pool: kubectl -n ${METALLB_NS} edit ${RES} ${p.name}`,
      });
    }
    const overlaps = findOverlaps(parsed);
    if (overlaps.length > 0) {
      const o = overlaps.find((x) => x.poolA === want || x.poolB === want) ?? overlaps[0]!;
      details.overlaps = overlaps;
      const where = o.poolA === o.poolB ? `entries ${o.entryA} and ${o.entryB} of IPAddressPool ${o.poolA} overlap` : `IPAddressPool ${o.poolA} entry ${o.entryA} overlaps IPAddressPool ${o.poolB} entry ${o.entryB}`;
      const fixPool = o.poolA === want && o.poolB !== want ? o.poolB : o.poolA;
      return fail(`${where}${overlaps.length > 1 ? ` (+${overlaps.length - 1} more overlaps)` : ''}: MetalLB rejects overlapping pools`, {
        details,
        hint: `Remove the overlapping addresses from one of them: kubectl -n ${METALLB_NS} edit ${RES} ${fixPool}`,
      });
    }
    const size = poolSize(pool.ranges, pool.avoidBuggyIPs);
    details.size = { ipv4: countForJson(size.ipv4), ipv6: countForJson(size.ipv6), total: countForJson(size.total) };
    details.avoidBuggyIPs = pool.avoidBuggyIPs;
    details.autoAssign = poolObj?.spec?.autoAssign ?? true;
    const fam = [size.ipv4 > 0n ? `${size.ipv4} IPv4` : '', size.ipv6 > 0n ? `${size.ipv6} IPv6` : ''].filter(Boolean).join(' + ');
    const n = pool.ranges.length;
    return pass(`${ref}: ${n} entr${n === 1 ? 'y' : 'ies'}, ${fam} addresses${pool.avoidBuggyIPs ? ' (avoidBuggyIPs)' : ''}, no overlaps${names.length > 1 ? ` with ${names.length - 1} other pool${names.length > 2 ? 's' : ''}` : ''}`, { details });
  },
};
