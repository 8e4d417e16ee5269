import { fail, pass, skip, warn, type Check } from '../../core/types.js';
import { METALLB_NS } from '../lib/akash.js';
import { BACKUP_COMMAND, RECOMMENDED_METALLB, compareVersion, controllerVersion, upgradeCommand } from '../lib/metallb.js';

export const check: Check = {
  id: 'metallb.version',
  title: 'MetalLB version works with the IP operator (0.13 to 0.15)',
  category: 'metallb',
  dependsOn: ['cluster.api', 'metallb.namespace'],
  doc: {
    what: 'Reads the MetalLB version from the image tag of the controller (found by its labels, whatever the Helm release is called; for example quay.io/metallb/controller:v0.14.9) and checks it is between 0.13 and 0.15. details.reason: version-supported, no-controller, version-unparsable, version-too-old, version-too-new.',
    why: 'MetalLB before 0.13 has no IPAddressPool/L2Advertisement resources (it is configured by a ConfigMap), so the guide\'s configuration does not apply. MetalLB 0.16 and later no longer serve plain-HTTP metrics on port 7472: the controller runs with `--port=9120` and container port `metricshttps`, served over TLS with authentication and authorization (metallb/metallb:internal/k8s/k8s.go:149-151 and charts/metallb/templates/controller.yaml at v0.16.0; release notes: "The old HTTP endpoints are no longer available"), while the IP operator scrapes plain HTTP (akash-network/provider:cluster/kube/operators/clients/metallb/client.go:113): its barrier stays locked and IP leases stop working. An image without a version tag (`main`, a digest) cannot be checked.',
    fix: 'Install or move to MetalLB 0.14.9. Helm: `helm -n metallb-system upgrade metallb metallb/metallb --version 0.14.9` (with the release name this check reports). Going back from 0.16 is a chart downgrade: back up the pools and advertisements first, `kubectl -n metallb-system get ipaddresspools,l2advertisements,bgpadvertisements -o yaml > metallb-backup.yaml`, and re-apply the backup if any is missing afterwards. Manifests: `kubectl apply -f https://raw.githubusercontent.com/metallb/metallb/v0.14.9/config/manifests/metallb-native.yaml`. Coming from 0.12, migrate the old ConfigMap too (see metallb.legacy-config).',
  },
  async run(ctx) {
    const v = await controllerVersion(ctx.cluster);
    if (!v) return skip(`no MetalLB controller Deployment in ${METALLB_NS} to read a version from (see metallb.installed)`, { details: { reason: 'no-controller' } });
    const ref = `${METALLB_NS}/${v.name}`;
    const details: Record<string, unknown> = { deployment: ref, method: v.method, release: v.release, image: v.image, tag: v.tag, version: v.version?.text ?? null };
    const upgrade = upgradeCommand(v.method, v.release);
    if (!v.version) {
      details.reason = 'version-unparsable';
      const what = v.tag ? `its tag "${v.tag}" is not a version` : 'it has no version tag (digest only)';
      return warn(`MetalLB version could not be determined: image ${v.image ?? '(none)'} of ${ref}, ${what}`, {
        details,
        hint: `Pin a released version so it can be checked (0.13 to 0.15 work with the IP operator): ${upgrade}`,
        remedy: { summary: `pin MetalLB ${RECOMMENDED_METALLB}`, commands: [upgrade] },
      });
    }
    const ver = v.version;
    if (compareVersion(ver, { major: 0, minor: 13, patch: 0 }) < 0) {
      details.reason = 'version-too-old';
      return fail(`MetalLB ${ver.text} is older than 0.13: it has no IPAddressPool/L2Advertisement resources and is configured by a ConfigMap`, {
        details,
        hint: `Upgrade to ${RECOMMENDED_METALLB} (${upgrade}), then convert the old ConfigMap to resources (see metallb.legacy-config)`,
        remedy: { summary: `upgrade MetalLB to ${RECOMMENDED_METALLB}`, commands: [upgrade] },
      });
    }
    if (compareVersion(ver, { major: 0, minor: 16, patch: 0 }) >= 0) {
      details.reason = 'version-too-new';
      return fail(`MetalLB ${ver.text} is 0.16 or newer: it no longer serves plain-HTTP metrics (only HTTPS with authorization, on 9120), which the IP operator scrapes`, {
        details,
        hint: `Go back to MetalLB ${RECOMMENDED_METALLB}, the version the guide installs; this is a chart downgrade, so back up the pools and advertisements first: ${BACKUP_COMMAND} && ${upgrade}`,
        remedy: { summary: `back up the MetalLB pools and advertisements, then downgrade MetalLB to ${RECOMMENDED_METALLB}`, commands: [BACKUP_COMMAND, upgrade], fixId: 'metallb.pin-version' },
      });
    }
    details.reason = 'version-supported';
    return pass(`MetalLB ${ver.text} (${v.method === 'helm' ? 'Helm' : 'manifests/Kubespray'}) is in the range the IP operator works with (0.13 to 0.15)`, { details });
  },
};
