/**
 * cluster.permissions and how a restricted kubeconfig degrades the other checks:
 * the checks that need a forbidden read report an error naming it (never pass),
 * the rest still run.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { withSim, expectCheck, result } from './helpers.js';
import { runDoctor } from '../src/core/engine.js';
import { loadScenario } from '../src/sim/index.js';
import { PERMISSIONS } from '../src/checks/lib/permissions.js';
import { PROVIDER_CHECKS } from './checks-provider-fixtures.js';

describe('cluster.permissions', () => {
  test('the scenario token doctor-viewer (no Secrets, pod logs, service proxy): warn listing degraded checks; those report forbidden', async () => {
    await withSim('p-restricted-token', async (sim) => {
      // a kubeconfig for the scenario's user: the token is the user name
      const kubeconfig = join(dirname(sim.kubeconfigPath), 'kubeconfig-viewer');
      await writeFile(kubeconfig, sim.kubeconfig.replace(/token: \S+/, 'token: doctor-viewer'), { mode: 0o600 });
      sim.clearRequests();
      const { report } = await runDoctor({ kubeconfig, providerUrl: sim.providerUrl, timeoutMs: 30_000, minBackoffMs: 10, only: PROVIDER_CHECKS });

      const perm = expectCheck(report, 'cluster.permissions', 'warn', /reads are forbidden/, /get pods\/log in akash-services/, /get services\/proxy in akash-services/, /list secrets in akash-services/, /get services\/proxy in metallb-system/);
      const degraded = perm.details?.degradedChecks as string[];
      for (const id of ['provider.helm-release', 'ip-operator.health', 'ip-operator.usage', 'ip-operator.barrier', 'metallb.metrics']) assert.ok(degraded.includes(id), `${id} not listed as degraded: ${degraded.join(', ')}`);
      assert.ok(!degraded.includes('provider.pod'), 'provider.pod needs nothing forbidden');
      assert.match(perm.remedy!.commands.join('\n'), /kubectl -n akash-services create role akash-ip-doctor-read --verb=get,list --resource=pods\/log,secrets,services\/proxy/);

      // degraded checks: error naming the permission (or skipped behind one), never pass
      expectCheck(report, 'provider.helm-release', 'error', /forbidden/, /list secrets in namespace akash-services/);
      expectCheck(report, 'ip-operator.health', 'error', /forbidden/, /services\/proxy/);
      for (const id of ['provider.helm-values', 'provider.ip-lease-attribute', 'ip-operator.usage']) {
        const r = result(report, id);
        assert.ok(r.status === 'error' || r.status === 'skip', `${id} is ${r.status}: ${r.message}`);
      }
      // the rest still run
      for (const id of ['provider.pod', 'ip-operator.crd', 'ip-operator.installed', 'ip-operator.provider-address']) expectCheck(report, id, 'pass');

      // one SelfSubjectAccessReview per permission, asked once each
      const ssars = sim.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/selfsubjectaccessreviews'));
      assert.equal(ssars.length, PERMISSIONS.length);
      assert.ok(ssars.every((r) => r.user === 'doctor-viewer'));
    });
  });

  test('doctor-viewer and the hostname operator: forbidden proxy read is an error (reason forbidden), diagnosed as could-not-check, never "not installed"', async () => {
    await withSim('p-restricted-token', async (sim) => {
      const kubeconfig = join(dirname(sim.kubeconfigPath), 'kubeconfig-viewer');
      await writeFile(kubeconfig, sim.kubeconfig.replace(/token: \S+/, 'token: doctor-viewer'), { mode: 0o600 });
      const { report } = await runDoctor({ kubeconfig, providerUrl: sim.providerUrl, timeoutMs: 30_000, minBackoffMs: 10, only: ['cluster.permissions', 'provider.hostname-operator'] });
      const perm = expectCheck(report, 'cluster.permissions', 'warn');
      assert.equal(perm.details?.reason, 'some-forbidden');
      assert.ok((perm.details?.degradedChecks as string[]).includes('provider.hostname-operator'));
      const h = expectCheck(report, 'provider.hostname-operator', 'error', /forbidden/, /services\/proxy/);
      assert.equal(h.details?.reason, 'forbidden');
      assert.deepEqual(report.diagnosis?.map((d) => d.rule), ['could-not-check:forbidden']);
    });
  });

  test('addUser with only pod and log reads: every other read listed missing, the pod checks still pass', async () => {
    const state = await loadScenario('healthy-helm');
    await withSim(state, async (sim) => {
      const kubeconfig = await sim.addUser('pods-only', [
        { verbs: ['get', 'list'], resources: ['pods', 'pods/log', 'statefulsets.apps', 'configmaps'], namespaces: ['akash-services'] },
        { verbs: ['create'], resources: ['selfsubjectaccessreviews.authorization.k8s.io'] },
      ]);
      const { report } = await runDoctor({ kubeconfig, providerUrl: sim.providerUrl, timeoutMs: 30_000, minBackoffMs: 10, only: ['cluster.permissions', 'provider.pod', 'ip-operator.installed'] });
      const perm = expectCheck(report, 'cluster.permissions', 'warn', /list nodes/, /get deployments\.apps in akash-services/);
      const missing = perm.details?.missing as { permission: string }[];
      assert.ok(!missing.some((m) => m.permission === 'list pods in akash-services'));
      assert.ok(!missing.some((m) => m.permission === 'get pods/log in akash-services'));
      expectCheck(report, 'provider.pod', 'pass');
      expectCheck(report, 'ip-operator.installed', 'error', /forbidden/, /deployments\.apps/);
    });
  });

  test('an admin kubeconfig: pass', async () => {
    await withSim('healthy-helm', async (sim) => {
      const { report } = await runDoctor({ kubeconfig: sim.kubeconfigPath, only: ['cluster.permissions'], timeoutMs: 30_000 });
      const r = expectCheck(report, 'cluster.permissions', 'pass', new RegExp(`all ${PERMISSIONS.length} reads`));
      assert.equal(r.details?.reason, 'all-allowed');
    });
  });
});
