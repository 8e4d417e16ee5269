// test-runner: concurrent (every test on its own simulator)
/** `check --fix` end to end, part 1: dry run, apply, terminal, lock, two fixers, rate limit (see test/fix-flow-lib.ts). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LOCK_NAME, LOCK_NAMESPACE } from '../src/core/fix-lock.js';
import { main } from '../src/cli.js';
import { raw } from './sim-model-helpers.js';
import { check, controllerPortName, fix, fixRun, withScenario, writes } from './fix-flow-lib.js';

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
});
