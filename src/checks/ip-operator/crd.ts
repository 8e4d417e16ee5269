import type { Check } from '../../core/types.js';
import { fail, pass, warn } from '../../core/types.js';
import { imageTag, providerStatefulSet } from '../lib/akash.js';

export const CRD_NAME = 'providerleasedips.akash.network';

/** The provider's CRD manifest for a version tag (falls back to main). */
export function crdManifestUrl(tag: string | null | undefined): string {
  const ref = tag && /^v?\d+\.\d+\.\d+/.test(tag) ? (tag.startsWith('v') ? tag : `v${tag}`) : 'main';
  return `https://raw.githubusercontent.com/akash-network/provider/${ref}/pkg/apis/akash.network/crd.yaml`;
}

export const check: Check = {
  id: 'ip-operator.crd',
  title: 'The ProviderLeasedIP CRD is installed',
  category: 'ip-operator',
  dependsOn: ['cluster.api'],
  doc: {
    what: 'Looks for the CustomResourceDefinition providerleasedips.akash.network (kind ProviderLeasedIP), in which the provider records each IP lease and the IP operator reads them (akash-network/provider:pkg/apis/akash.network/crd.yaml; the operator lists and watches ProviderLeasedIP in namespace lease before it unlocks its barrier, operator/ip/operator.go).',
    why: 'Without the CRD the provider cannot record IP leases and the IP operator fails its start-up listing, so its barrier never unlocks.',
    fix: 'Apply the CRDs of your provider version: `kubectl apply -f https://raw.githubusercontent.com/akash-network/provider/v<version>/pkg/apis/akash.network/crd.yaml` (the version is the provider image tag), then restart the IP operator.',
  },
  async run(ctx) {
    const crd = await ctx.cluster.getCRD(CRD_NAME);
    if (!crd) {
      const sts = await providerStatefulSet(ctx.cluster).catch(() => null);
      const tag = imageTag(sts?.spec?.template?.spec, /provider/)?.tag ?? null;
      const cmd = `kubectl apply -f ${crdManifestUrl(tag)}`;
      return fail(`CRD ${CRD_NAME} is not installed: the provider cannot record IP leases and the IP operator cannot start`, {
        details: { reason: 'crd-missing', crd: CRD_NAME, providerVersion: tag },
        hint: `install the provider's CRDs: ${cmd}`,
        remedy: { summary: 'install the Akash provider CRDs', commands: [cmd] },
      });
    }
    const versions = (crd.spec?.versions ?? []).filter((v) => v.served).map((v) => v.name);
    const established = crd.status?.conditions?.find((c) => c.type === 'Established');
    const details = { crd: CRD_NAME, kind: crd.spec?.names?.kind ?? null, servedVersions: versions };
    if (versions.length === 0) {
      return fail(`CRD ${CRD_NAME} serves no version`, { details: { ...details, reason: 'crd-no-version' }, hint: `re-apply the provider's CRDs: kubectl apply -f ${crdManifestUrl(null)}` });
    }
    if (established && established.status !== 'True') {
      return warn(`CRD ${CRD_NAME} is not Established (${established.reason ?? established.status})`, { details: { ...details, reason: 'crd-not-established' }, hint: `kubectl describe crd ${CRD_NAME}` });
    }
    return pass(`CRD ${CRD_NAME} is installed (served: ${versions.join(', ')})`, { details: { ...details, reason: 'crd-installed' } });
  },
};
