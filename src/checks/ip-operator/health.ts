import type { Check, Finding } from '../../core/types.js';
import { error, fail, pass } from '../../core/types.js';
import { statusMessage } from '../../cluster/errors.js';
import { AKASH_NS, restartOperatorCommand } from '../lib/akash.js';
import { operatorTarget, preferred, type LayoutState } from '../lib/ip-operator.js';

/** True when the body is a Kubernetes Status object (the API server's own answer, not the operator's). */
export function isKubeStatus(body: string): boolean {
  return /"kind"\s*:\s*"Status"/.test(body);
}

/** First line of a body, short, for messages. */
export function snippet(body: string, max = 100): string {
  const line = body.trim().split('\n')[0] ?? '';
  return line.length > max ? line.slice(0, max) + '…' : line;
}

export function restartRemedy(s: LayoutState) {
  return {
    summary: `restart the IP operator pods (${s.layout.selector})`,
    commands: [restartOperatorCommand(s.layout)],
    fixId: 'ip-operator.restart',
    params: { namespace: AKASH_NS, selector: s.layout.selector },
  };
}

/**
 * Probe one layout's GET /<path> through the service proxy. Returns a Finding for
 * every outcome that is not a usable 200 answer, else the body.
 */
export async function probeOperator(ctx: Parameters<Check['run']>[0], s: LayoutState, path: string, opts: { accept204?: boolean } = {}): Promise<{ finding: Finding } | { body: string; contentType: string; status: number }> {
  const l = s.layout;
  const svcName = `Service ${AKASH_NS}/${l.name}`;
  const svc = await ctx.cluster.getService(AKASH_NS, l.name);
  if (!svc) {
    return {
      finding: fail(`${svcName} not found: /${path} cannot be reached and the provider cannot find the IP operator`, {
        details: { reason: 'service-missing', service: l.name, layout: l.layout },
        hint: `reinstall the IP operator chart so it recreates its Service (helm -n ${AKASH_NS} list shows the release), or check: kubectl -n ${AKASH_NS} get svc`,
      }),
    };
  }
  const ports = svc.spec?.ports ?? [];
  if (!ports.some((p) => p.name === l.portName)) {
    return {
      finding: fail(`${svcName} has no port named ${l.portName} (ports: ${ports.map((p) => `${p.name ?? '(unnamed)'}:${p.port}`).join(', ') || 'none'}): the provider reaches the IP operator by that port name`, {
        details: { reason: 'port-missing', service: l.name, expectedPort: `${l.portName}/${l.port}`, ports: ports.map((p) => ({ name: p.name ?? null, port: p.port })) },
        hint: `reinstall the IP operator chart, or fix the port: kubectl -n ${AKASH_NS} edit svc ${l.name}`,
      }),
    };
  }
  const res = await ctx.cluster.proxyGet(AKASH_NS, l.name, l.portName, path);
  const where = `${svcName}:${l.portName}/${path}`;
  const details = { service: l.name, port: l.portName, path: `/${path}`, status: res.status, layout: l.layout };
  if (res.status === 200 || (opts.accept204 && res.status === 204)) return { body: res.body, contentType: res.contentType, status: res.status };

  const kube = isKubeStatus(res.body);
  const apiMsg = kube ? (statusMessage(res.body) ?? '') : '';
  if (res.status === 503 && kube && /no endpoints available/i.test(apiMsg)) {
    return {
      finding: fail(`${svcName} has no ready endpoints: no running IP operator pod matches its selector, so /${path} cannot be reached`, {
        details: { reason: 'no-endpoints', ...details, apiMessage: apiMsg },
        hint: `see the pods: kubectl -n ${AKASH_NS} get pods -l ${l.selector} && kubectl -n ${AKASH_NS} get endpoints ${l.name}`,
      }),
    };
  }
  if (res.status === 503 && !kube) {
    return {
      finding: fail(`IP operator answers 503${res.body.trim() ? '' : ' with an empty body'} on ${where}: its barrier is locked (start-up not finished: MetalLB metrics, lease list or CRD unreadable), so it serves no request and the provider waits for it`, {
        details: { reason: 'barrier-locked', ...details, body: snippet(res.body) },
        hint: `restart the IP operator pods, then re-check (restart the provider too if /status still hangs: kubectl -n ${AKASH_NS} rollout restart statefulset akash-provider): ${restartOperatorCommand(l)}`,
        remedy: restartRemedy(s),
      }),
    };
  }
  if (res.status === 404 && kube) {
    return {
      finding: fail(`the API server answers 404 for ${where}: ${snippet(apiMsg || 'not found')}`, {
        details: { reason: 'api-not-found', ...details, apiMessage: apiMsg },
        hint: `check the Service: kubectl -n ${AKASH_NS} get svc ${l.name} -o yaml`,
      }),
    };
  }
  if (res.status === 404) {
    return {
      finding: fail(`${where} answers 404 (${snippet(res.body) || 'empty body'}): port ${l.portName} does not reach the IP operator's REST API (wrong targetPort, or another program answers)`, {
        details: { reason: 'wrong-target', ...details, body: snippet(res.body) },
        hint: `the operator listens on ${l.port}: kubectl -n ${AKASH_NS} get svc ${l.name} -o jsonpath='{.spec.ports}'`,
      }),
    };
  }
  if (res.status >= 500) {
    return {
      finding: fail(`the API server could not reach the IP operator through ${where} (HTTP ${res.status}: ${snippet(apiMsg || res.body) || 'no details'}): the pod is not listening on port ${l.port}`, {
        details: { reason: 'unreachable', ...details, apiMessage: apiMsg || snippet(res.body) },
        hint: `see the pod: kubectl -n ${AKASH_NS} logs -l ${l.selector} --tail=50; restart it with ${restartOperatorCommand(l)}`,
        remedy: restartRemedy(s),
      }),
    };
  }
  return { finding: error(`${where} answered HTTP ${res.status} (${snippet(apiMsg || res.body) || 'empty body'}), which the doctor cannot interpret`, { details: { reason: 'unexpected-status', ...details } }) };
}

export const check: Check = {
  id: 'ip-operator.health',
  title: 'The IP operator answers /health',
  category: 'ip-operator',
  dependsOn: ['ip-operator.installed'],
  dependantsStartEarly: true,
  doc: {
    what: "Calls GET /health of the IP operator the provider uses (see ip-operator.installed) through the API server's service proxy (`/api/v1/namespaces/akash-services/services/operator-ip:rest/proxy/health`, or `akash-ip-operator:api` for a provider ≤ 0.4.x): the same call the provider waits for before it bids. The operator answers 200 `OK`, and 503 with an empty body while its barrier is locked (akash-network/provider:operator/ip/operator.go:486-495 barrier middleware on every route, operator/common/*); the provider finds the Service by its port name (cluster/util/service_discovery_agent.go).",
    why: 'The operator answers 503 while its barrier is locked. A barrier that stays locked (often because MetalLB or DNS was not ready when it started) blocks the provider: /status hangs, no bids go out, and the provider pod restarts from its liveness probe. The operator has no probes, so its pod keeps looking Running.',
    fix: 'Restart the operator pods (`kubectl -n akash-services delete pod -l app.kubernetes.io/name=ip`, or `-l app=akash-ip-operator` for the old chart), wait a minute and re-check; restart the provider (`kubectl -n akash-services rollout restart statefulset akash-provider`) if /status still hangs. When it keeps locking, fix the MetalLB checks first.',
  },
  async run(ctx) {
    const t = await operatorTarget(ctx.cluster);
    if (!t.used) return fail(`no IP operator of the layout the provider uses in ${AKASH_NS} to ask (see ip-operator.installed)`, { details: { reason: 'not-installed' } });
    // provider version known: only the layout it uses matters; unknown: every layout present
    const states = t.needed ? [t.used] : preferred(t.states);
    const results: { s: LayoutState; finding: Finding | null; body?: string }[] = [];
    for (const s of states) {
      const r = await probeOperator(ctx, s, 'health');
      results.push('finding' in r ? { s, finding: r.finding } : { s, finding: null, body: r.body });
    }
    const bad = results.find((r) => r.finding);
    if (bad) {
      if (results.length > 1) bad.finding!.message = `${bad.s.layout.name}: ${bad.finding!.message}`;
      return bad.finding!;
    }
    const names = results.map((r) => `${AKASH_NS}/${r.s.layout.name}:${r.s.layout.portName}`).join(' and ');
    const bodies = results.map((r) => snippet(r.body ?? '', 40));
    return pass(`IP operator ${names} answers /health with 200 ${bodies.map((b) => JSON.stringify(b)).join(', ')}`, {
      details: { reason: 'healthy', services: results.map((r) => ({ service: r.s.layout.name, port: r.s.layout.portName, body: snippet(r.body ?? '', 40) })) },
    });
  },
};
