/**
 * Spec defaults the real API server fills in for workloads (applied on load and on create),
 * so clients such as `kubectl rollout status` see what they expect.
 */
import type { KubeObject } from './types.js';

export function applyWorkloadDefaults(plural: string, o: KubeObject): void {
  const spec = o.spec as Record<string, any> | undefined;
  if (!spec || typeof spec !== 'object') return;
  switch (plural) {
    case 'deployments':
      spec.replicas ??= 1;
      spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      break;
    case 'statefulsets':
      spec.replicas ??= 1;
      spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
      spec.podManagementPolicy ??= 'OrderedReady';
      spec.revisionHistoryLimit ??= 10;
      break;
    case 'daemonsets':
      spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
      spec.revisionHistoryLimit ??= 10;
      break;
    case 'replicasets':
      spec.replicas ??= 1;
      break;
  }
}
