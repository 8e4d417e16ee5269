// test-runner: concurrent (every test on its own simulator)
/**
 * The restarts against the sim's modelled components (Behaviour `model`): cause and effect,
 * not scripted afterRestart answers. An IP operator restarted while Service
 * metallb-system/controller is still misnamed fails its one-shot discovery and stays locked
 * (settle says so); restarted after the Service is fixed it unlocks. A provider waiting for the
 * hostname operator carries on by itself once that operator is restarted (no provider restart).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withSim, HANGING_STATUS_BUDGET_MS } from './helpers.js';
import { asPlan, fixHarness, planOf, runFixes, runSteps } from './fix-helpers.js';
import { runDoctor } from '../src/core/engine.js';
import { loadScenario, waitForModel, type SimHandle, type SimState } from '../src/sim/index.js';
import { KINDS, Writer } from '../src/cluster/writer.js';
import { snapshotFactory } from '../src/fixes/lib.js';
import { isNoPlan, type SettleResult } from '../src/fixes/types.js';
import type { Report } from '../src/core/types.js';

const IP_CHECKS = ['ip-operator.installed', 'ip-operator.health', 'ip-operator.barrier', 'metallb.controller-service'];
const ALL_MODELLED = { ipOperator: true, provider: true, metallb: true, hostnameOperator: true };

async function diagnose(sim: SimHandle, only: string[]): Promise<Report> {
  return (await runDoctor({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, minBackoffMs: 10, only, checkTimeoutsMs: { 'provider.status-endpoint': HANGING_STATUS_BUDGET_MS } })).report;
}

function status(report: Report, id: string): string {
  const r = report.checks.find((c) => c.id === id);
  return r ? `${r.status}: ${r.message}` : 'missing';
}

/** f-operator-new-stuck, modelled, with the port of Service metallb-system/controller misnamed. */
async function stuckWithMisnamedController(): Promise<SimState> {
  const st = await loadScenario('f-operator-new-stuck');
  st.behaviour.model = ALL_MODELLED;
  const svc = st.objects.find((o) => o.kind === 'Service' && o.metadata.namespace === 'metallb-system' && o.metadata.name === 'controller') as unknown as { spec: { ports: { name: string }[] } };
  svc.spec.ports[0]!.name = 'metrics';
  return st;
}

async function restartOperator(sim: SimHandle, timeoutMs: number): Promise<SettleResult> {
  const report = await diagnose(sim, IP_CHECKS);
  const h = fixHarness(sim, report, 'ip-operator.restart');
  try {
    const plan = asPlan(await planOf(h, 'ip-operator.restart'));
    const startedAt = new Date();
    await runSteps(plan, h.writer, false);
    assert.ok(plan.settle);
    return await plan.settle({ writer: h.writer, fresh: snapshotFactory(h.client), timeoutMs, startedAt, signal: new AbortController().signal });
  } finally {
    await h.close();
  }
}

/**
 * Plan `fixId` (a restart), apply its steps, wait for it to settle, then re-check `only` until
 * provider.status-endpoint passes (the provider's waiter retries every 2 s; bounded).
 */
async function restartAndRecheck(sim: SimHandle, report: Report, fixId: string, only: string[]): Promise<Report> {
  const h = fixHarness(sim, report, fixId);
  try {
    const plan = asPlan(await planOf(h, fixId));
    const startedAt = new Date();
    await runSteps(plan, h.writer, false);
    const s = await plan.settle!({ writer: h.writer, fresh: snapshotFactory(h.client), timeoutMs: 20_000, startedAt, signal: new AbortController().signal });
    assert.ok(s.ok, s.message);
  } finally {
    await h.close();
  }
  let after = await diagnose(sim, only);
  for (let i = 0; i < 10 && !/^pass/.test(status(after, 'provider.status-endpoint')); i++) {
    await new Promise((r) => setTimeout(r, 500));
    after = await diagnose(sim, only);
  }
  return after;
}

describe('restarts against the modelled components', () => {
  test('operator restarted while Service controller is misnamed stays locked; restarted after the Service fix it unlocks', async () => {
    await withSim(await stuckWithMisnamedController(), async (sim) => {
      // --fix refuses to restart it while the Service is still broken and nothing repairs it first
      const report = await diagnose(sim, IP_CHECKS);
      const h = fixHarness(sim, report, 'ip-operator.restart');
      try {
        const refused = await planOf(h, 'ip-operator.restart');
        assert.ok(isNoPlan(refused) && /cannot unlock .*metallb\.controller-service/.test(refused.skip), JSON.stringify(refused));
        // a person restarts it by hand anyway: the new pod fails its one-shot discovery and stays locked
        const pod = (await h.writer.list(KINDS.pod, 'akash-services', 'app.kubernetes.io/name=ip'))[0]!;
        await h.writer.delete(KINDS.pod, 'akash-services', pod.metadata!.name!);
        await waitForModel(sim, (m) => !!m.ipOperators['operator-ip'] && m.ipOperators['operator-ip'].pod !== pod.metadata!.name && m.ipOperators['operator-ip'].discovered === false);
      } finally {
        await h.close();
      }
      assert.match(status(await diagnose(sim, IP_CHECKS), 'ip-operator.health'), /^fail/);

      // the Service gets its port name back: the operator started before does not look again
      const w = new Writer(fixHarness(sim, { checks: [] } as unknown as Report, 'x').client);
      await w.patch(KINDS.service, 'metallb-system', 'controller', 'json', [{ op: 'replace', path: '/spec/ports/0/name', value: 'monitoring' }]);
      const still = await diagnose(sim, IP_CHECKS);
      assert.match(status(still, 'metallb.controller-service'), /^pass/);
      assert.match(status(still, 'ip-operator.health'), /^fail/, 'a failed discovery is never retried');

      const second = await restartOperator(sim, 20_000);
      assert.ok(second.ok, second.message);
      const after = await diagnose(sim, IP_CHECKS);
      assert.match(status(after, 'ip-operator.health'), /^pass/);
      assert.match(status(after, 'ip-operator.barrier'), /^pass/);
    });
  });

  test('check --fix orders the Service fix before the operator restart: both applied and verified in one run', async () => {
    await withSim(await stuckWithMisnamedController(), async (sim) => {
      const report = await runFixes(sim, { only: [...IP_CHECKS, 'provider.status-endpoint'] });
      const fixes = (report.fixes ?? []).map((f) => `${f.id}:${f.outcome}`);
      const svcFix = fixes.findIndex((f) => f.startsWith('metallb.expose-controller:'));
      const restart = fixes.findIndex((f) => f.startsWith('ip-operator.restart:'));
      assert.ok(svcFix >= 0 && restart > svcFix, fixes.join(', '));
      const r = report.fixes!.find((f) => f.id === 'ip-operator.restart')!;
      assert.equal(r.outcome, 'applied', `${r.reason} ${r.message}`);
      assert.ok(r.settle?.ok, r.settle?.message);
      assert.match(status(report, 'ip-operator.health'), /^pass/);
    });
  });

  test('a provider waiting for the hostname operator carries on after the hostname operator restart; no provider restart is planned', async () => {
    const st = await loadScenario('f-status-hang-hostname');
    st.behaviour.model = ALL_MODELLED;
    // the provider is modelled from its start (a scripted past would keep hanging until its own restart)
    for (const k of Object.keys(st.behaviour.logs ?? {})) if (k.startsWith('akash-services/akash-provider-0')) delete st.behaviour.logs![k];
    st.behaviour.providerStatus = { mode: 'ok', status: 200, body: {} };
    await withSim(st, async (sim) => {
      const only = ['provider.hostname-operator', 'provider.status-endpoint'];
      const report = await diagnose(sim, only);
      assert.match(status(report, 'provider.status-endpoint'), /^fail: .*still waiting for the hostname operator/);
      const after = await restartAndRecheck(sim, report, 'hostname-operator.restart', only);
      assert.match(status(after, 'provider.hostname-operator'), /^pass/);
      assert.match(status(after, 'provider.status-endpoint'), /^pass/);
      const h2 = fixHarness(sim, after, 'provider.restart-pod');
      try {
        const p = await planOf(h2, 'provider.restart-pod');
        assert.ok(isNoPlan(p), JSON.stringify(p));
      } finally {
        await h2.close();
      }
    });
  });

  test('provider discovery stuck (modelled): the restarted provider finds the operator and /status answers', async () => {
    const st = await loadScenario('f-status-discovery-stuck');
    st.behaviour.model = ALL_MODELLED;
    await withSim(st, async (sim) => {
      const only = ['provider.status-endpoint'];
      const report = await diagnose(sim, only);
      assert.match(status(report, 'provider.status-endpoint'), /^fail/);
      const after = await restartAndRecheck(sim, report, 'provider.restart-pod', only);
      assert.match(status(after, 'provider.status-endpoint'), /^pass/);
    });
  });
});
