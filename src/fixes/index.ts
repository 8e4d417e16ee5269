/**
 * The fix registry. Ids are a contract: stable, never reused; a check's remedy names one
 * in `fixId`. One fix per file: src/fixes/<area>/<name>.ts exports `fix`.
 */
import type { Fix } from './types.js';
import { fix as kubeProxyEnableStrictArp } from './kube-proxy/enable-strict-arp.js';
import { fix as ipOperatorRestart } from './ip-operator/restart.js';
import { fix as ipOperatorInstall } from './ip-operator/install.js';
import { fix as ipOperatorSetProviderAddress } from './ip-operator/set-provider-address.js';
import { fix as hostnameOperatorRestart } from './provider/hostname-operator-restart.js';
import { fix as providerRestartPod } from './provider/restart-pod.js';
import { fix as providerEnableIpOperator } from './provider/enable-ip-operator.js';
import { fix as providerAdvertiseIpLease } from './provider/advertise-ip-lease.js';

export const fixRegistry: readonly Fix[] = [
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
