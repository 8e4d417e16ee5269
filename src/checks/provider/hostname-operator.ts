import type { Check, Finding } from '../../core/types.js';
import { fail, pass } from '../../core/types.js';
import { statusMessage } from '../../cluster/errors.js';
import { AKASH_NS } from '../lib/akash.js';
import { providerWaitState, RESTART_PROVIDER_POD, WAITABLE_OPERATOR, type ProviderWaitState } from '../lib/provider-log.js';

/** Names from charts/akash-hostname-operator/templates/{deployment,service}.yaml (helm-charts main). */
export const HOSTNAME_OPERATOR = {
  name: 'operator-hostname',
  portName: 'rest',
  port: 8080,
  selector: 'app.kubernetes.io/name=hostname',
} as const;

const RESTART = WAITABLE_OPERATOR.hostname.restart;
const INSTALL = `helm repo add akash https://akash-network.github.io/helm-charts && helm upgrade --install akash-hostname-operator akash/akash-hostname-operator -n ${AKASH_NS}`;

function snippet(body: string, max = 100): string {
  const line = body.trim().split('\n')[0] ?? '';
  return line.length > max ? line.slice(0, max) + '…' : line;
}

/** What the provider's log adds: is it blocked on this operator right now? */
function waitNote(st: ProviderWaitState | null): { text: string; details: Record<string, unknown> } {
  if (!st) return { text: '', details: { providerLog: null } };
  const details = { providerWaitingFor: st.waitingFor, providerWaitersReady: st.allReady, providerLastWaitError: st.lastError };
  if (st.discoveryFailed?.service === HOSTNAME_OPERATOR.name) {
    return {
      text: `; the provider's own discovery of Service ${HOSTNAME_OPERATOR.name} failed at start (${st.discoveryFailed.error}) and is never retried: restart the provider pod after fixing the operator (${RESTART_PROVIDER_POD})`,
      details: { ...details, providerDiscoveryFailed: st.discoveryFailed },
    };
  }
  if (st.waitingFor === 'hostname') return { text: `; the provider is blocked waiting for it (its log: not yet ready … ${st.lastError ?? ''}), so its /status hangs`, details };
  return { text: '', details };
}

export const check: Check = {
  id: 'provider.hostname-operator',
  title: 'The hostname operator answers /health (the provider waits for it at start)',
  category: 'provider',
  dependsOn: ['cluster.api'],
  doc: {
    what:
      "Finds the hostname operator the way the provider does: Service akash-services/operator-hostname with the TCP port named `rest` (akash-network/provider cluster/kube/operators/clients/hostname/client.go:37; chart akash-network/helm-charts charts/akash-hostname-operator/templates/service.yaml: port rest 8080, selector app.kubernetes.io/name=hostname, instance hostname-service, component operator, part-of provider), then calls its GET /health through the API server's service proxy (`/api/v1/namespaces/akash-services/services/operator-hostname:rest/proxy/health`; operator/common/operator_server.go:38 answers 200 `OK`). When it is not healthy, it reads the provider's log for the waiter's `not yet ready … waitable=<*hostname.client …>` lines (operator/waiter/waiter.go:63) to say whether the provider is blocked on it.",
    why:
      'The provider waits at start for every waitable before bidding and serving /status: the hostname operator ALWAYS, then the IP operator when IP leases are on (cmd/provider-services/cmd/run.go:737-745), in that order, retrying every 2 s (operator/waiter/waiter.go). A missing or dead hostname operator therefore makes /status hang exactly like a stuck IP operator, and the provider never even asks the IP operator. If the provider\'s one-shot discovery of Service operator-hostname failed (`dns discovery failed`, cluster/util/service_discovery_agent.go:231), it never retries.',
    fix:
      'Install or repair the hostname operator chart (`helm upgrade --install akash-hostname-operator akash/akash-hostname-operator -n akash-services`), or restart its pod (`kubectl -n akash-services delete pod -l app.kubernetes.io/name=hostname`). If the provider logged `dns discovery failed … service-name=operator-hostname`, restart the provider pod afterwards (`kubectl -n akash-services delete pod akash-provider-0`): it never looks the Service up again.',
  },
  async run(ctx) {
    const H = HOSTNAME_OPERATOR;
    const svcName = `Service ${AKASH_NS}/${H.name}`;
    // every outcome below reads the provider's log: start it with the first reads
    const waitState = providerWaitState(ctx.cluster, ctx.signal).catch(() => null);
    const waitInfo = async () => waitNote(await waitState);
    const withWait = async (f: (note: { text: string; details: Record<string, unknown> }) => Finding): Promise<Finding> => f(await waitInfo());

    const [svc, deployment, pods] = await Promise.all([
      ctx.cluster.getService(AKASH_NS, H.name),
      ctx.cluster.getDeployment(AKASH_NS, H.name),
      ctx.cluster.listPods(AKASH_NS, { labelSelector: H.selector }),
    ]);
    const base = { service: H.name, port: H.portName, deployment: deployment ? H.name : null, pods: pods.map((p) => p.metadata?.name ?? '') };
    if (!svc) {
      const installed = deployment || pods.length > 0;
      return withWait((n) =>
        fail(`${svcName} not found${installed ? ' (its Deployment/pods exist)' : ': the hostname operator is not installed'}: the provider finds the hostname operator only by this Service and waits for it at start, so its /status hangs${n.text}`, {
          details: { reason: installed ? 'service-missing' : 'not-installed', ...base, ...n.details },
          hint: `install the hostname operator chart: ${INSTALL}`,
          remedy: { summary: 'install the hostname operator chart', commands: [INSTALL] },
        }),
      );
    }
    const ports = svc.spec?.ports ?? [];
    if (!ports.some((p) => p.name === H.portName && (p.protocol ?? 'TCP') === 'TCP')) {
      return withWait((n) =>
        fail(`${svcName} has no TCP port named ${H.portName} (ports: ${ports.map((p) => `${p.name ?? '(unnamed)'}:${p.port}`).join(', ') || 'none'}): the provider looks the hostname operator up by that port name${n.text}`, {
          details: { reason: 'port-missing', ...base, ports: ports.map((p) => ({ name: p.name ?? null, port: p.port })), ...n.details },
          hint: `re-apply the chart so the Service has port rest 8080: ${INSTALL}`,
          remedy: { summary: 're-apply the hostname operator chart', commands: [INSTALL] },
        }),
      );
    }
    const res = await ctx.cluster.proxyGet(AKASH_NS, H.name, H.portName, 'health');
    const where = `${svcName}:${H.portName}/health`;
    const details = { ...base, httpStatus: res.status };
    if (res.status === 200) {
      const st = await waitState;
      if (st?.discoveryFailed?.service === H.name) {
        return fail(`the hostname operator answers /health 200, but the provider's one-shot discovery of ${svcName} failed at start (${st.discoveryFailed.error}) and is never retried: the provider stays blocked until it is restarted`, {
          details: { reason: 'provider-discovery-stuck', ...details, providerDiscoveryFailed: st.discoveryFailed },
          hint: `restart the provider pod: ${RESTART_PROVIDER_POD}`,
          remedy: { summary: 'restart the provider pod so it discovers the hostname operator again', commands: [RESTART_PROVIDER_POD], fixId: 'provider.restart-pod', params: { namespace: AKASH_NS, pod: 'akash-provider-0' } },
        });
      }
      return pass(`the hostname operator answers GET ${where} with 200${st?.allReady ? '; the provider logged "all waitables ready"' : ''}`, {
        details: { reason: 'healthy', ...details, providerWaitersReady: st?.allReady ?? null },
      });
    }
    const kube = /"kind"\s*:\s*"Status"/.test(res.body);
    const apiMsg = kube ? (statusMessage(res.body) ?? '') : '';
    const remedy = { summary: 'restart the hostname operator pod', commands: [RESTART], fixId: 'hostname-operator.restart', params: { namespace: AKASH_NS, selector: H.selector } };
    if (res.status === 503 && kube && /no endpoints available/i.test(apiMsg)) {
      const crash = pods.flatMap((p) => p.status?.containerStatuses ?? []).find((c) => c.state?.waiting?.reason)?.state?.waiting?.reason;
      return withWait((n) =>
        fail(`${svcName} has no ready endpoints: ${pods.length === 0 ? 'no hostname operator pod exists' : `no hostname operator pod is ready${crash ? ` (${crash})` : ''}`}, so /health cannot be reached${n.text}`, {
          details: { reason: 'no-endpoints', ...details, apiMessage: apiMsg, ...n.details },
          hint: pods.length === 0 ? `see why no pod exists: kubectl -n ${AKASH_NS} describe deployment ${H.name}` : `see why it is not ready: kubectl -n ${AKASH_NS} logs -l ${H.selector} --tail=50; then restart it: ${RESTART}`,
          ...(pods.length === 0 ? {} : { remedy }),
        }),
      );
    }
    if (res.status === 404 && kube) {
      return withWait((n) =>
        fail(`the API server answers 404 for ${where}: ${snippet(apiMsg || 'not found')}${n.text}`, {
          details: { reason: 'proxy-not-found', ...details, apiMessage: apiMsg, ...n.details },
          hint: `check the Service: kubectl -n ${AKASH_NS} get svc ${H.name} -o yaml`,
        }),
      );
    }
    if (!kube || res.status < 500) {
      // the operator itself answered something other than 200: upstream "hostname operator is not yet alive"
      return withWait((n) =>
        fail(`the hostname operator answers HTTP ${res.status} on ${where} (${snippet(res.body) || 'empty body'}), not 200: the provider treats it as "hostname operator is not yet alive"${n.text}`, {
          details: { reason: 'unhealthy', ...details, body: snippet(res.body), ...n.details },
          hint: `see its log: kubectl -n ${AKASH_NS} logs -l ${H.selector} --tail=50; then restart it: ${RESTART}`,
          remedy,
        }),
      );
    }
    return withWait((n) =>
      fail(`the API server could not reach the hostname operator through ${where} (HTTP ${res.status}: ${snippet(apiMsg || res.body) || 'no details'}): the pod does not listen on port ${H.port}${n.text}`, {
        details: { reason: 'unreachable', ...details, apiMessage: apiMsg || snippet(res.body), ...n.details },
        hint: `see its log: kubectl -n ${AKASH_NS} logs -l ${H.selector} --tail=50; then restart it: ${RESTART}`,
        remedy,
      }),
    );
  },
};
