// test-runner: group scenario-runs (reads the shared runs of every scenario: test/scenario-runs.ts)
/**
 * RBAC against reality. Full runs of every scenario against the simulated cluster (the shared
 * runs of test/scenario-runs.ts) record every (verb, group, resource, subresource, namespace)
 * the doctor asks the API server for; the read-only roles in deploy/rbac/ must grant all of
 * them and nothing more (no unused grant, no Role grant a ClusterRole already gives). Then the
 * manifests' rules, translated into a simulator token for the service account, run the
 * doctor: no request is forbidden and cluster.permissions passes.
 *
 * deploy/rbac/ is the single place to update when the doctor reads something new; this
 * test names the missing or unused grant.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadScenario, startSim } from '../src/sim/index.js';
import { accessOf, covers, grantsOf, key, manifests, RBAC_DIR, SA_USER, same, type Access } from './rbac-manifests.js';
import { runDoctor } from '../src/core/engine.js';
import { PERMISSIONS } from '../src/checks/lib/permissions.js';
import { assertValidReportObject } from './report-schema.js';
import { testBudgets } from './helpers.js';
import { scenarioNames, sharedRun } from './scenario-runs.js';

describe('RBAC: deploy/rbac grants exactly the reads the doctor makes', () => {
  /** access key -> the access and the scenarios that made it */
  const seen = new Map<string, { access: Access; scenarios: Set<string> }>();
  const statuses = new Map<string, [string, string][]>();

  describe('full runs of every scenario, as admin', { concurrency: true }, async () => {
    const names = await scenarioNames();
    assert.ok(names.length > 10, names.join(', '));
    for (const name of names) {
      test(name, async () => {
        const { report, sim } = await sharedRun(name);
        statuses.set(name, report.checks.map((c) => [c.id, c.status]));
        for (const r of sim.requests) {
          if (r.user !== 'admin') continue;
          const a = accessOf(r);
          if (!a) continue;
          let e = seen.get(key(a));
          if (!e) seen.set(key(a), (e = { access: a, scenarios: new Set() }));
          e.scenarios.add(name);
        }
      });
    }
  });

  test('every recorded read is granted, and every grant is used', async () => {
    assert.ok(seen.size > 10, `recorded ${seen.size} distinct reads`);
    const { grants } = grantsOf(await manifests(RBAC_DIR));
    const needed = [...seen.values()];
    const missing = needed.filter((n) => !grants.some((g) => covers(g, n.access)));
    assert.deepEqual(
      missing.map((m) => `${key(m.access)} (e.g. scenario ${[...m.scenarios][0]})`),
      [],
      `the doctor makes reads deploy/rbac does not grant: add them to deploy/rbac (cluster-scoped and other-namespace reads to clusterrole-read.yaml, the rest to roles-read.yaml)`,
    );
    // a cluster-wide grant is used only by a cluster-scoped read or a read in a namespace not known in advance;
    // a namespaced grant by a read in that namespace that no cluster-wide grant already allows
    const clusterGrants = grants.filter((g) => g.namespace === '*');
    const unused = grants.filter((g) =>
      g.namespace === '*'
        ? !needed.some((n) => same(n.access, g) && (n.access.namespace === '' || n.access.namespace === '*'))
        : clusterGrants.some((c) => same(c, g)) || !needed.some((n) => same(n.access, g) && n.access.namespace === g.namespace),
    );
    assert.deepEqual(
      unused.map((g) => `${key(g)} from ${g.from}`),
      [],
      'deploy/rbac grants more than the doctor reads: remove these',
    );
    const report = [...seen.values()].map((e) => `  ${key(e.access)}  [${e.scenarios.size} scenarios]`).sort();
    process.stdout.write(`# ${seen.size} distinct reads over ${statuses.size} scenarios:\n${report.map((l) => `# ${l}`).join('\n')}\n`);
  });

  test("cluster.permissions' list is granted too (so it can pass as the service account)", async () => {
    const { grants } = grantsOf(await manifests(RBAC_DIR));
    const notGranted = PERMISSIONS.filter((p) => {
      const a: Access = { verb: p.verb, group: p.group, resource: p.resource, subresource: p.subresource ?? '', namespace: p.namespace ?? '' };
      return !grants.some((g) => covers(g, a));
    });
    assert.deepEqual(notGranted.map((p) => `${p.verb} ${p.resource}${p.subresource ? '/' + p.subresource : ''} ${p.namespace ?? '(cluster)'}`), []);
    // reads the doctor makes that cluster.permissions does not ask about (it cannot warn about them)
    // (a cluster-wide question covers reads in every namespace)
    const asked: Access[] = PERMISSIONS.map((p) => ({ verb: p.verb, group: p.group, resource: p.resource, subresource: p.subresource ?? '', namespace: p.namespace ?? '*' }));
    const unasked = [...seen.values()].filter((e) => !asked.some((q) => covers(q, e.access)) && e.access.resource !== 'selfsubjectaccessreviews');
    if (unasked.length) process.stdout.write(`# reads cluster.permissions does not ask about: ${unasked.map((e) => key(e.access)).join('; ')}\n`);
  });

  test('as the service account on the simulator: nothing forbidden, cluster.permissions passes, same results as admin', async () => {
    const { rules } = grantsOf(await manifests(RBAC_DIR));
    // a few scenarios that together make every recorded read, healthy-helm first
    const chosen = ['healthy-helm'];
    const covered = new Set([...seen.entries()].filter(([, e]) => e.scenarios.has('healthy-helm')).map(([k]) => k));
    for (;;) {
      const left = [...seen.entries()].filter(([k]) => !covered.has(k));
      if (left.length === 0) break;
      const counts = new Map<string, number>();
      for (const [, e] of left) for (const s of e.scenarios) counts.set(s, (counts.get(s) ?? 0) + 1);
      const best = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
      chosen.push(best);
      for (const [k, e] of left) if (e.scenarios.has(best)) covered.add(k);
    }
    await Promise.all(
      chosen.map(async (name) => {
        const sim = await startSim(await loadScenario(name));
        try {
          const kubeconfig = await sim.addUser(SA_USER, rules);
          const { report } = await runDoctor({ kubeconfig, providerUrl: sim.providerUrl, minBackoffMs: 10, ...testBudgets(sim) });
          assertValidReportObject(report, `${name} as the service account`);
          const forbidden = sim.requests.filter((r) => r.user === SA_USER && r.status === 403).map((r) => `${r.method} ${r.path}`);
          assert.deepEqual(forbidden, [], `${name}: forbidden requests as ${SA_USER}`);
          const perm = report.checks.find((c) => c.id === 'cluster.permissions')!;
          assert.equal(perm.status, 'pass', `${name}: cluster.permissions ${perm.status}: ${perm.message}`);
          if (name === 'healthy-helm') {
            assert.deepEqual(report.checks.map((c) => [c.id, c.status]), statuses.get(name), 'the same results as with the admin kubeconfig');
            assert.equal(report.summary.healthy, true);
          }
        } finally {
          await sim.close();
        }
      }),
    );
    process.stdout.write(`# ran as ${SA_USER} on: ${chosen.join(', ')}\n`);
  });
});

describe('request attributes', () => {
  test('paths map to what RBAC authorises', () => {
    const a = (method: string, p: string, query = '') => accessOf({ method, path: p, query });
    assert.deepEqual(a('GET', '/api/v1/namespaces/metallb-system'), { verb: 'get', group: '', resource: 'namespaces', subresource: '', namespace: '' });
    assert.deepEqual(a('GET', '/api/v1/namespaces/akash-services/pods'), { verb: 'list', group: '', resource: 'pods', subresource: '', namespace: 'akash-services' });
    assert.deepEqual(a('GET', '/api/v1/namespaces/akash-services/pods', 'watch=true'), { verb: 'watch', group: '', resource: 'pods', subresource: '', namespace: 'akash-services' });
    assert.deepEqual(a('GET', '/api/v1/namespaces/akash-services/pods/p-0/log'), { verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'akash-services' });
    assert.deepEqual(a('GET', '/api/v1/namespaces/metallb-system/services/controller:monitoring/proxy/metrics'), { verb: 'get', group: '', resource: 'services', subresource: 'proxy', namespace: 'metallb-system' });
    assert.deepEqual(a('GET', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools'), { verb: 'list', group: 'metallb.io', resource: 'ipaddresspools', subresource: '', namespace: 'metallb-system' });
    assert.deepEqual(a('GET', '/api/v1/namespaces/lease-7/events'), { verb: 'list', group: '', resource: 'events', subresource: '', namespace: '*' });
    assert.deepEqual(a('GET', '/api/v1/services'), { verb: 'list', group: '', resource: 'services', subresource: '', namespace: '' });
    assert.deepEqual(a('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'), { verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews', subresource: '', namespace: '' });
    assert.deepEqual(a('DELETE', '/api/v1/namespaces/akash-services/pods'), { verb: 'deletecollection', group: '', resource: 'pods', subresource: '', namespace: 'akash-services' });
    assert.equal(a('GET', '/version'), undefined);
    assert.equal(a('GET', '/apis/apps/v1'), undefined);
  });
});
