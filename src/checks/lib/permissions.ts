/**
 * Every read the doctor makes, as data: which RBAC permission it needs and which
 * checks depend on it. `cluster.permissions` asks the API server about each one
 * (SelfSubjectAccessReview) and names the checks a missing permission degrades.
 *
 * Keep this list in step with the reads of the checks: a check that reads
 * something new adds a row (or its id to an existing row).
 */
import { AKASH_NS, METALLB_NS } from './akash.js';

export interface Permission {
  verb: 'get' | 'list' | 'create';
  /** Plural resource name, as RBAC spells it (no group). */
  resource: string;
  /** API group ('' for core). */
  group: string;
  /** Undefined for cluster-scoped resources and cluster-wide lists. */
  namespace?: string;
  subresource?: string;
  /** Check ids that make this read. */
  checks: string[];
  /** Why the doctor needs it (one short phrase, for the report). */
  purpose: string;
}

export const PERMISSIONS: readonly Permission[] = [
  // cluster-scoped
  { verb: 'list', resource: 'nodes', group: '', checks: ['metallb.excluded-nodes'], purpose: 'node labels that stop MetalLB announcing' },
  { verb: 'get', resource: 'namespaces', group: '', checks: ['metallb.namespace', 'metallb.pod-security', 'metallb.default-pool'], purpose: 'metallb-system and its Pod Security labels; lease namespaces a pool\'s serviceAllocation selects' },
  { verb: 'get', resource: 'customresourcedefinitions', group: 'apiextensions.k8s.io', checks: ['ip-operator.crd'], purpose: 'the ProviderLeasedIP CRD' },
  { verb: 'list', resource: 'services', group: '', checks: ['metallb.pool-capacity', 'metallb.pending-services'], purpose: 'lease LoadBalancer Services in every namespace' },
  { verb: 'list', resource: 'events', group: '', checks: ['metallb.pending-services'], purpose: 'AllocationFailed events of lease Services' },

  // metallb-system
  { verb: 'list', resource: 'deployments', group: 'apps', namespace: METALLB_NS, checks: ['metallb.installed', 'metallb.version', 'metallb.controller-service', 'metallb.metrics', 'metallb.excluded-nodes', 'metallb.legacy-config'], purpose: 'the MetalLB controller, found by its labels' },
  { verb: 'list', resource: 'daemonsets', group: 'apps', namespace: METALLB_NS, checks: ['metallb.speaker', 'metallb.pod-security'], purpose: 'the MetalLB speaker, found by its labels' },
  { verb: 'list', resource: 'pods', group: '', namespace: METALLB_NS, checks: ['metallb.installed', 'metallb.controller-service'], purpose: 'MetalLB controller pods' },
  { verb: 'get', resource: 'services', group: '', namespace: METALLB_NS, checks: ['metallb.controller-service', 'metallb.metrics'], purpose: 'the controller metrics Service' },
  { verb: 'get', resource: 'services', group: '', namespace: METALLB_NS, subresource: 'proxy', checks: ['metallb.metrics'], purpose: 'MetalLB metrics, read as the IP operator reads them' },
  { verb: 'get', resource: 'secrets', group: '', namespace: METALLB_NS, checks: ['metallb.speaker'], purpose: 'presence of the memberlist Secret (never its value)' },
  { verb: 'list', resource: 'configmaps', group: '', namespace: METALLB_NS, checks: ['metallb.legacy-config'], purpose: 'the legacy MetalLB ConfigMap' },
  { verb: 'list', resource: 'ipaddresspools', group: 'metallb.io', namespace: METALLB_NS, checks: ['metallb.default-pool', 'metallb.pool-capacity', 'metallb.advertisement', 'metallb.legacy-config'], purpose: 'address pools' },
  { verb: 'list', resource: 'l2advertisements', group: 'metallb.io', namespace: METALLB_NS, checks: ['metallb.default-pool', 'metallb.advertisement', 'metallb.legacy-config'], purpose: 'L2 advertisements' },
  { verb: 'list', resource: 'bgpadvertisements', group: 'metallb.io', namespace: METALLB_NS, checks: ['metallb.default-pool', 'metallb.advertisement', 'metallb.legacy-config'], purpose: 'BGP advertisements' },
  { verb: 'list', resource: 'events', group: '', namespace: METALLB_NS, checks: ['metallb.pod-security'], purpose: 'FailedCreate events of the speaker' },

  // kube-system
  { verb: 'get', resource: 'configmaps', group: '', namespace: 'kube-system', checks: ['kube-proxy.strict-arp'], purpose: 'kube-proxy and Cilium configuration' },
  { verb: 'get', resource: 'daemonsets', group: 'apps', namespace: 'kube-system', checks: ['kube-proxy.strict-arp'], purpose: 'kube-proxy / kube-router DaemonSets' },

  // akash-services
  { verb: 'list', resource: 'secrets', group: '', namespace: AKASH_NS, checks: ['provider.helm-release', 'provider.helm-values', 'provider.ip-lease-attribute', 'provider.ip-operator-flag'], purpose: 'the akash-provider Helm release (values are redacted)' },
  {
    verb: 'get',
    resource: 'statefulsets',
    group: 'apps',
    namespace: AKASH_NS,
    checks: ['provider.helm-release', 'provider.helm-values', 'provider.ip-operator-flag', 'provider.onchain-attribute', 'provider.pod', 'provider.status-endpoint', 'ip-operator.provider-address', 'ip-operator.barrier'],
    purpose: 'the akash-provider StatefulSet and its environment',
  },
  {
    verb: 'get',
    resource: 'configmaps',
    group: '',
    namespace: AKASH_NS,
    checks: ['provider.helm-values', 'provider.ip-operator-flag', 'provider.onchain-attribute', 'provider.status-endpoint', 'ip-operator.provider-address', 'ip-operator.barrier'],
    purpose: 'akash-provider-main and operator-ip ConfigMaps',
  },
  { verb: 'list', resource: 'pods', group: '', namespace: AKASH_NS, checks: ['provider.pod', 'provider.hostname-operator', 'provider.status-endpoint', 'ip-operator.installed', 'ip-operator.provider-address', 'ip-operator.health', 'ip-operator.usage', 'ip-operator.barrier'], purpose: 'provider and IP operator pods' },
  { verb: 'get', resource: 'deployments', group: 'apps', namespace: AKASH_NS, checks: ['provider.status-endpoint', 'provider.hostname-operator', 'ip-operator.installed', 'ip-operator.provider-address', 'ip-operator.health', 'ip-operator.usage', 'ip-operator.barrier'], purpose: 'the IP operator Deployment' },
  { verb: 'get', resource: 'services', group: '', namespace: AKASH_NS, checks: ['ip-operator.health', 'ip-operator.usage', 'provider.hostname-operator'], purpose: 'the IP and hostname operator Services' },
  { verb: 'get', resource: 'services', group: '', namespace: AKASH_NS, subresource: 'proxy', checks: ['ip-operator.health', 'ip-operator.usage', 'provider.hostname-operator'], purpose: 'the IP operator /health and /usage, the hostname operator /health' },
  { verb: 'get', resource: 'pods', group: '', namespace: AKASH_NS, subresource: 'log', checks: ['ip-operator.barrier', 'provider.hostname-operator', 'provider.status-endpoint'], purpose: 'IP operator logs (barrier lines), provider log (start-up wait)' },
];

/** "get services/proxy in akash-services", "list nodes", "list ipaddresspools.metallb.io in metallb-system" */
export function describePermission(p: Pick<Permission, 'verb' | 'resource' | 'group' | 'namespace' | 'subresource'>): string {
  const res = `${p.resource}${p.group ? '.' + p.group : ''}${p.subresource ? '/' + p.subresource : ''}`;
  return `${p.verb} ${res}${p.namespace ? ' in ' + p.namespace : p.resource === 'nodes' || p.resource === 'namespaces' || p.resource === 'customresourcedefinitions' ? '' : ' cluster-wide'}`;
}

/** RBAC resource string for kubectl create role --resource (e.g. pods/log, ipaddresspools.metallb.io). */
function rbacResource(p: Permission): string {
  return `${p.resource}${p.group ? '.' + p.group : ''}${p.subresource ? '/' + p.subresource : ''}`;
}

/**
 * Exact, read-only grant commands for the missing permissions: one Role per
 * namespace, one ClusterRole for cluster-scoped reads. `<doctor-user>` is the user
 * of the doctor's kubeconfig (`kubectl auth whoami`).
 */
export function grantCommands(missing: readonly Permission[], name = 'akash-ip-doctor-read'): string[] {
  const byScope = new Map<string, { verbs: Set<string>; resources: Set<string> }>();
  for (const p of missing) {
    const scope = p.namespace ?? '';
    let g = byScope.get(scope);
    if (!g) byScope.set(scope, (g = { verbs: new Set(), resources: new Set() }));
    g.verbs.add(p.verb);
    g.resources.add(rbacResource(p));
  }
  const out: string[] = [];
  for (const [scope, g] of [...byScope.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const verbs = [...g.verbs].sort().join(',');
    const resources = [...g.resources].sort().join(',');
    if (scope === '') {
      out.push(`kubectl create clusterrole ${name} --verb=${verbs} --resource=${resources}`);
      out.push(`kubectl create clusterrolebinding ${name} --clusterrole=${name} --user=<doctor-user>`);
    } else {
      out.push(`kubectl -n ${scope} create role ${name} --verb=${verbs} --resource=${resources}`);
      out.push(`kubectl -n ${scope} create rolebinding ${name} --role=${name} --user=<doctor-user>`);
    }
  }
  return out;
}
