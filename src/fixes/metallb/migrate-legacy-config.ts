import { KINDS, WriteError, type KubeObject, type Writer } from '../../cluster/writer.js';
import { METALLB_NS } from '../../checks/lib/akash.js';
import { convertLegacyConfig, type ConvertedObject } from '../../checks/lib/legacy-config.js';
import { advertisementSelects, compareVersion, controllerVersion, findController } from '../../checks/lib/metallb.js';
import { findOverlaps, parsePool } from '../../checks/lib/pools.js';
import { BACKUP_OF_LABEL, legacyConfigMaps, sameAddresses } from '../../checks/metallb/legacy-config.js';
import { createStep, deleteStep } from '../lib.js';
import type { Fix, FixStep } from '../types.js';
import { KUBESPRAY_POOLS_NOTE, helmNote, isHelmManaged, listAdvertisementsFresh, listPoolsFresh } from './common.js';

/** `20261120080601` (UTC) */
export function stamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

const addressesOf = (o: KubeObject | ConvertedObject | undefined): string[] => (Array.isArray((o as any)?.spec?.addresses) ? (o as any).spec.addresses.map(String) : []);

/** Read the pools back: each converted pool present with the same addresses. Throws when not. */
async function verifyPools(w: Writer, pools: ConvertedObject[]): Promise<void> {
  const now = (await listPoolsFresh(w)) ?? [];
  const bad = pools.filter((p) => !now.some((o) => o.metadata?.name === p.metadata.name && sameAddresses(addressesOf(p), addressesOf(o))));
  if (bad.length > 0) {
    throw new WriteError('error', `verification failed: IPAddressPool ${bad.map((p) => p.metadata.name).join(', ')} is not in ${METALLB_NS} with the addresses of the legacy config; the legacy ConfigMap is kept`);
  }
}

export const fix: Fix = {
  id: 'metallb.migrate-legacy-config',
  title: 'Migrate the legacy MetalLB ConfigMap (address-pools) to IPAddressPools and L2Advertisements',
  addresses: ['metallb.legacy-config', 'metallb.default-pool', 'metallb.advertisement'],
  risk: 'safe',
  order: 30,
  doc:
    'MetalLB 0.13 and later ignore the ConfigMap configuration of 0.12 (data key config, address-pools:). This converts it exactly as MetalLB\'s configmaptocrs does (metallb/metallb:configmaptocrs/main.go at v0.13.12; domain.md §4: pool names normalised, addresses copied, auto-assign -> autoAssign when set, avoid-buggy-ips -> avoidBuggyIPs, one L2Advertisement l2advertisement<k> per layer2 pool), creates what is missing, reads the pools back (each present with the same addresses), only then keeps a copy as ConfigMap <name>-backup-<yyyymmddhhmmss> (label akash-ip-doctor/backup-of) and deletes the legacy ConfigMap (uid precondition). ' +
    'Resources that exist and match are not created again; an advertisement that already selects a pool counts. Not done while MetalLB is older than 0.13 (no CRDs: the ConfigMap is still its live configuration), when the config has bgp pools (BGP peers are not converted: configmaptocrs by hand), when it does not convert (invalid or overlapping addresses), or when a pool of the same name exists with other addresses or the new addresses overlap another pool (MetalLB\'s webhook would refuse it, internal/config/config.go:320-326 at v0.14.9).',
  async plan(ctx) {
    const cms = legacyConfigMaps((await ctx.writer.list(KINDS.configMap, METALLB_NS, undefined, ctx.signal)) as never);
    if (cms.length === 0) return { skip: `no legacy MetalLB ConfigMap (address-pools) in ${METALLB_NS}` };
    const version = await controllerVersion(ctx.cluster);
    if (version?.version && compareVersion(version.version, { major: 0, minor: 13, patch: 0 }) < 0) {
      return { skip: `MetalLB ${version.version.text} is older than 0.13: it has no IPAddressPool/L2Advertisement resources and the ConfigMap is still its live configuration; upgrade MetalLB first (see metallb.version), then run check --fix again` };
    }
    const pools = await listPoolsFresh(ctx.writer);
    if (pools === null) return { skip: 'the IPAddressPool CRD is not installed: MetalLB 0.13+ is not (completely) installed, so the resources cannot be created' };
    const ads = await listAdvertisementsFresh(ctx.writer);
    const steps: FixStep[] = [];
    const notes: string[] = [];
    const summary: string[] = [];
    const ctrl = await findController(ctx.cluster);
    if (ctrl?.method === 'manifest') notes.push(KUBESPRAY_POOLS_NOTE);
    const takenAds = new Set(ads.map((a) => a.object.metadata?.name));
    const allPools = [...pools];

    for (const cm of cms as unknown as KubeObject[]) {
      const name = cm.metadata?.name ?? '';
      const data = (cm.data ?? {}) as Record<string, string>;
      const conv = convertLegacyConfig(data.config ?? '', METALLB_NS);
      if (!conv.ok) return { skip: `ConfigMap ${METALLB_NS}/${name} does not convert: ${conv.errors.join('; ')}` };
      const notL2 = conv.pools.filter((p) => p.protocol !== 'layer2');
      if (notL2.length > 0) {
        return { skip: `ConfigMap ${METALLB_NS}/${name} has ${notL2.map((p) => `${p.protocol || 'no'}-protocol pool ${p.originalName}`).join(', ')}: only layer2 pools are migrated automatically (BGP peers and advertisements need a person: run configmaptocrs and review its output)` };
      }
      notes.push(...conv.notes);
      const convPools = conv.objects.filter((o) => o.kind === 'IPAddressPool');
      const toCreate: ConvertedObject[] = [];
      for (const p of convPools) {
        const existing = pools.find((o) => o.metadata?.name === p.metadata.name);
        if (existing) {
          if (!sameAddresses(addressesOf(p), addressesOf(existing))) {
            return { skip: `IPAddressPool ${p.metadata.name} exists with other addresses (${addressesOf(existing).join(', ')}) than ConfigMap ${name} (${addressesOf(p).join(', ')}): which is right is for a person to say` };
          }
          continue;
        }
        toCreate.push(p);
        allPools.push(p as unknown as KubeObject);
      }
      const overlaps = findOverlaps(allPools.map((o) => parsePool(o.metadata?.name ?? '', addressesOf(o), (o as any).spec?.avoidBuggyIPs === true))).filter((o) => o.poolA !== o.poolB);
      if (overlaps.length > 0) {
        const o = overlaps[0]!;
        return { skip: `IPAddressPool ${o.poolA} (${o.entryA}) would overlap IPAddressPool ${o.poolB} (${o.entryB}): MetalLB refuses overlapping pools; resolve it by hand` };
      }
      for (const p of toCreate) {
        steps.push(createStep(KINDS.ipAddressPool, { metadata: p.metadata, spec: p.spec }, `create IPAddressPool ${p.metadata.name} (${addressesOf(p).join(', ')}) from ConfigMap ${name}`));
        summary.push(`IPAddressPool ${p.metadata.name}`);
      }
      for (const adv of conv.objects.filter((o) => o.kind === 'L2Advertisement')) {
        const poolName = String((adv.spec.ipAddressPools as string[])[0]);
        const poolLabels = pools.find((o) => o.metadata?.name === poolName)?.metadata?.labels;
        if (ads.some((a) => a.kind === KINDS.l2Advertisement && advertisementSelects(a.object.spec, { name: poolName, labels: poolLabels }))) continue;
        let advName = adv.metadata.name;
        for (let i = 2; takenAds.has(advName); i++) advName = `${adv.metadata.name}-${i}`;
        takenAds.add(advName);
        steps.push(createStep(KINDS.l2Advertisement, { metadata: { ...adv.metadata, name: advName }, spec: adv.spec }, `create L2Advertisement ${advName} announcing pool ${poolName}`, { needsEarlierSteps: toCreate.some((p) => p.metadata.name === poolName) }));
        summary.push(`L2Advertisement ${advName}`);
      }

      // backup (unless an identical one is kept already), then delete: both only after the pools read back right
      const existingBackup = (await ctx.writer.list(KINDS.configMap, METALLB_NS, `${BACKUP_OF_LABEL}=${name}`, ctx.signal)).find((b) => JSON.stringify(b.data ?? {}) === JSON.stringify(data));
      if (!existingBackup) {
        const backupName = `${name}-backup-${stamp(ctx.now)}`.slice(0, 253);
        const backup = createStep(KINDS.configMap, { metadata: { name: backupName, namespace: METALLB_NS, labels: { [BACKUP_OF_LABEL]: name } }, data }, `keep a copy of ConfigMap ${name} as ${backupName} (after reading back the pools)`);
        const create = backup.apply;
        backup.apply = async (w, opts) => {
          if (!opts.dryRun) await verifyPools(w, convPools);
          await create(w, opts);
        };
        steps.push(backup);
        notes.push(`The legacy ConfigMap is kept as ${METALLB_NS}/${backupName} (label ${BACKUP_OF_LABEL}=${name}); delete it when you no longer need it.`);
      } else notes.push(`A copy of ConfigMap ${name} exists already: ${METALLB_NS}/${existingBackup.metadata?.name}.`);
      const del = deleteStep({ kind: KINDS.configMap, namespace: METALLB_NS, name }, cm, `delete the legacy ConfigMap ${name} (MetalLB 0.13+ ignores it)`);
      const doDelete = del.apply;
      del.apply = async (w, opts) => {
        if (!opts.dryRun) await verifyPools(w, convPools);
        await doDelete(w, opts);
      };
      steps.push(del);
      summary.push(`delete ConfigMap ${name}`);
      if (isHelmManaged(cm)) notes.push(helmNote(cm, `ConfigMap ${METALLB_NS}/${name}`));
    }
    return { summary: `migrate the legacy MetalLB config: ${summary.join(', ')}`, steps, notes };
  },
};
