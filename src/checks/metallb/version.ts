import { fail, pass, skip, warn, type Check } from '../../core/types.js';
import { METALLB_NS } from '../lib/akash.js';
import { RECOMMENDED_METALLB, compareVersion, controllerVersion, upgradeCommand } from '../lib/metallb.js';

export const check: Check = {
  id: 'metallb.version',
  title: 'MetalLB version works with the IP operator (0.13 to 0.15)',
  category: 'metallb',
  dependsOn: ['cluster.api', 'metallb.namespace'],
  doc: {
    what: 'Reads the MetalLB version from the controller image tag (for example quay.io/metallb/controller:v0.14.8) and checks it is between 0.13 and 0.15, the versions the Akash guide uses.',
    why: 'MetalLB before 0.13 has no IPAddressPool/L2Advertisement resources (it is configured by a ConfigMap), so the guide\'s configuration does not apply. MetalLB 0.16 and later no longer serve plain-HTTP metrics on port 7472 (only HTTPS on 9120 with authorization), and the IP operator still scrapes plain HTTP: it then sees no addresses and IP leases stop working. An image without a version tag (`main`, a digest) cannot be checked.',
    fix: 'Install or move to MetalLB 0.14.9. Helm: `helm -n metallb-system upgrade metallb metallb/metallb --version 0.14.9`. Manifests: `kubectl apply -f https://raw.githubusercontent.com/metallb/metallb/v0.14.9/config/manifests/metallb-native.yaml`. Coming from 0.12, migrate the old ConfigMap too (see metallb.legacy-config).',
  },
  async run(ctx) {
    const v = await controllerVersion(ctx.cluster);
    if (!v) return skip(`no MetalLB controller Deployment in ${METALLB_NS} to read a version from (see metallb.installed)`);
    const ref = `${METALLB_NS}/${v.name}`;
    const details: Record<string, unknown> = { deployment: ref, method: v.method, image: v.image, tag: v.tag, version: v.version?.text ?? null };
    const upgrade = upgradeCommand(v.method);
    if (!v.version) {
      const what = v.tag ? `its tag "${v.tag}" is not a version` : 'it has no version tag (digest only)';
      return warn(`MetalLB version could not be determined: image ${v.image ?? '(none)'} of ${ref}, ${what}`, {
        details,
        hint: `Pin a released version so it can be checked (0.13 to 0.15 work with the IP operator): ${upgrade}`,
        remedy: { summary: `pin MetalLB ${RECOMMENDED_METALLB}`, commands: [upgrade] },
      });
    }
    const ver = v.version;
    if (compareVersion(ver, { major: 0, minor: 13, patch: 0 }) < 0) {
      return fail(`MetalLB ${ver.text} is older than 0.13: it has no IPAddressPool/L2Advertisement resources and is configured by a ConfigMap`, {
        details,
        hint: `Upgrade to ${RECOMMENDED_METALLB} (${upgrade}), then convert the old ConfigMap to resources (see metallb.legacy-config)`,
        remedy: { summary: `upgrade MetalLB to ${RECOMMENDED_METALLB}`, commands: [upgrade] },
      });
    }
    if (compareVersion(ver, { major: 0, minor: 16, patch: 0 }) >= 0) {
      return fail(`MetalLB ${ver.text} is 0.16 or newer: it no longer serves plain-HTTP metrics on port 7472 (HTTPS on 9120 with authorization only), which the IP operator scrapes`, {
        details,
        hint: `Go back to MetalLB ${RECOMMENDED_METALLB}, the version the guide installs: ${upgrade}`,
        remedy: { summary: `move MetalLB to ${RECOMMENDED_METALLB}`, commands: [upgrade] },
      });
    }
    return pass(`MetalLB ${ver.text} (${v.method === 'helm' ? 'Helm' : 'manifests/Kubespray'}) is in the range the IP operator works with (0.13 to 0.15)`, { details });
  },
};
