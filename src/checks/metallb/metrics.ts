import { fail, pass, skip, type Check, type Finding } from '../../core/types.js';
import { METALLB_NS } from '../lib/akash.js';
import { METRICS_PROXY_PATH, METRIC_TOTAL, findController, listNames, operatorPool, poolUsageFromMetrics, poolsInMetrics, readControllerMetrics } from '../lib/metallb.js';
import { exposeCommand, exposeRemedy } from './controller-service.js';

const SVC = `${METALLB_NS}/controller`;

export const check: Check = {
  id: 'metallb.metrics',
  title: 'MetalLB controller metrics are readable and count pool default',
  category: 'metallb',
  dependsOn: ['cluster.api', 'metallb.namespace'],
  doc: {
    what: 'Reads the MetalLB controller metrics through the API server service proxy (/api/v1/namespaces/metallb-system/services/controller:monitoring/proxy/metrics), exactly what the IP operator reads out of cluster (port looked up by the name monitoring, plain HTTP, path /metrics: akash-network/provider:cluster/kube/operators/clients/metallb/client.go:113), and looks for the series metallb_allocator_addresses_total{pool="default"} and metallb_allocator_addresses_in_use_total (client.go:173-174). details.reason: pool-counted, operator-pool-unknown, service-missing, path-not-found, no-monitoring-port, no-endpoints, unreachable, http-error, not-prometheus, no-pool-series, pool-not-in-metrics.',
    why: 'The IP operator counts free lease IPs only from these metrics. If the Service is missing, has no endpoints, answers an error, or has no series for pool default, the operator sees 0 IPs (silently, when the pool is named differently) or its barrier stays locked, and the provider stops bidding on IP leases.',
    fix: 'A missing Service: `kubectl -n metallb-system expose deployment metallb-controller --name=controller --overrides=\'{"spec":{"ports":[{"protocol":"TCP","name":"monitoring","port":7472}]}}\'` (`deployment controller` for manifest/Kubespray installs). No endpoints: make the controller pod ready (see metallb.installed). No series for pool default: create an IPAddressPool named default (see metallb.default-pool). MetalLB 0.16+ serves no plain-HTTP metrics: use 0.14.9 (see metallb.version).',
  },
  async run(ctx) {
    const [res, pool] = await Promise.all([readControllerMetrics(ctx.cluster), operatorPool(ctx.cluster)]);
    const details: Record<string, unknown> = { path: METRICS_PROXY_PATH, status: res.status, pool: pool.name, ...(pool.source !== 'default' ? { poolSource: pool.source } : {}) };
    const msg = res.errorMessage ?? '';
    if (!res.metrics) {
      details.error = msg || null;
      return unreachable(ctx, res.status, msg, details);
    }
    if (pool.unknown) return skip(`controller metrics readable through ${SVC}:monitoring, but the pool the IP operator reads is unknown: ${pool.unknown}`, { details: { ...details, reason: 'operator-pool-unknown', poolSource: pool.unknown } });
    const m = res.metrics;
    const usage = poolUsageFromMetrics(m, pool.name);
    const pools = poolsInMetrics(m);
    details.poolsInMetrics = pools;
    details.samples = m.samples.length;
    if (m.errors.length) details.malformedLines = m.errors.length;
    if (usage.total === undefined) {
      if (m.samples.length === 0) {
        details.reason = 'not-prometheus';
        return fail(`${SVC}:monitoring answered HTTP ${res.status} but not in the Prometheus text format (no samples${m.errors.length ? `, ${m.errors.length} malformed lines` : ''}): the IP operator cannot read it`, {
          details,
          hint: `Check what answers on the monitoring port: kubectl get --raw ${METRICS_PROXY_PATH} | head`,
        });
      }
      if (pools.length === 0) {
        details.reason = 'no-pool-series';
        return fail(`metrics have no ${METRIC_TOTAL} series at all: MetalLB has no IPAddressPool, and the IP operator sees 0 IPs`, {
          details,
          hint: `Create IPAddressPool ${pool.name} in ${METALLB_NS} with your public addresses (see metallb.default-pool)`,
        });
      }
      details.reason = 'pool-not-in-metrics';
      return fail(`metrics have no ${METRIC_TOTAL}{pool="${pool.name}"} series (pools in the metrics: ${listNames(pools, 5)}): the IP operator reads pool ${pool.name} and sees 0 IPs`, {
        details,
        hint: `Name the lease pool "${pool.name}" (see metallb.default-pool): kubectl -n ${METALLB_NS} get ipaddresspools.metallb.io`,
      });
    }
    details.reason = 'pool-counted';
    details.total = usage.total;
    details.inUse = usage.inUse ?? null;
    return pass(`controller metrics readable through ${SVC}:monitoring; pool ${pool.name}: ${usage.total} addresses, ${usage.inUse === undefined ? 'in-use count missing' : `${usage.inUse} in use`}`, { details });
  },
};

async function unreachable(ctx: Parameters<Check['run']>[0], status: number, msg: string, details: Record<string, unknown>): Promise<Finding> {
  const ctrl = await findController(ctx.cluster);
  const deployment = ctrl?.name;
  const noController = `no MetalLB controller Deployment was found in ${METALLB_NS}: install MetalLB first (see metallb.installed)`;
  if (status === 404 && /\bservices?\b.*not found/i.test(msg)) {
    details.problem = 'service-missing';
    details.reason = 'service-missing';
    return fail(`Service ${SVC} does not exist: the IP operator cannot find MetalLB's metrics (HTTP 404)`, {
      details,
      hint: deployment ? `Create it from Deployment ${deployment}: ${exposeCommand(deployment)}` : noController,
      ...(deployment ? { remedy: exposeRemedy(deployment, false) } : {}),
    });
  }
  if (status === 404) {
    details.problem = 'path-not-found';
    details.reason = 'path-not-found';
    return fail(`${SVC}:monitoring answered 404 for /metrics: whatever listens there is not the MetalLB metrics endpoint`, {
      details,
      hint: `Check the Service's port "monitoring" forwards to the controller's port 7472 (see metallb.controller-service): kubectl -n ${METALLB_NS} get svc controller -o yaml`,
    });
  }
  if (status === 503 && /no service port|no endpoints available/i.test(msg)) {
    // the API server says the same for "no such port" and "no ready endpoint": the Service tells which
    const svc = await ctx.cluster.getService(METALLB_NS, 'controller');
    const ports = svc?.spec?.ports ?? [];
    if (!ports.some((p) => p.name === 'monitoring')) {
      details.problem = 'no-monitoring-port';
      details.reason = 'no-monitoring-port';
      const have = ports.map((p) => `${p.name ? `"${p.name}" ` : ''}${p.port}`).join(', ') || 'none';
      return fail(`Service ${SVC} has no port named "monitoring" (ports: ${have}), so the proxy answers HTTP 503`, {
        details,
        hint: deployment ? `Recreate the Service with TCP port "monitoring" 7472: kubectl -n ${METALLB_NS} delete service controller && ${exposeCommand(deployment)}` : noController,
        ...(deployment ? { remedy: exposeRemedy(deployment, true) } : {}),
      });
    }
    details.problem = 'no-endpoints';
    details.reason = 'no-endpoints';
    return fail(`Service ${SVC} has no ready endpoint for port "monitoring" (HTTP 503): no ready controller pod matches its selector`, {
      details,
      hint: `Make the controller ready (see metallb.installed) and check the Service selector matches it: kubectl -n ${METALLB_NS} get endpoints controller && kubectl -n ${METALLB_NS} get pods --show-labels`,
    });
  }
  if (status === 503 || status === 502) {
    details.problem = 'unreachable';
    details.reason = 'unreachable';
    return fail(`the API server could not reach the controller through ${SVC}:monitoring (HTTP ${status}${msg ? `: ${msg}` : ''})`, {
      details,
      hint: `MetalLB 0.16+ serves no plain-HTTP metrics on 7472 (see metallb.version); otherwise check the controller pod listens on 7472: kubectl -n ${METALLB_NS} logs deployment/${deployment ?? '<controller>'}`,
    });
  }
  details.problem = 'http-error';
    details.reason = 'http-error';
  return fail(`reading metrics through ${SVC}:monitoring failed with HTTP ${status}${msg ? `: ${msg}` : ''}`, {
    details,
    hint: `Reproduce what the IP operator reads: kubectl get --raw ${METRICS_PROXY_PATH}`,
  });
}
