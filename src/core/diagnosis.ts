/**
 * Root cause up front. Failures cascade (MetalLB metrics unreachable -> the IP
 * operator's barrier stays locked -> the provider's /status hangs -> the provider
 * pod restarts), so a per-check table shows five symptoms of one problem. These
 * explicit rules, in order from the deepest cause to the most superficial, name
 * the most likely root cause(s) and the one first step to take. A rule fires when
 * its trigger check FAILED (never on `error`: a check that could not decide is no
 * evidence of a cause) and is not already explained by an earlier rule; it then
 * claims the symptoms it explains (failed, warned or skipped checks; never errored
 * ones). Failed checks no rule explains are listed next. Errored checks come last,
 * one "could not check" entry per details.reason (rule `could-not-check:<reason>`),
 * naming the checks and the likely local cause (budget, credentials, network).
 */
import type { CheckResult, Diagnosis } from './types.js';

type ResultMap = ReadonlyMap<string, CheckResult>;

export interface Rule {
  id: string;
  /** The check whose failure is this cause. */
  trigger: string;
  /** Kept for compatibility: only `fail` ever fires a rule. */
  statuses?: 'fail'[];
  /** Extra condition on the trigger's result. */
  when?: (r: CheckResult, all: ResultMap) => boolean;
  /** A trigger result that satisfies `when` (documents the rule; the tests use it). */
  example?: Partial<CheckResult>;
  cause: (r: CheckResult, all: ResultMap) => string;
  /** Default: the trigger's first remedy command, else its hint. */
  firstStep?: (r: CheckResult, all: ResultMap) => string | undefined;
  /** Checks whose failure this cause explains. */
  explains: string[];
}

const IP_PATH = ['ip-operator.health', 'ip-operator.barrier', 'ip-operator.usage', 'provider.status-endpoint', 'provider.pod'];
const METALLB_ALL = [
  'metallb.installed',
  'metallb.version',
  'metallb.speaker',
  'metallb.pod-security',
  'metallb.controller-service',
  'metallb.metrics',
  'metallb.legacy-config',
  'metallb.default-pool',
  'metallb.advertisement',
  'metallb.pool-capacity',
  'metallb.pending-services',
  'metallb.excluded-nodes',
];

/** The trigger's fix as one line: its remedy commands in order, else its hint. */
function firstCommand(r: CheckResult): string | undefined {
  const cmds = r.remedy?.commands ?? [];
  if (cmds.length > 0 && cmds.length <= 3 && cmds.every((c) => !c.includes('\n'))) return cmds.join(' && ');
  return r.hint ?? cmds[0];
}

export const RULES: readonly Rule[] = [
  {
    id: 'api-unreachable',
    trigger: 'cluster.api',
    cause: (r) =>
      reasonOf(r) === 'not-kubernetes'
        ? `The kubeconfig names something else: ${r.message}`
        : `The Kubernetes API server cannot be used with this kubeconfig: ${r.message}`,
    firstStep: () => 'Check the kubeconfig and context (`kubectl --context <ctx> get ns`), then run the doctor again.',
    explains: ['*'],
  },
  // The provider waits at start for the hostname operator first, then the IP operator
  // (provider run.go:737-745, operator/waiter/waiter.go): what it waits for is named
  // before any IP-path rule can claim the hanging /status.
  {
    id: 'hostname-operator',
    trigger: 'provider.hostname-operator',
    cause: (r) => `The hostname operator is not serving: ${lowerFirst(r.message)}. The provider waits for it at start before anything else (it asks the IP operator only afterwards), so /status hangs and the provider pod restarts.`,
    explains: ['provider.status-endpoint', 'provider.pod'],
  },
  {
    id: 'provider-discovery-stuck',
    trigger: 'provider.status-endpoint',
    // only when the operator it failed to find is fine now; else that operator's rule comes first
    when: (r, all) => {
      const d = r.details as { reason?: string; providerDiscoveryFailed?: { service?: string } } | undefined;
      if (d?.reason !== 'discovery-stuck') return false;
      const deps = d.providerDiscoveryFailed?.service === 'operator-hostname' ? ['provider.hostname-operator'] : ['ip-operator.installed', 'ip-operator.health', 'ip-operator.barrier'];
      return deps.every((id) => all.get(id)?.status !== 'fail');
    },
    example: { details: { reason: 'discovery-stuck', providerDiscoveryFailed: { service: 'operator-ip' } } },
    cause: (r) => `The provider is stuck at start: ${lowerFirst(r.message)}.`,
    firstStep: () => 'Restart the provider pod: `kubectl -n akash-services delete pod akash-provider-0` (fix any failing operator check first, or the new pod waits again).',
    explains: ['provider.pod'],
  },
  {
    id: 'provider-waiting-hostname',
    trigger: 'provider.status-endpoint',
    when: (r) => (r.details as { reason?: string } | undefined)?.reason === 'waiting-for-hostname-operator',
    example: { details: { reason: 'waiting-for-hostname-operator' } },
    cause: (r) => `The provider is waiting for the hostname operator, not the IP operator: ${lowerFirst(r.message)}.`,
    explains: ['provider.pod'],
  },
  {
    id: 'metallb-missing',
    trigger: 'metallb.namespace',
    cause: () => 'MetalLB is not installed (namespace metallb-system is missing), so there is no address pool to lease IPs from.',
    firstStep: () => 'Install MetalLB as in the guide: `kubectl create ns metallb-system` then `helm -n metallb-system install metallb metallb/metallb --version 0.14.9`.',
    explains: [...METALLB_ALL, ...IP_PATH],
  },
  {
    id: 'metallb-controller-missing',
    trigger: 'metallb.installed',
    cause: (r) => `MetalLB's controller is not running: ${r.message}`,
    explains: [...METALLB_ALL.filter((c) => c !== 'metallb.installed'), ...IP_PATH],
  },
  {
    id: 'metallb-version',
    trigger: 'metallb.version',
    cause: (r) => `This MetalLB version does not work with the IP operator: ${r.message}`,
    explains: ['metallb.metrics', 'metallb.pool-capacity', 'metallb.legacy-config', 'metallb.default-pool', 'metallb.advertisement', ...IP_PATH],
  },
  {
    id: 'legacy-config',
    trigger: 'metallb.legacy-config',
    cause: () => 'MetalLB was upgraded from 0.12 but its old ConfigMap was never converted to IPAddressPool/L2Advertisement resources, so MetalLB has no pool.',
    explains: ['metallb.default-pool', 'metallb.advertisement', 'metallb.metrics', 'metallb.pool-capacity', 'metallb.pending-services', ...IP_PATH],
  },
  {
    id: 'no-default-pool',
    trigger: 'metallb.default-pool',
    // a pool MetalLB may not auto-assign is counted by the operator: not this cause
    when: (r) => !['auto-assign-disabled', 'service-allocation-excludes-leases'].includes((r.details as { reason?: string } | undefined)?.reason ?? ''),
    cause: (r) => `The IP operator only uses the MetalLB pool named "default": ${lowerFirst(r.message)}. It then reports 0 free IPs and the provider never bids on IP orders.`,
    explains: ['metallb.metrics', 'metallb.pool-capacity', 'metallb.advertisement', 'metallb.pending-services', 'ip-operator.usage'],
  },
  {
    id: 'pool-not-assignable',
    trigger: 'metallb.default-pool',
    // MetalLB skips a pool it may not auto-assign for Services that do not name it
    // (metallb v0.14.9 internal/allocator/allocator.go:337-370): every lease stays pending
    when: (r) => ['auto-assign-disabled', 'service-allocation-excludes-leases'].includes(reasonOf(r)),
    example: { details: { reason: 'auto-assign-disabled' } },
    cause: (r) => `MetalLB will not give lease Services an address from pool "default": ${lowerFirst(r.message)}. Every lease Service stays <pending>.`,
    explains: ['metallb.pending-services', 'metallb.pool-capacity'],
  },
  {
    id: 'pod-security',
    trigger: 'metallb.pod-security',
    cause: () => 'Pod Security admission blocks MetalLB\'s speaker (it needs hostNetwork and NET_RAW), so assigned IPs are never announced.',
    explains: ['metallb.speaker'],
  },
  {
    id: 'speaker',
    trigger: 'metallb.speaker',
    cause: (r) => `MetalLB's speaker is not working on every node (${lowerFirst(r.message)}): IPs are allocated but not announced from those nodes, so leased IPs do not answer.`,
    explains: [],
  },
  {
    id: 'controller-service',
    trigger: 'metallb.controller-service',
    cause: (r) => `The IP operator cannot reach MetalLB's metrics, because ${lowerFirst(r.message)}; its barrier then stays locked and the provider's /status hangs.`,
    explains: ['metallb.metrics', 'metallb.pool-capacity', ...IP_PATH],
  },
  {
    id: 'metrics-unreachable',
    trigger: 'metallb.metrics',
    cause: (r) => `The IP operator cannot read MetalLB's metrics (${lowerFirst(r.message)}); its barrier then stays locked and the provider's /status hangs.`,
    explains: ['metallb.pool-capacity', ...IP_PATH],
  },
  {
    id: 'pool-exhausted',
    trigger: 'metallb.pool-capacity',
    cause: (r) => `The address pool "default" is exhausted: ${lowerFirst(r.message)}. New IP leases stay <pending>.`,
    explains: ['metallb.pending-services', 'ip-operator.usage'],
  },
  {
    // an operator without a provider address refuses to start (provider operator/ip/cmd.go:38):
    // the crash loop ip-operator.installed reports is this, so it is named first
    id: 'operator-no-address',
    trigger: 'ip-operator.provider-address',
    when: (r, all) => ['address-ignored-name', 'address-missing'].includes(reasonOf(r)) && all.get('ip-operator.installed')?.status === 'fail',
    example: { details: { reason: 'address-missing' } },
    cause: (r) => `The IP operator has no provider address, so it cannot start: ${lowerFirst(r.message)}`,
    explains: ['ip-operator.installed', 'ip-operator.health', 'ip-operator.barrier', 'ip-operator.usage', 'provider.status-endpoint', 'provider.pod'],
  },
  {
    id: 'operator-missing',
    trigger: 'ip-operator.installed',
    cause: (r) => `The IP operator is not running: ${lowerFirst(r.message)}`,
    explains: ['ip-operator.health', 'ip-operator.barrier', 'ip-operator.usage', 'ip-operator.provider-address', 'provider.status-endpoint', 'provider.pod'],
  },
  {
    id: 'operator-stuck',
    trigger: 'ip-operator.barrier',
    cause: (r, all) => {
      const health = all.get('ip-operator.health');
      const extra = health && health.status === 'fail' ? ' and answers /health with 503' : '';
      return `The IP operator is stuck with its barrier locked${extra}: it never finished its start-up (a known cause is MetalLB or DNS not being ready when it started). The provider blocks on it, so /status hangs and the provider pod restarts.`;
    },
    explains: ['ip-operator.health', 'ip-operator.usage', 'provider.status-endpoint', 'provider.pod'],
  },
  {
    id: 'operator-unhealthy',
    trigger: 'ip-operator.health',
    cause: (r) => `The IP operator is not healthy: ${lowerFirst(r.message)}. The provider blocks on it, so /status hangs.`,
    explains: ['ip-operator.usage', 'provider.status-endpoint', 'provider.pod'],
  },
  {
    id: 'provider-missing',
    trigger: 'provider.pod',
    when: (r) => (r.details as { reason?: string } | undefined)?.reason === 'statefulset-missing',
    example: { details: { reason: 'statefulset-missing' } },
    cause: () => 'The Akash provider is not installed in akash-services (no StatefulSet akash-provider), so nothing serves leases at all.',
    firstStep: () => 'Install the provider with its Helm chart first (helm install akash-provider akash/provider -n akash-services -f provider.yaml), then enable IP leases.',
    explains: ['provider.helm-release', 'provider.helm-values', 'provider.ip-operator-flag', 'provider.ip-lease-attribute', 'provider.onchain-attribute', 'provider.status-endpoint', 'ip-operator.provider-address'],
  },
  {
    id: 'ip-leases-disabled',
    trigger: 'provider.ip-operator-flag',
    cause: (r) => `IP leases are not enabled in the provider: ${lowerFirst(r.message)}`,
    explains: ['provider.helm-values'],
  },
  {
    id: 'helm-values',
    trigger: 'provider.helm-values',
    cause: (r) => `The provider's Helm values do not enable IP leases: ${lowerFirst(r.message)}`,
    explains: [],
  },
  {
    id: 'address-mismatch',
    trigger: 'ip-operator.provider-address',
    cause: (r) => `The IP operator serves a different provider address: ${lowerFirst(r.message)}. Tenants of this provider see no IPs.`,
    explains: ['ip-operator.usage'],
  },
  {
    id: 'attribute',
    trigger: 'provider.ip-lease-attribute',
    cause: (r) => `The provider does not advertise IP leases: ${lowerFirst(r.message)}. Tenants filtering on the attribute never choose it.`,
    explains: ['provider.onchain-attribute'],
  },
  {
    id: 'strict-arp',
    trigger: 'kube-proxy.strict-arp',
    cause: (r) => `${r.message}.`,
    explains: [],
  },
  {
    id: 'no-advertisement',
    trigger: 'metallb.advertisement',
    cause: (r) => `MetalLB allocates IPs but never announces them: ${lowerFirst(r.message)}`,
    explains: [],
  },
  {
    id: 'excluded-nodes',
    trigger: 'metallb.excluded-nodes',
    cause: (r) => `No node may announce MetalLB IPs: ${lowerFirst(r.message)}`,
    explains: [],
  },
  {
    id: 'status-endpoint',
    trigger: 'provider.status-endpoint',
    cause: (r) => `The provider's status endpoint is not answering properly: ${lowerFirst(r.message)}`,
    explains: ['provider.pod'],
  },
];

function lowerFirst(s: string): string {
  return s && /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}

const BAD = new Set<CheckResult['status']>(['fail', 'error']);

function reasonOf(r: CheckResult): string {
  const reason = (r.details as { reason?: unknown } | undefined)?.reason;
  return typeof reason === 'string' && reason ? reason : 'unknown';
}

/** What a "could not check" reason most likely means locally, and the first step. */
const COULD_NOT_CHECK: Record<string, { why: string; firstStep: string }> = {
  timeout: {
    why: 'they did not finish within the per-check time budget: the API server, the service proxy or the network is slow, or the budget is too short for this cluster',
    firstStep: 'Run the doctor again with a longer budget, e.g. `--timeout 60s`; if they still time out, check the API server\'s load and the network path to it.',
  },
  unauthorized: {
    why: 'the API server rejected the credentials of this kubeconfig (401): the token or client certificate is invalid or expired',
    firstStep: 'Refresh the kubeconfig credentials (`kubectl --context <ctx> get ns` must work), then run the doctor again.',
  },
  forbidden: {
    why: 'these credentials may not make the reads they need (403); the cluster itself was not judged',
    firstStep: 'Run the doctor with credentials that can read the cluster (e.g. a cluster-admin kubeconfig); cluster.permissions lists the missing rights and the grant commands.',
  },
  unreachable: {
    why: 'a request did not reach the API server or the service proxy behind it (connection refused, reset or DNS failure): a proxy, VPN or firewall between this machine and the cluster, or an API server that went away during the run',
    firstStep: 'Check the network path to the API server (`kubectl --context <ctx> get --raw /version`, HTTPS_PROXY/NO_PROXY), then run the doctor again.',
  },
  tls: {
    why: 'the TLS handshake with the API server failed: the kubeconfig\'s certificate authority does not match the server (or a TLS-intercepting proxy is in the way)',
    firstStep: 'Compare the kubeconfig\'s certificate-authority-data with the cluster\'s CA, or bypass the intercepting proxy, then run the doctor again.',
  },
  throttled: {
    why: 'the API server kept answering 429 Too Many Requests even after retries',
    firstStep: 'Run the doctor again when the API server is less loaded, or with `--only` to make fewer reads.',
  },
  server: {
    why: 'the API server answered with server errors (5xx) even after retries',
    firstStep: 'Check the API server\'s health (`kubectl get --raw /readyz?verbose`), then run the doctor again.',
  },
  internal: {
    why: 'the doctor itself hit an unexpected error (a bug in akash-ip-doctor, not a finding about the cluster)',
    firstStep: 'Run again with `--only <check>` to reproduce it, and report the message with the check id.',
  },
};

function couldNotCheck(reason: string, checks: readonly CheckResult[]): Diagnosis {
  const ids = checks.map((r) => r.id);
  const known = COULD_NOT_CHECK[reason];
  const why = known?.why ?? (checks.length === 1 ? `${checks[0]!.message}` : `see each check's message (${checks.map((r) => `${r.id}: ${r.message}`).join('; ')})`);
  return {
    rule: `could-not-check:${reason}`,
    cause: `${ids.length} check(s) could not decide (${reason}), so nothing is known about what they look at: ${ids.join(', ')}. Likely local cause: ${why}.`,
    firstStep: known?.firstStep ?? (checks.length === 1 ? firstCommand(checks[0]!) : undefined) ?? `See \`akash-ip-doctor explain ${ids[0]}\`.`,
    explains: ids,
  };
}

export function diagnose(results: readonly CheckResult[], rules: readonly Rule[] = RULES): Diagnosis[] {
  const all: ResultMap = new Map(results.map((r) => [r.id, r]));
  const explained = new Set<string>();
  const out: Diagnosis[] = [];
  for (const rule of rules) {
    const r = all.get(rule.trigger);
    if (!r || explained.has(r.id)) continue;
    // only a failure is evidence of a cause; `error` means the check could not decide
    if (r.status !== 'fail') continue;
    if (rule.when && !rule.when(r, all)) continue;
    const symptoms = rule.explains.includes('*')
      ? results.filter((x) => x.id !== r.id && (BAD.has(x.status) || x.status === 'skip')).map((x) => x.id)
      : rule.explains.filter((id) => {
          const s = all.get(id)?.status;
          return s !== undefined && s !== 'pass' && s !== 'error' && !explained.has(id);
        });
    for (const id of [r.id, ...symptoms]) explained.add(id);
    out.push({
      rule: rule.id,
      cause: rule.cause(r, all),
      firstStep: (rule.firstStep ?? firstCommand)(r, all) ?? `See \`akash-ip-doctor explain ${r.id}\`.`,
      explains: [r.id, ...symptoms],
    });
    if (rule.explains.includes('*')) return out;
  }
  // a failure no rule explains is its own cause
  for (const r of results) {
    if (r.status !== 'fail' || explained.has(r.id)) continue;
    explained.add(r.id);
    out.push({ rule: `check:${r.id}`, cause: `${r.id}: ${r.message}`, firstStep: firstCommand(r) ?? `See \`akash-ip-doctor explain ${r.id}\`.`, explains: [r.id] });
  }
  // checks that could not decide: one entry per reason, never a cause about the cluster
  const byReason = new Map<string, CheckResult[]>();
  for (const r of results) {
    if (r.status !== 'error' || explained.has(r.id)) continue;
    const reason = reasonOf(r);
    byReason.set(reason, [...(byReason.get(reason) ?? []), r]);
  }
  for (const [reason, checks] of byReason) out.push(couldNotCheck(reason, checks));
  return out;
}
