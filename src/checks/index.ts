/**
 * The registry: every check, in the fixed order reports use. Ids are a contract:
 * stable, never reused. One check per file: src/checks/<area>/<name>.ts exports `check`.
 */
import type { Check } from '../core/types.js';
import { check as clusterApi } from './cluster/api.js';
import { check as clusterPermissions } from './cluster/permissions.js';
import { check as metallbNamespace } from './metallb/namespace.js';
import { check as metallbInstalled } from './metallb/installed.js';
import { check as metallbVersion } from './metallb/version.js';
import { check as metallbSpeaker } from './metallb/speaker.js';
import { check as metallbPodSecurity } from './metallb/pod-security.js';
import { check as metallbControllerService } from './metallb/controller-service.js';
import { check as metallbMetrics } from './metallb/metrics.js';
import { check as metallbLegacyConfig } from './metallb/legacy-config.js';
import { check as metallbDefaultPool } from './metallb/default-pool.js';
import { check as metallbAdvertisement } from './metallb/advertisement.js';
import { check as metallbPoolCapacity } from './metallb/pool-capacity.js';
import { check as metallbPendingServices } from './metallb/pending-services.js';
import { check as metallbExcludedNodes } from './metallb/excluded-nodes.js';
import { check as kubeProxyStrictArp } from './kube-proxy/strict-arp.js';
import { check as providerHelmRelease } from './provider/helm-release.js';
import { check as providerHelmValues } from './provider/helm-values.js';
import { check as providerIpOperatorFlag } from './provider/ip-operator-flag.js';
import { check as providerIpLeaseAttribute } from './provider/ip-lease-attribute.js';
import { check as providerOnchainAttribute } from './provider/onchain-attribute.js';
import { check as providerPod } from './provider/pod.js';
import { check as providerHostnameOperator } from './provider/hostname-operator.js';
import { check as providerStatusEndpoint } from './provider/status-endpoint.js';
import { check as ipOperatorCrd } from './ip-operator/crd.js';
import { check as ipOperatorInstalled } from './ip-operator/installed.js';
import { check as ipOperatorProviderAddress } from './ip-operator/provider-address.js';
import { check as ipOperatorHealth } from './ip-operator/health.js';
import { check as ipOperatorUsage } from './ip-operator/usage.js';
import { check as ipOperatorBarrier } from './ip-operator/barrier.js';

export const registry: readonly Check[] = [
  clusterApi,
  clusterPermissions,
  metallbNamespace,
  metallbInstalled,
  metallbVersion,
  metallbSpeaker,
  metallbPodSecurity,
  metallbControllerService,
  metallbMetrics,
  metallbLegacyConfig,
  metallbDefaultPool,
  metallbAdvertisement,
  metallbPoolCapacity,
  metallbPendingServices,
  metallbExcludedNodes,
  kubeProxyStrictArp,
  providerHelmRelease,
  providerHelmValues,
  providerIpOperatorFlag,
  providerIpLeaseAttribute,
  providerOnchainAttribute,
  providerPod,
  providerHostnameOperator,
  providerStatusEndpoint,
  ipOperatorCrd,
  ipOperatorInstalled,
  ipOperatorProviderAddress,
  ipOperatorHealth,
  ipOperatorUsage,
  ipOperatorBarrier,
];

export function findCheck(id: string): Check | undefined {
  return registry.find((c) => c.id === id);
}
