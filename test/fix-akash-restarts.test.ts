// test-runner: concurrent (every test on its own simulator)
/**
 * The restarts of `check --fix` on the simulated cluster: ip-operator.restart (the layout the
 * provider uses), hostname-operator.restart and provider.restart-pod. The sim's controllers
 * recreate a deleted pod (~100 ms) with the workload's `afterRestart` answers; each test plans,
 * dry-runs (nothing changes), applies, settles and re-checks, then plans again (skip).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withSim, HANGING_STATUS_BUDGET_MS } from './helpers.js';
import { asPlan, fixHarness, planOf, runSteps, type FixHarness } from './fix-helpers.js';
import { runDoctor } from '../src/core/engine.js';
import { loadScenario, type SimHandle, type SimState } from '../src/sim/index.js';
import { KINDS } from '../src/cluster/writer.js';
import { snapshotFactory } from '../src/fixes/lib.js';
import { isNoPlan, type FixPlan, type SettleResult } from '../src/fixes/types.js';
import type { Report } from '../src/core/types.js';

const IP_CHECKS = ['ip-operator.installed', 'ip-operator.health', 'ip-operator.barrier', 'metallb.controller-service', 'metallb.metrics', 'metallb.version'];

async function diagnose(sim: SimHandle, only: string[]): Promise<Report> {
  return (
    await runDoctor({
      kubeconfig: sim.kubeconfigPath,
      providerUrl: sim.providerUrl,
      minBackoffMs: 10,
      only,
      checkTimeoutsMs: { 'provider.status-endpoint': HANGING_STATUS_BUDGET_MS },
    })
  ).report;
}

function status(report: Report, id: string): string {
  const r = report.checks.find((c) => c.id === id);
  return r ? `${r.status}: ${r.message}` : 'missing';
}

function pods(sim: SimHandle, ns: string, pred: (labels: Record<string, string>) => boolean): { name: string; uid: string }[] {
  return sim
    .objects()
    .filter((o) => o.kind === 'Pod' && o.metadata.namespace === ns && pred((o.metadata.labels ?? {}) as Record<string, string>))
    .map((o) => ({ name: o.metadata.name, uid: String(o.metadata.uid) }));
}

function settle(h: FixHarness, plan: FixPlan, startedAt: Date, timeoutMs = 20_000): Promise<SettleResult> {
  assert.ok(plan.settle, 'the plan settles');
  return plan.settle({ writer: h.writer, fresh: snapshotFactory(h.client), timeoutMs, startedAt, signal: new AbortController().signal });
}

/** plan → dry run (objects unchanged) → apply → settle; returns the plan and the settle result. */
async function planDryApply(sim: SimHandle, report: Report, fixId: string, timeoutMs?: number): Promise<{ plan: FixPlan; settled: SettleResult }> {
  const h = fixHarness(sim, report, fixId);
  try {
    assert.ok(h.ctx.findings.length > 0, `a finding asks for ${fixId}`);
    const plan = asPlan(await planOf(h, fixId));
    const before = JSON.stringify(sim.objects());
    await runSteps(plan, h.writer, true);
    assert.equal(JSON.stringify(sim.objects()), before, 'the dry run changes nothing');
    const startedAt = new Date();
    await runSteps(plan, h.writer, false);
    return { plan, settled: await settle(h, plan, startedAt, timeoutMs) };
  } finally {
    await h.close();
  }
}

async function planAgain(sim: SimHandle, report: Report, fixId: string): Promise<string> {
  const h = fixHarness(sim, report, fixId);
  try {
    const p = await planOf(h, fixId);
    assert.ok(isNoPlan(p), `expected a skip, got ${JSON.stringify(p)}`);
    return p.skip;
  } finally {
    await h.close();
  }
}

describe('ip-operator.restart', () => {
  test('f-operator-new-stuck: restarts operator-ip, settles on a new Ready pod and /health 200, re-check passes, then skips', async () => {
    await withSim('f-operator-new-stuck', async (sim) => {
      const report = await diagnose(sim, IP_CHECKS);
      assert.match(status(report, 'ip-operator.barrier'), /^fail/);
      const old = pods(sim, 'akash-services', (l) => l['app.kubernetes.io/name'] === 'ip');
      const { plan, settled } = await planDryApply(sim, report, 'ip-operator.restart');
      assert.deepEqual(plan.restarts, { kind: KINDS.deployment, namespace: 'akash-services', name: 'operator-ip' });
      assert.equal(plan.steps.length, 1);
      assert.ok(plan.steps[0]!.disruptive);
      assert.equal(plan.steps[0]!.command, 'kubectl -n akash-services delete pod -l app.kubernetes.io/name=ip');
      assert.ok(!plan.notes?.some((n) => /metallb\./.test(n)), 'MetalLB is fine here: no note about it');
      assert.ok(settled.ok, settled.message);
      assert.match(settled.message, /operator-ip:rest\/health answers 200/);
      const now = pods(sim, 'akash-services', (l) => l['app.kubernetes.io/name'] === 'ip');
      assert.equal(now.length, 1);
      assert.ok(!old.some((o) => o.uid === now[0]!.uid), 'the pod was replaced');
      const again = await diagnose(sim, IP_CHECKS);
      assert.match(status(again, 'ip-operator.health'), /^pass/);
      assert.match(status(again, 'ip-operator.barrier'), /^pass/);
      assert.match(await planAgain(sim, again, 'ip-operator.restart'), /answers \/health 200/);
    });
  });

  test('f-operator-old-stuck: a 0.4.8 provider uses the old layout: akash-ip-operator is restarted', async () => {
    await withSim('f-operator-old-stuck', async (sim) => {
      const report = await diagnose(sim, IP_CHECKS);
      const { plan, settled } = await planDryApply(sim, report, 'ip-operator.restart');
      assert.equal(plan.steps[0]!.command, 'kubectl -n akash-services delete pod -l app=akash-ip-operator');
      assert.deepEqual(plan.restarts, { kind: KINDS.deployment, namespace: 'akash-services', name: 'akash-ip-operator' });
      assert.ok(settled.ok, settled.message);
      assert.match(settled.message, /akash-ip-operator:api\/health answers 200/);
      assert.match(status(await diagnose(sim, IP_CHECKS), 'ip-operator.health'), /^pass/);
    });
  });

  test('the provider layout is not installed (old operator, current provider): skip, nothing written', async () => {
    await withSim('f-operator-old-current-provider', async (sim) => {
      const report = await diagnose(sim, IP_CHECKS);
      const h = fixHarness(sim, report, 'ip-operator.restart');
      try {
        const before = JSON.stringify(sim.objects());
        const p = await planOf(h, 'ip-operator.restart');
        assert.ok(isNoPlan(p), JSON.stringify(p));
        assert.match(p.skip, /looks only for Service operator-ip port rest.*not installed.*heals nothing/);
        assert.equal(JSON.stringify(sim.objects()), before);
      } finally {
        await h.close();
      }
    });
  });

  test('a restart that does not unlock: settle fails within its bound and says /health is still 503', async () => {
    const st: SimState = await loadScenario('f-operator-new-stuck');
    st.behaviour.afterRestart = {};
    await withSim(st, async (sim) => {
      const report = await diagnose(sim, IP_CHECKS);
      const { settled } = await planDryApply(sim, report, 'ip-operator.restart', 1_500);
      assert.equal(settled.ok, false);
      assert.match(settled.message, /not settled within 2 s: .*new pod operator-ip-\S+ Ready, but akash-services\/operator-ip:rest\/health answers 503 with an empty body \(barrier still locked\)/);
    });
  });

  test('MetalLB still broken (Service controller port misnamed): refused unless a fix of the same run repairs it first, then planned with a note', async () => {
    const st: SimState = await loadScenario('f-operator-new-stuck');
    const svc = st.objects.find((o) => o.kind === 'Service' && o.metadata.namespace === 'metallb-system' && o.metadata.name === 'controller') as unknown as { spec: { ports: { name: string }[] } };
    svc.spec.ports[0]!.name = 'metrics';
    await withSim(st, async (sim) => {
      const report = await diagnose(sim, IP_CHECKS);
      assert.match(status(report, 'metallb.controller-service'), /^fail/);
      const h = fixHarness(sim, report, 'ip-operator.restart');
      try {
        const refused = await planOf(h, 'ip-operator.restart');
        assert.ok(isNoPlan(refused) && /cannot unlock the operator's barrier while metallb\.controller-service/.test(refused.skip), JSON.stringify(refused));
        // metallb.expose-controller runs first in the same --fix (it addresses both checks)
        h.ctx.fixedEarlier = new Set(['metallb.controller-service', 'metallb.metrics']);
        const plan = asPlan(await planOf(h, 'ip-operator.restart'));
        assert.ok(plan.notes?.some((n) => /metallb\.controller-service/.test(n) && /unlocks its barrier only once/.test(n)), JSON.stringify(plan.notes));
      } finally {
        await h.close();
      }
    });
  });
  test('no MetalLB namespace: creating it installs no MetalLB, so the restart stays refused (its checks could not run)', async () => {
    await withSim('f-no-metallb-ns', async (sim) => {
      const report = await diagnose(sim, [...IP_CHECKS, 'metallb.namespace', 'metallb.installed']);
      assert.match(status(report, 'metallb.namespace'), /^fail/);
      assert.match(status(report, 'metallb.installed'), /^skip/);
      const h = fixHarness(sim, report, 'ip-operator.restart');
      try {
        // metallb.create-namespace runs first in the same --fix: the namespace passes, MetalLB is still not there
        h.ctx.fixedEarlier = new Set(['metallb.namespace']);
        const refused = await planOf(h, 'ip-operator.restart');
        assert.ok(isNoPlan(refused), JSON.stringify(refused));
        assert.match(refused.skip, /cannot unlock the operator's barrier while metallb\.installed, metallb\.controller-service, metallb\.metrics, metallb\.version fail \(or could not be checked\)/);
      } finally {
        await h.close();
      }
    });
  });
});

describe('hostname-operator.restart', () => {
  test('f-status-hang-hostname: the crash-looping pod is replaced, /health 200, re-check passes, then skips', async () => {
    await withSim('f-status-hang-hostname', async (sim) => {
      const only = ['provider.hostname-operator'];
      const report = await diagnose(sim, only);
      assert.match(status(report, 'provider.hostname-operator'), /^fail/);
      const old = pods(sim, 'akash-services', (l) => l['app.kubernetes.io/name'] === 'hostname');
      const { plan, settled } = await planDryApply(sim, report, 'hostname-operator.restart');
      assert.equal(plan.steps[0]!.command, 'kubectl -n akash-services delete pod -l app.kubernetes.io/name=hostname');
      assert.deepEqual(plan.restarts, { kind: KINDS.deployment, namespace: 'akash-services', name: 'operator-hostname' });
      assert.ok(plan.notes?.some((n) => /crash-loops/.test(n)));
      assert.ok(settled.ok, settled.message);
      const now = pods(sim, 'akash-services', (l) => l['app.kubernetes.io/name'] === 'hostname');
      assert.ok(now.length === 1 && !old.some((o) => o.uid === now[0]!.uid));
      const again = await diagnose(sim, only);
      assert.match(status(again, 'provider.hostname-operator'), /^pass/);
      assert.match(await planAgain(sim, again, 'hostname-operator.restart'), /answers \/health 200/);
    });
  });
});

describe('provider.restart-pod', () => {
  const only = ['provider.status-endpoint', 'provider.hostname-operator'];

  test('f-status-discovery-stuck: the provider pod is recreated, /status answers, then skips', async () => {
    await withSim('f-status-discovery-stuck', async (sim) => {
      const report = await diagnose(sim, only);
      assert.match(status(report, 'provider.status-endpoint'), /^fail/);
      const old = pods(sim, 'akash-services', (l) => l['app.kubernetes.io/name'] === 'provider');
      const { plan, settled } = await planDryApply(sim, report, 'provider.restart-pod');
      assert.equal(plan.steps[0]!.command, 'kubectl -n akash-services delete pod akash-provider-0');
      assert.ok(plan.steps[0]!.disruptive);
      assert.deepEqual(plan.restarts, { kind: KINDS.statefulSet, namespace: 'akash-services', name: 'akash-provider' });
      assert.ok(settled.ok, settled.message);
      const now = pods(sim, 'akash-services', (l) => l['app.kubernetes.io/name'] === 'provider');
      assert.equal(now.length, 1);
      assert.equal(now[0]!.name, 'akash-provider-0');
      assert.notEqual(now[0]!.uid, old[0]!.uid);
      const again = await diagnose(sim, only);
      assert.match(status(again, 'provider.status-endpoint'), /^pass/);
      assert.match(await planAgain(sim, again, 'provider.restart-pod'), /no failed service discovery/);
    });
  });

  test('discovery failed but Service operator-ip is still missing: skip (a restart would fail the same way)', async () => {
    const st: SimState = await loadScenario('f-status-discovery-stuck');
    st.objects = st.objects.filter((o) => !(o.kind === 'Service' && o.metadata.name === 'operator-ip'));
    await withSim(st, async (sim) => {
      const report = await diagnose(sim, only);
      const h = fixHarness(sim, report, 'provider.restart-pod');
      try {
        assert.ok(h.ctx.findings.length > 0);
        const p = await planOf(h, 'provider.restart-pod');
        assert.ok(isNoPlan(p), JSON.stringify(p));
        assert.match(p.skip, /Service akash-services\/operator-ip failed and that Service still does not exist/);
      } finally {
        await h.close();
      }
    });
  });

  test('a provider merely waiting for the IP operator is not restarted', async () => {
    await withSim('f-operator-new-stuck', async (sim) => {
      const report = await diagnose(sim, only);
      const h = fixHarness(sim, report, 'provider.restart-pod');
      try {
        const p = await planOf(h, 'provider.restart-pod');
        assert.ok(isNoPlan(p), JSON.stringify(p));
        assert.match(p.skip, /waiting for the IP operator: it carries on by itself/);
      } finally {
        await h.close();
      }
    });
  });
});
