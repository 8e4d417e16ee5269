/**
 * A full run against the simulator: each distinct GET at most once, no list of
 * all pods; a 403 on one read makes that check `error` naming the permission and
 * the rest still run; transient API errors are retried.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, withSim, result } from './helpers.js';
import { runDoctor } from '../src/core/engine.js';

describe('economy', () => {
  test('a full check makes each distinct GET at most once and never lists all pods', async () => {
    const { report, sim } = await runScenario('healthy-helm');
    assert.equal(report.summary.healthy, true, JSON.stringify(report.checks.filter((c) => c.status !== 'pass').map((c) => [c.id, c.message])));
    const gets = sim.requests.filter((r) => r.method === 'GET');
    const seen = new Map<string, number>();
    for (const r of gets) seen.set(`${r.path}?${r.query}`, (seen.get(`${r.path}?${r.query}`) ?? 0) + 1);
    const dup = [...seen].filter(([, n]) => n > 1);
    assert.deepEqual(dup, [], 'repeated GETs');
    assert.ok(!gets.some((r) => r.path === '/api/v1/pods'), 'listed all pods of the cluster');
    assert.ok(gets.length > 10, `suspiciously few requests: ${gets.length}`);
  });
});

describe('permissions and transient errors', () => {
  test('403 on pod logs: that check errors naming the permission, the rest still run', async () => {
    await withSim('healthy-helm', async (sim) => {
      // a user allowed to read everything but pods/log
      const restricted = await sim.addUser('restricted', [
        { verbs: ['get', 'list', 'watch'], resources: ['namespaces', 'configmaps', 'secrets', 'services', 'services/proxy', 'pods', 'events', 'nodes', 'deployments', 'statefulsets', 'daemonsets', 'replicasets', 'customresourcedefinitions', 'ipaddresspools', 'l2advertisements', 'bgpadvertisements', 'providerleasedips'] },
        { verbs: ['create'], resources: ['selfsubjectaccessreviews'] },
      ]);
      const { report } = await runDoctor({ kubeconfig: restricted, providerUrl: sim.providerUrl, timeoutMs: 30_000 });
      const barrier = result(report, 'ip-operator.barrier');
      assert.equal(barrier.status, 'error', barrier.message);
      assert.match(barrier.message, /forbidden/);
      assert.match(barrier.message, /pods\/log/);
      assert.equal(result(report, 'kube-proxy.strict-arp').status, 'pass');
      assert.equal(result(report, 'metallb.controller-service').status, 'pass');
    });
  });

  test('429 with Retry-After and 500s are retried; the run still passes', async () => {
    await withSim('healthy-helm', async (sim) => {
      sim.faults.burst429 = { remaining: 2, retryAfterSeconds: 0 };
      const { report } = await runDoctor({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, only: ['kube-proxy', 'metallb.namespace'], minBackoffMs: 5 });
      assert.equal(result(report, 'kube-proxy.strict-arp').status, 'pass');
      assert.equal(result(report, 'metallb.namespace').status, 'pass');
      assert.ok(sim.requests.filter((r) => r.status === 429).length === 2);
    });
  });

  test('a 404 is not retried', async () => {
    await withSim('healthy-helm', async (sim) => {
      const { report } = await runDoctor({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, only: ['metallb.namespace'], minBackoffMs: 5 });
      assert.equal(result(report, 'metallb.namespace').status, 'pass');
      const probes = sim.requests.filter((r) => r.status === 404);
      const distinct = new Set(probes.map((r) => r.path));
      assert.equal(probes.length, distinct.size, 'a 404 was asked twice');
    });
  });
});
