import { METALLB_NS } from '../../checks/lib/akash.js';
import { RECOMMENDED_METALLB, findController } from '../../checks/lib/metallb.js';
import type { Fix } from '../types.js';

/** The chart install the checks' remedies print (src/checks/metallb/installed.ts), pinned. */
export const METALLB_INSTALL_COMMANDS = [
  'helm repo add metallb https://metallb.github.io/metallb',
  'helm repo update metallb',
  `helm -n ${METALLB_NS} install metallb metallb/metallb --version ${RECOMMENDED_METALLB}`,
];

export const fix: Fix = {
  id: 'metallb.install',
  title: `Install MetalLB ${RECOMMENDED_METALLB} with Helm (manual)`,
  addresses: ['metallb.installed'],
  risk: 'manual',
  order: 100,
  doc:
    `Prints the pinned Helm install of MetalLB ${RECOMMENDED_METALLB} (the version the provider guide installs) into ${METALLB_NS}; never run by the tool. ` +
    'The chart names its objects `<fullname>-controller` etc. (metallb/metallb:charts/metallb/templates/_helpers.tpl:14-25 at v0.14.9). After the install, Service controller with port monitoring is still needed (metallb.expose-controller) and an IPAddressPool default with an L2Advertisement.',
  async plan(ctx) {
    const ctrl = await findController(ctx.cluster);
    if (ctrl) return { skip: `a MetalLB controller Deployment exists (${METALLB_NS}/${ctrl.name})` };
    const ns = await ctx.cluster.getNamespace(METALLB_NS);
    return {
      summary: `install MetalLB ${RECOMMENDED_METALLB} into ${METALLB_NS} with Helm`,
      manual: ns ? METALLB_INSTALL_COMMANDS : [...METALLB_INSTALL_COMMANDS.slice(0, 2), `${METALLB_INSTALL_COMMANDS[2]} --create-namespace`],
      notes: [
        'Then create the IPAddressPool default with your public addresses and an L2Advertisement for it (see metallb.default-pool, metallb.advertisement), and run check --fix again for Service controller.',
        'Kubespray users install MetalLB with `metallb_enabled: true` and `metallb_config` in the inventory instead.',
      ],
    };
  },
};
