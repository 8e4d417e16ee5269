// test-runner: concurrent (every test on its own simulator)
/** `check --fix` end to end, part 2: interrupted plans, roll-back, signals, RBAC, conflicts (see test/fix-flow-lib.ts). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserRule } from '../src/sim/index.js';
import { LOCK_NAME, LOCK_NAMESPACE } from '../src/core/fix-lock.js';
import { raw } from './sim-model-helpers.js';
import { check, fix, fixRun, withScenario } from './fix-flow-lib.js';

describe('check --fix end to end: failures part way, RBAC, conflicts', () => {
  test('an interrupted plan: the report says what was done and what was not; a re-run finishes it', async () => {
    await withScenario(
      'm-legacy-config',
      async (sim) => {
        const report = await fixRun(sim);
        const f = fix(report, 'metallb.migrate-legacy-config');
        assert.equal(f.outcome, 'failed', JSON.stringify(f));
        assert.equal(f.reason, 'server');
        const del = f.steps.find((s) => s.verb === 'delete');
        assert.equal(del?.state, 'failed');
        assert.ok(f.steps.filter((s) => s.verb === 'create').every((s) => s.state === 'applied'), 'the CRs (and the backup) before it stay');
        assert.match(f.message ?? '', /earlier steps? (was|were) applied and stay/);
        assert.equal((await raw(sim.kubeconfigPath, 'GET', '/api/v1/namespaces/metallb-system/configmaps/config')).status, 200, 'the legacy ConfigMap is kept');
        assert.equal((await raw(sim.kubeconfigPath, 'GET', `/apis/coordination.k8s.io/v1/namespaces/${LOCK_NAMESPACE}/leases/${LOCK_NAME}`)).status, 404, 'the lock is released');

        // what is left is safe: the CRs exist, MetalLB ignores the leftover ConfigMap (a warning, which
        // --fix does not act on); a re-run creates nothing twice
        const again = await fixRun(sim);
        assert.deepEqual(again.fixes, []);
        assert.equal(check(again, 'metallb.legacy-config'), 'warn');
        assert.equal(check(again, 'metallb.default-pool'), 'pass');
        const pools = (await raw(sim.kubeconfigPath, 'GET', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools')).json().items as any[];
        assert.deepEqual(pools.map((p) => p.metadata.name), ['default']);
      },
      (s) => {
        // a layer2 pool only (a bgp pool is for a person): the migration is a fix of several steps
        const cm = s.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.namespace === 'metallb-system' && o.metadata.name === 'config')!;
        (cm as any).data = { config: 'address-pools:\n- name: default\n  protocol: layer2\n  addresses:\n  - 203.0.113.0/28\n' };
        s.behaviour.faults = { ...s.behaviour.faults, failWrites: [{ method: 'DELETE', path: new RegExp('/namespaces/metallb-system/configmaps/config$'), status: 500, times: 1, dryRun: false }] };
      },
    );
  });

  test('a fix failing part way puts back what it removed: the old pool returns when pool default cannot be created', async () => {
    await withScenario(
      'm-pool-not-default',
      async (sim) => {
        const pools = async () => ((await raw(sim.kubeconfigPath, 'GET', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools')).json().items as any[]).map((p) => p.metadata.name).sort();
        const before = await pools();
        const report = await fixRun(sim);
        const f = fix(report, 'metallb.rename-pool');
        assert.equal(f.outcome, 'failed', JSON.stringify(f));
        assert.ok(f.steps.some((s) => s.verb === 'delete' && s.state === 'rolled-back'), JSON.stringify(f.steps.map((s) => `${s.verb}:${s.state}`)));
        assert.deepEqual(await pools(), before, 'the old pool is back');
        assert.ok((f.notes ?? []).some((n) => /rolled back/.test(n)));
      },
      (s) => {
        s.behaviour.faults = { ...s.behaviour.faults, failWrites: [{ method: 'POST', path: new RegExp('/ipaddresspools$'), status: 500, times: 1, dryRun: false }] };
      },
    );
  });

  test('interrupted by a signal between fixes: no further write, the rest is reported as not run', async () => {
    await withScenario('demo', async (sim) => {
      const ac = new AbortController();
      const report = await fixRun(sim, {
        signal: ac.signal,
        onProgress: (line) => {
          if (/^applying /.test(line)) ac.abort();
        },
      });
      const fixes = report.fixes ?? [];
      const active = fixes.filter((f) => f.risk !== 'manual' && f.reason !== 'not-applicable');
      assert.ok(active.length >= 2, JSON.stringify(fixes.map((f) => `${f.id}:${f.outcome}`)));
      assert.equal(active[0]!.outcome === 'failed' ? active[0]!.reason : 'none', 'interrupted');
      assert.ok(active.slice(1).every((f) => f.outcome === 'skipped' && f.reason === 'interrupted'), JSON.stringify(active.map((f) => `${f.id}:${f.outcome}:${f.reason}`)));
      assert.equal((await raw(sim.kubeconfigPath, 'GET', `/apis/coordination.k8s.io/v1/namespaces/${LOCK_NAMESPACE}/leases/${LOCK_NAME}`)).status, 404, 'the lock is released');
    });
  });

  test('RBAC that denies writes: failed: forbidden with the missing permission, never a crash, nothing written', async () => {
    await withScenario('f-controller-port-misnamed', async (sim) => {
      const read: UserRule = { verbs: ['get', 'list', 'watch'], resources: ['*'] };
      const ssar: UserRule = { verbs: ['create'], resources: ['selfsubjectaccessreviews.authorization.k8s.io'] };
      const viewer = await sim.addUser('viewer', [read, ssar]);
      const before = JSON.stringify(sim.objects());
      const r1 = await fixRun(sim, {}, viewer);
      const f1 = fix(r1, 'metallb.expose-controller');
      assert.equal(f1.outcome, 'failed');
      assert.equal(f1.reason, 'forbidden');
      assert.equal(f1.missing, `create leases.coordination.k8s.io in namespace ${LOCK_NAMESPACE}`);

      const locker = await sim.addUser('locker', [read, ssar, { verbs: ['create', 'update', 'delete'], resources: ['leases.coordination.k8s.io'], namespaces: [LOCK_NAMESPACE] }]);
      const r2 = await fixRun(sim, {}, locker);
      const f2 = fix(r2, 'metallb.expose-controller');
      assert.equal(f2.outcome, 'failed');
      assert.equal(f2.reason, 'forbidden');
      assert.match(f2.missing ?? '', /^(update|patch|create) services in namespace metallb-system$/);
      assert.match(f2.message ?? '', /dry run/);
      assert.equal(JSON.stringify(sim.objects()), before, 'nothing was written');
    });
  });

  test('a change between plan and write: the conditional update gets a 409, reads again and keeps the other change', async () => {
    await withScenario('f-controller-port-misnamed', async (sim) => {
      const report = await fixRun(sim, {
        onPlan: async () => {
          const r = await raw(sim.kubeconfigPath, 'PATCH', '/api/v1/namespaces/metallb-system/services/controller', { body: { metadata: { labels: { 'changed-by': 'someone-else' } } }, contentType: 'application/merge-patch+json' });
          assert.equal(r.status, 200);
        },
      });
      const f = fix(report, 'metallb.expose-controller');
      assert.equal(f.outcome, 'applied', JSON.stringify(f));
      const svc = (await raw(sim.kubeconfigPath, 'GET', '/api/v1/namespaces/metallb-system/services/controller')).json();
      assert.equal(svc.metadata.labels['changed-by'], 'someone-else', 'the concurrent change survives');
      assert.equal(svc.spec.ports[0].name, 'monitoring');
      const conflicts = sim.requests.filter((r) => r.method === 'PUT' && r.status === 409);
      assert.ok(conflicts.length >= 1, 'the first write was refused on its resourceVersion');
    });
  });
});
