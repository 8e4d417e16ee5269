import { METALLB_NS } from '../../checks/lib/akash.js';
import { BACKUP_COMMAND, compareVersion, controllerVersion } from '../../checks/lib/metallb.js';
import type { Fix } from '../types.js';

/** The last MetalLB release whose controller serves plain-HTTP metrics on 7472 (upstream-facts 1.4: 0.16.0 dropped them). */
export const LAST_PLAIN_HTTP_METALLB = '0.15.3';

export function pinCommands(method: 'helm' | 'manifest', release: string | null): string[] {
  return method === 'helm'
    ? [BACKUP_COMMAND, 'helm repo update metallb', `helm -n ${METALLB_NS} upgrade ${release ?? 'metallb'} metallb/metallb --version ${LAST_PLAIN_HTTP_METALLB}`, `kubectl -n ${METALLB_NS} get ipaddresspools,l2advertisements,bgpadvertisements`]
    : [BACKUP_COMMAND, `kubectl apply -f https://raw.githubusercontent.com/metallb/metallb/v${LAST_PLAIN_HTTP_METALLB}/config/manifests/metallb-native.yaml`, `kubectl -n ${METALLB_NS} get ipaddresspools,l2advertisements,bgpadvertisements`];
}

export const fix: Fix = {
  id: 'metallb.pin-version',
  title: `Go back to MetalLB ${LAST_PLAIN_HTTP_METALLB} (plain-HTTP metrics) (manual)`,
  addresses: ['metallb.version'],
  risk: 'manual',
  order: 100,
  doc:
    `MetalLB 0.16.0 replaced the plain-HTTP metrics with TLS and RBAC on port 9120 ("The old HTTP endpoints are no longer available", release notes; metallb/metallb:internal/k8s/k8s.go:149-151 at v0.16.0), which the IP operator cannot scrape (akash-network/provider:cluster/kube/operators/clients/metallb/client.go:113, plain HTTP). ` +
    `This prints the pinned commands that go back to ${LAST_PLAIN_HTTP_METALLB}, the last release whose controller runs --port=7472 with container port monitoring (metallb/metallb:config/manifests/metallb-native.yaml:1993,2013-2014 at v0.15.3), Helm or manifests; a chart downgrade, so the pools and advertisements are backed up first. Never run by the tool.`,
  async plan(ctx) {
    const v = await controllerVersion(ctx.cluster);
    if (!v) return { skip: `no MetalLB controller Deployment in ${METALLB_NS}` };
    if (!v.version) return { skip: `the MetalLB version cannot be read from image ${v.image ?? '(none)'}` };
    if (compareVersion(v.version, { major: 0, minor: 16, patch: 0 }) < 0) return { skip: `MetalLB ${v.version.text} serves plain-HTTP metrics` };
    return {
      summary: `back up the MetalLB pools and advertisements, then go back from MetalLB ${v.version.text} to ${LAST_PLAIN_HTTP_METALLB} (${v.method === 'helm' ? `Helm release ${v.release ?? 'metallb'}` : 'manifests'})`,
      manual: pinCommands(v.method, v.release),
      notes: [
        'If a pool or advertisement is missing after the downgrade, re-apply the backup: kubectl apply -f metallb-backup.yaml',
        `After the downgrade the controller serves metrics on 7472 again: run check --fix once more so Service ${METALLB_NS}/controller (port monitoring) points at it.`,
        'Kubespray: set `metallb_version` in the inventory to the same release, or the next playbook run installs its own.',
      ],
    };
  },
};
