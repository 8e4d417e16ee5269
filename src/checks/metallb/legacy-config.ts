import type * as k8s from '@kubernetes/client-node';
import { fail, pass, warn, type Check, type Remedy } from '../../core/types.js';
import type { KubeObject } from '../../cluster/snapshot.js';
import { METALLB_NS } from '../lib/akash.js';
import { convertLegacyConfig, isLegacyConfig, type Conversion, type LegacyPool } from '../lib/legacy-config.js';
import { RECOMMENDED_METALLB, advertisementSelects, compareVersion, controllerVersion, listAdvertisements, listNames, listPools, upgradeCommand, type Advertisement } from '../lib/metallb.js';

/**
 * Label of the backup copy `metallb.migrate-legacy-config` keeps of a migrated ConfigMap
 * (value: the original's name): a backup is not a live legacy configuration.
 */
export const BACKUP_OF_LABEL = 'akash-ip-doctor/backup-of';

/** The legacy MetalLB ConfigMaps of a list (backups kept by the migration excluded). */
export function legacyConfigMaps(cms: readonly k8s.V1ConfigMap[]): k8s.V1ConfigMap[] {
  return cms.filter((cm) => isLegacyConfig(cm.data?.config) && !cm.metadata?.labels?.[BACKUP_OF_LABEL]);
}

interface LegacyState {
  configMap: string;
  conversion: Conversion;
  /** What of this ConfigMap is not (yet) in the CRDs. */
  missing: string[];
}

export function sameAddresses(a: readonly string[], b: readonly unknown[]): boolean {
  const norm = (xs: readonly unknown[]) => [...new Set(xs.map((x) => String(x).replace(/\s+/g, '')))].sort().join(',');
  return norm(a) === norm(b);
}

/** Which pools / advertisements of the legacy config have no equivalent resource. */
export function notMigrated(pools: LegacyPool[], existing: KubeObject[] | null, ads: Advertisement[]): string[] {
  const missing: string[] = [];
  for (const p of pools) {
    const cr = existing?.find((o) => o.metadata?.name === p.name);
    if (!cr) missing.push(`IPAddressPool ${p.name}`);
    else if (!sameAddresses(p.addresses, Array.isArray(cr.spec?.addresses) ? cr.spec.addresses : [])) missing.push(`the addresses of IPAddressPool ${p.name}`);
    const kind = p.protocol === 'layer2' ? 'L2Advertisement' : p.protocol === 'bgp' ? 'BGPAdvertisement' : null;
    if (kind && !ads.some((a) => a.kind === kind && advertisementSelects(a.object.spec, { name: p.name, labels: cr?.metadata?.labels }))) {
      missing.push(`${kind} for pool ${p.name}`);
    }
  }
  return missing;
}

function migrateRemedy(cm: string, conv: Conversion): Remedy {
  return {
    summary: `convert ConfigMap ${METALLB_NS}/${cm} to ${conv.objects.map((o) => `${o.kind} ${o.metadata.name}`).join(', ')} and delete it`,
    commands: [
      `kubectl -n ${METALLB_NS} get cm ${cm} -o yaml > config.yaml`,
      'docker run --rm -v "$(pwd):/var/input" quay.io/metallb/configmaptocrs',
      'kubectl apply -f resources.yaml',
      `kubectl -n ${METALLB_NS} delete cm ${cm}`,
    ],
    fixId: 'metallb.migrate-legacy-config',
    params: { namespace: METALLB_NS, configMap: cm },
  };
}

export const check: Check = {
  id: 'metallb.legacy-config',
  title: 'No unmigrated MetalLB 0.12 ConfigMap configuration',
  category: 'metallb',
  dependsOn: ['cluster.api', 'metallb.namespace'],
  doc: {
    what: 'Looks in metallb-system for a MetalLB 0.12-style ConfigMap (`config`, or `metallb`/`<release>-metallb` from the old Helm chart) whose `config` key holds `address-pools`, converts it the way MetalLB\'s configmaptocrs does (IPAddressPool per pool, L2Advertisement per layer2 pool, BGPAdvertisement per bgp pool) and compares the result with the resources that exist. Fails when pools or advertisements of the old config are missing (or when MetalLB is still 0.12); warns when everything was migrated and only the old ConfigMap is left over. The conversion follows metallb/metallb:configmaptocrs/main.go (v0.13.12); MetalLB 0.13 and later read only the CRDs. details.reason: no-legacy-config, still-0-12, still-0-12-unconvertible, leftover, not-migrated, not-migrated-unconvertible.',
    why: 'MetalLB 0.13 and later ignore the ConfigMap entirely. After an upgrade that skipped the migration, MetalLB has no pools or no advertisement, so lease Services get no IP or their IPs are never announced. A left-over ConfigMap does no harm by itself but misleads whoever edits it later, so it is only a warning.',
    fix: 'Convert and apply, as the guide describes: `kubectl -n metallb-system get cm config -o yaml > config.yaml`, `docker run --rm -v "$(pwd):/var/input" quay.io/metallb/configmaptocrs`, `kubectl apply -f resources.yaml`, then `kubectl -n metallb-system delete cm config`. The converted resources are also in this check\'s JSON details (details.convertedYaml). A left-over ConfigMap only needs the delete.',
  },
  async run(ctx) {
    const cms: k8s.V1ConfigMap[] = await ctx.cluster.listConfigMaps(METALLB_NS);
    const legacy = legacyConfigMaps(cms);
    if (legacy.length === 0) return pass(`no legacy MetalLB ConfigMap (address-pools) in ${METALLB_NS}`, { details: { reason: 'no-legacy-config', configMapsScanned: cms.length } });

    const [pools, ads, version] = await Promise.all([listPools(ctx.cluster), listAdvertisements(ctx.cluster), controllerVersion(ctx.cluster)]);
    const states: LegacyState[] = legacy.map((cm) => {
      const conversion = convertLegacyConfig(cm.data!.config!, METALLB_NS);
      return { configMap: cm.metadata!.name!, conversion, missing: notMigrated(conversion.pools, pools, ads) };
    });
    const pending = states.filter((s) => s.missing.length > 0);
    const details: Record<string, unknown> = {
      configMaps: states.map((s) => ({
        name: `${METALLB_NS}/${s.configMap}`,
        pools: s.conversion.pools.map((p) => ({ name: p.originalName, becomes: p.name, protocol: p.protocol, addresses: p.addresses })),
        notMigrated: s.missing,
        convertible: s.conversion.ok,
        ...(s.conversion.errors.length ? { errors: s.conversion.errors } : {}),
        ...(s.conversion.notes.length ? { notes: s.conversion.notes } : {}),
      })),
      crdsInstalled: pools !== null,
      metallbVersion: version?.version?.text ?? version?.tag ?? null,
    };
    const first = pending[0] ?? states[0]!;
    const conv = first.conversion;
    const cmRef = `${METALLB_NS}/${first.configMap}`;
    if (conv.ok) {
      details.converted = conv.objects;
      details.convertedYaml = conv.yaml;
    }
    const convertsTo = conv.ok ? conv.objects.map((o) => `${o.kind} ${o.metadata.name}`).join(', ') : '';
    const poolWord = `${conv.pools.length} pool${conv.pools.length === 1 ? '' : 's'}`;

    // MetalLB still 0.12: the ConfigMap is the live configuration
    if (version?.version && compareVersion(version.version, { major: 0, minor: 13, patch: 0 }) < 0) {
      const upgrade = upgradeCommand(version.method, version.release);
      if (!conv.ok) {
        details.reason = 'still-0-12-unconvertible';
        // 0.13+ ignores the ConfigMap: upgrading before the config converts leaves MetalLB with no pool at all
        return fail(`MetalLB ${version.version.text} is still configured by ConfigMap ${cmRef} (${poolWord}), which cannot be converted: ${conv.errors[0]}${conv.errors.length > 1 ? ` (+${conv.errors.length - 1} more)` : ''}; fix it before upgrading to ${RECOMMENDED_METALLB}`, {
          details,
          hint: `Do not upgrade yet: MetalLB 0.13+ ignores this ConfigMap, so every LoadBalancer IP would lose its pool. Fix the config (kubectl -n ${METALLB_NS} edit cm ${first.configMap}), then upgrade (${upgrade}) and convert it: ${migrateRemedy(first.configMap, conv).commands.join(' && ')}`,
        });
      }
      details.reason = 'still-0-12';
      return fail(`MetalLB ${version.version.text} is still configured by ConfigMap ${cmRef} (${poolWord}); upgrade to ${RECOMMENDED_METALLB} and convert it${convertsTo ? ` to ${convertsTo}` : ''}`, {
        details,
        hint: `Upgrade (${upgrade}), then convert: ${migrateRemedy(first.configMap, conv).commands.join(' && ')}`,
        remedy: { ...migrateRemedy(first.configMap, conv), commands: [upgrade, ...migrateRemedy(first.configMap, conv).commands] },
      });
    }

    if (pending.length === 0) {
      const names = states.map((s) => `${METALLB_NS}/${s.configMap}`);
      details.reason = 'leftover';
      return warn(`legacy MetalLB ConfigMap ${listNames(names)} is left over: its pools and advertisements already exist as resources and MetalLB ignores it`, {
        details,
        hint: `Back it up and delete it: kubectl -n ${METALLB_NS} get cm ${first.configMap} -o yaml > metallb-legacy-config.yaml && kubectl -n ${METALLB_NS} delete cm ${first.configMap}`,
        remedy: {
          summary: `delete the left-over ConfigMap ${cmRef}`,
          commands: [`kubectl -n ${METALLB_NS} get cm ${first.configMap} -o yaml > metallb-legacy-config.yaml`, `kubectl -n ${METALLB_NS} delete cm ${first.configMap}`],
          fixId: 'metallb.migrate-legacy-config',
          params: { configMap: first.configMap },
        },
      });
    }

    const others = pending.length > 1 ? ` (and ${pending.length - 1} more legacy ConfigMap${pending.length > 2 ? 's' : ''})` : '';
    const missingText = `missing: ${listNames(first.missing, 4)}`;
    if (!conv.ok) {
      details.reason = 'not-migrated-unconvertible';
      return fail(`legacy MetalLB ConfigMap ${cmRef} (${poolWord}) is not migrated and cannot be converted: ${conv.errors[0]}${conv.errors.length > 1 ? ` (+${conv.errors.length - 1} more)` : ''}; ${missingText}${others}`, {
        details,
        hint: `Fix the addresses in the old config, then convert it: kubectl -n ${METALLB_NS} get cm ${first.configMap} -o yaml > config.yaml && docker run --rm -v "$(pwd):/var/input" quay.io/metallb/configmaptocrs && kubectl apply -f resources.yaml`,
      });
    }
    const remedy = migrateRemedy(first.configMap, conv);
    details.reason = 'not-migrated';
    return fail(`legacy MetalLB ConfigMap ${cmRef} (${poolWord}) is ignored since MetalLB 0.13 and not migrated (${missingText}); it converts to ${convertsTo}${others}`, {
      details,
      hint: `Convert it with MetalLB's configmaptocrs and apply the result (or apply details.convertedYaml), then delete it: kubectl -n ${METALLB_NS} delete cm ${first.configMap}`,
      remedy,
    });
  },
};
