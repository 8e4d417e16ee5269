/**
 * `check --fix` end to end through the fixer (core/fixer.ts) and the CLI, on the simulated
 * cluster over real HTTPS: the server dry run changes nothing, an apply is verified by a
 * re-check, a second run plans nothing, no terminal and no --yes writes nothing, two fixers at
 * once, an interrupted plan, RBAC-denied writes and a conflict on resourceVersion.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type SimHandle, type SimState, type UserRule } from '../src/sim/index.js';
import type { Report } from '../src/core/types.js';
import { LOCK_NAME, LOCK_NAMESPACE } from '../src/core/fix-lock.js';
import { main } from '../src/cli.js';
import { fixRecord, runFixes } from './fix-helpers.js';
import { withScenario as withScenarioOf } from './helpers.js';
import { raw } from './sim-model-helpers.js';

const WRITE = /^(POST|PUT|PATCH|DELETE)$/;

/** The fixes are verified by cause and effect: MetalLB, the operators and the provider are modelled. */
function withScenario<T>(name: string, fn: (sim: SimHandle) => Promise<T>, edit?: (s: SimState) => void): Promise<T> {
  return withScenarioOf(name, fn, (state) => {
    state.behaviour.model = true;
    edit?.(state);
  });
}

const fixRun = runFixes;
const fix = fixRecord;

function check(report: Report, id: string): string {
  const c = report.checks.find((x) => x.id === id);
  assert.ok(c, `check ${id}`);
  return c.status;
}

function writes(sim: SimHandle): string[] {
  return sim.requests.filter((r) => WRITE.test(r.method) && !r.path.endsWith('/selfsubjectaccessreviews')).map((r) => `${r.method} ${r.path}${r.query ? `?${r.query}` : ''} ${r.status}`);
}

async function controllerPortName(sim: SimHandle): Promise<string | undefined> {
  const r = await raw(sim.kubeconfigPath, 'GET', '/api/v1/namespaces/metallb-system/services/controller');
  return r.json().spec?.ports?.[0]?.name;
}

describe('check --fix end to end', () => {
  test('--dry-run proves every write on the server and changes nothing', async () => {
    await withScenario('f-controller-port-misnamed', async (sim) => {
      const before = JSON.stringify(sim.objects());
      sim.clearRequests();
      const report = await fixRun(sim, { mode: 'dry-run', yes: false });
      assert.equal(report.fixMode, 'dry-run');
      const f = fix(report, 'metallb.expose-controller');
      assert.equal(f.outcome, 'dry-run');
      assert.deepEqual(f.triggeredBy, ['metallb.controller-service', 'metallb.metrics']);
      assert.ok(f.steps.length > 0 && f.steps.every((s) => s.state === 'dry-run'), JSON.stringify(f.steps));
      assert.ok(f.steps.every((s) => s.command.startsWith('kubectl ')), 'every step has its kubectl command');
      assert.ok(f.steps.some((s) => s.diff && /^\+.*monitoring/m.test(s.diff)), 'the diff shows the port renamed to monitoring');
      const w = writes(sim);
      assert.ok(w.length > 0, 'the dry run was sent');
      assert.ok(w.every((x) => /dryRun=All/.test(x)), `only dry-run writes: ${w.join('\n')}`);
      assert.equal(JSON.stringify(sim.objects()), before, 'every object byte for byte unchanged');
      assert.equal(check(report, 'metallb.controller-service'), 'fail', 'the report is the diagnosis itself');
    });
  });

  test('--yes applies, verifies by a re-check, records an Event, releases the lock; a second run plans nothing and writes nothing', async () => {
    await withScenario('f-controller-port-misnamed', async (sim) => {
      const report = await fixRun(sim);
      const f = fix(report, 'metallb.expose-controller');
      assert.equal(f.outcome, 'applied', f.message);
      assert.equal(f.verified?.['metallb.controller-service'], 'pass');
      assert.equal(check(report, 'metallb.controller-service'), 'pass', 'the report holds the re-checked state');
      assert.equal(report.before?.summary.fail !== undefined && report.before.summary.fail > report.summary.fail, true);
      assert.equal(await controllerPortName(sim), 'monitoring');
      const events = (await raw(sim.kubeconfigPath, 'GET', '/api/v1/namespaces/metallb-system/events')).json().items as any[];
      const ours = events.filter((e) => e.reason === 'AkashIpDoctorFix');
      assert.ok(ours.some((e) => e.involvedObject?.kind === 'Service' && e.involvedObject?.name === 'controller' && /metallb\.expose-controller/.test(e.message)), JSON.stringify(ours));
      const lease = await raw(sim.kubeconfigPath, 'GET', `/apis/coordination.k8s.io/v1/namespaces/${LOCK_NAMESPACE}/leases/${LOCK_NAME}`);
      assert.equal(lease.status, 404, 'the lock is released');

      sim.clearRequests();
      const again = await fixRun(sim);
      assert.deepEqual(again.fixes, [], 'a second --fix plans nothing');
      assert.deepEqual(writes(sim), [], 'and writes nothing (not even the lock)');
    });
  });

  test('without a terminal and without --yes: exit 2, nothing sent', async () => {
    await withScenario('f-controller-port-misnamed', async (sim) => {
      sim.clearRequests();
      let out = '';
      let err = '';
      const code = await main(['check', '--fix', '--kubeconfig', sim.kubeconfigPath], { stdout: (s) => void (out += s), stderr: (s) => void (err += s), stdinIsTTY: false, stdoutIsTTY: false, stderrIsTTY: false });
      assert.equal(code, 2);
      assert.match(err, /refusing to change the cluster without --yes/);
      assert.equal(out, '');
      assert.equal(sim.requests.length, 0, 'not a single request');
    });
  });

  test('on a terminal: asks, and a "no" writes nothing', async () => {
    await withScenario('f-controller-port-misnamed', async (sim) => {
      const questions: string[] = [];
      let out = '';
      const code = await main(['check', '--fix', '--kubeconfig', sim.kubeconfigPath, '--provider-url', sim.providerUrl, '--only', 'metallb,ip-operator'], {
        stdout: (s) => void (out += s),
        stderr: () => undefined,
        stdinIsTTY: true,
        stdoutIsTTY: false,
        stderrIsTTY: false,
        ask: async (q) => {
          questions.push(q);
          return 'n';
        },
      });
      assert.equal(code, 1, 'still failing');
      // the Service fix, then (its own question: it restarts a pod) the IP operator whose one-shot discovery failed on the misnamed port
      assert.equal(questions.length, 2, questions.join('\n'));
      assert.match(questions[0]!, /metallb\.expose-controller/);
      assert.match(questions[1]!, /^ip-operator\.restart: .*delete .*pod/, 'the restart is asked for on its own');
      assert.match(out, /Fixes \(dry run/, 'the plan is shown before the question');
      assert.match(out, /\[skipped\] metallb\.expose-controller/);
      assert.match(out, /declined/);
      assert.notEqual(await controllerPortName(sim), 'monitoring');
    });
  });

  test('on a terminal with -o json: the plan and the questions go to stderr, stdout is one JSON document', async () => {
    await withScenario('f-controller-port-misnamed', async (sim) => {
      let out = '';
      let err = '';
      const code = await main(['check', '--fix', '-o', 'json', '--kubeconfig', sim.kubeconfigPath, '--provider-url', sim.providerUrl, '--only', 'metallb,ip-operator'], {
        stdout: (s) => void (out += s),
        stderr: (s) => void (err += s),
        stdinIsTTY: true,
        stdoutIsTTY: false,
        stderrIsTTY: false,
        ask: async () => 'n',
      });
      assert.equal(code, 1);
      const report = JSON.parse(out);
      assert.ok(report.fixes.every((f: { outcome: string; reason?: string }) => f.outcome !== 'applied'), out);
      assert.match(err, /Fixes \(dry run/);
    });
  });

  test('the rate limit: an operator a restart cannot heal is not restarted again by the next run (no crash loop from a cron job)', async () => {
    await withScenario(
      'f-operator-new-stuck',
      async (sim) => {
        const only = ['ip-operator.installed', 'ip-operator.health', 'ip-operator.barrier'];
        const podNames = () => sim.objects().filter((o) => o.kind === 'Pod' && o.metadata.namespace === 'akash-services' && o.metadata.name.startsWith('operator-ip-')).map((o) => o.metadata.name);
        const first = await fixRun(sim, { only, settleTimeoutMs: 2_000 });
        const f = fix(first, 'ip-operator.restart');
        assert.equal(f.outcome, 'applied-unverified', JSON.stringify(f));
        assert.equal(f.reason, 'not-settled');
        assert.match(f.message ?? '', /503|locked/);
        const after = podNames();

        const second = await fixRun(sim, { only, settleTimeoutMs: 2_000 });
        const g = fix(second, 'ip-operator.restart');
        assert.equal(g.outcome, 'skipped');
        assert.equal(g.reason, 'rate-limited');
        assert.match(g.message ?? '', /restarted by --fix 0 min ago .*--min-restart-interval \(15 min\)/);
        assert.deepEqual(podNames(), after, 'no pod was deleted');

        const third = await fixRun(sim, { only, settleTimeoutMs: 2_000, minRestartIntervalMs: 0 });
        assert.equal(fix(third, 'ip-operator.restart').outcome, 'applied-unverified', 'a shorter interval allows it again');
        assert.notDeepEqual(podNames(), after);
      },
      // MetalLB's Service is gone for good: the operator's discovery fails at every start
      (s) => {
        s.objects = s.objects.filter((o) => !(o.kind === 'Service' && o.metadata.namespace === 'metallb-system' && o.metadata.name === 'controller'));
      },
    );
  });

  test('a lock held by another fixer: nothing is written and the report says who holds it', async () => {
    await withScenario('f-controller-port-misnamed', async (sim) => {
      const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
      const created = await raw(sim.kubeconfigPath, 'POST', `/apis/coordination.k8s.io/v1/namespaces/${LOCK_NAMESPACE}/leases`, {
        body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: LOCK_NAME }, spec: { holderIdentity: 'cron-node-1/pid-7', leaseDurationSeconds: 600, acquireTime: now, renewTime: now } },
      });
      assert.equal(created.status, 201);
      sim.clearRequests();
      const report = await fixRun(sim);
      const f = fix(report, 'metallb.expose-controller');
      assert.equal(f.outcome, 'skipped');
      assert.equal(f.reason, 'lock-held');
      assert.match(f.message ?? '', /cron-node-1\/pid-7/);
      assert.deepEqual(writes(sim), []);
      assert.notEqual(await controllerPortName(sim), 'monitoring');
    });
  });

  test('two fixers at once: one applies, the other finds the lock held or the work done; nothing fails', async () => {
    await withScenario('f-controller-port-misnamed', async (sim) => {
      const [a, b] = await Promise.all([fixRun(sim, { holder: 'fixer-a' }), fixRun(sim, { holder: 'fixer-b' })]);
      const outcomes = [a, b].map((r) => (r.fixes ?? []).map((f) => `${f.id}:${f.outcome}:${f.reason ?? ''}`));
      const applied = outcomes.flat().filter((x) => x.startsWith('metallb.expose-controller:applied:'));
      assert.equal(applied.length, 1, JSON.stringify(outcomes));
      assert.ok(!outcomes.flat().some((x) => /:failed:/.test(x)), JSON.stringify(outcomes));
      const other = outcomes.find((o) => !o.some((x) => x.startsWith('metallb.expose-controller:applied:')))!;
      assert.ok(other.every((x) => /:skipped:(lock-held|not-applicable|rate-limited)$/.test(x)), JSON.stringify(other));
      assert.equal(await controllerPortName(sim), 'monitoring');
    });
  });

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
