/**
 * The fix registry. Ids are a contract: stable, never reused; a check's remedy names one
 * in `fixId`. One fix per file: src/fixes/<area>/<name>.ts exports `fix`.
 */
import type { Fix } from './types.js';
import { fix as metallbCreateNamespace } from './metallb/create-namespace.js';
import { fix as metallbInstall } from './metallb/install.js';
import { fix as metallbLabelPsa } from './metallb/label-psa.js';
import { fix as metallbMigrateLegacyConfig } from './metallb/migrate-legacy-config.js';
import { fix as metallbRenamePool } from './metallb/rename-pool.js';
import { fix as metallbCreateL2Advertisement } from './metallb/create-l2-advertisement.js';
import { fix as metallbExposeController } from './metallb/expose-controller.js';
import { fix as metallbPinVersion } from './metallb/pin-version.js';
import { fix as kubeProxyEnableStrictArp } from './kube-proxy/enable-strict-arp.js';
import { fix as ipOperatorRestart } from './ip-operator/restart.js';
import { fix as ipOperatorInstall } from './ip-operator/install.js';
import { fix as ipOperatorSetProviderAddress } from './ip-operator/set-provider-address.js';
import { fix as hostnameOperatorRestart } from './provider/hostname-operator-restart.js';
import { fix as providerRestartPod } from './provider/restart-pod.js';
import { fix as providerEnableIpOperator } from './provider/enable-ip-operator.js';
import { fix as providerAdvertiseIpLease } from './provider/advertise-ip-lease.js';

export const fixRegistry: readonly Fix[] = [
  metallbCreateNamespace,
  metallbLabelPsa,
  metallbMigrateLegacyConfig,
  metallbRenamePool,
  metallbCreateL2Advertisement,
  metallbExposeController,
  metallbInstall,
  metallbPinVersion,
  kubeProxyEnableStrictArp,
  ipOperatorRestart,
  hostnameOperatorRestart,
  providerRestartPod,
  providerEnableIpOperator,
  ipOperatorInstall,
  providerAdvertiseIpLease,
  ipOperatorSetProviderAddress,
];

export function findFix(id: string): Fix | undefined {
  return fixRegistry.find((f) => f.id === id);
}
