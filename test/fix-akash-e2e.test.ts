// test-runner: concurrent (every test on its own simulator)
/**
 * End to end through the fixer (core/fixer.ts runDoctorWithFixes, --fix --yes): one run per
 * fix of this area on the simulated cluster; the report's `fixes` say applied, settled and
 * verified by the re-check (manual fixes: the commands, nothing written).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withSim } from './helpers.js';
import { fixRecord, runFixes } from './fix-helpers.js';
import { loadScenario, type SimHandle, type SimState } from '../src/sim/index.js';
import { RESTARTED_AT_ANNOTATION } from '../src/fixes/lib.js';
import type { FixRecord, Report } from '../src/core/types.js';

function fixRun(sim: SimHandle, only: string[], mode: 'apply' | 'dry-run' = 'apply'): Promise<Report> {
  return runFixes(sim, { only, mode });
}

const record = fixRecord;

function assertApplied(r: FixRecord, verified: Record<string, string>): void {
  assert.equal(r.outcome, 'applied', `${r.id}: ${r.outcome} ${r.reason ?? ''} ${r.message ?? ''}`);
  assert.ok(r.settle?.ok, `${r.id} settled: ${r.settle?.message}`);
  assert.deepEqual(r.verified, verified);
}

function annotationOf(sim: SimHandle, kind: string, ns: string, name: string): string | undefined {
  return (sim.objects().find((o) => o.kind === kind && o.metadata.namespace === ns && o.metadata.name === name)?.metadata.annotations as Record<string, string> | undefined)?.[RESTARTED_AT_ANNOTATION];
}

describe('check --fix --yes, end to end', () => {
  test('kube-proxy.enable-strict-arp: dry run changes nothing, apply edits, rolls out and verifies', async () => {
    const st: SimState = await loadScenario('f-ipvs-no-strictarp');
    // two running kube-proxy pods (the DaemonSet wants 2; the scenarios model none)
    for (const [i, node] of ['node1', 'node2'].entries()) {
      st.objects.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `kube-proxy-q2x7${i}`, namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-proxy', controller: true, uid: 'x' }] },
        spec: { nodeName: node, containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.30.4' }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      } as never);
    }
    await withSim(st, async (sim) => {
      const only = ['kube-proxy.strict-arp'];
      const before = JSON.stringify(sim.objects().filter((o) => o.kind !== 'Event'));
      const dry = await fixRun(sim, only, 'dry-run');
      assert.equal(record(dry, 'kube-proxy.enable-strict-arp').outcome, 'dry-run');
      assert.equal(JSON.stringify(sim.objects().filter((o) => o.kind !== 'Event')), before);
      const report = await fixRun(sim, only);
      const r = record(report, 'kube-proxy.enable-strict-arp');
      assertApplied(r, { 'kube-proxy.strict-arp': 'pass' });
      assert.deepEqual(r.steps.map((s) => `${s.verb}:${s.state}`), ['update:applied', 'patch:applied', 'restart:applied']);
      assert.ok(annotationOf(sim, 'DaemonSet', 'kube-system', 'kube-proxy'), 'restart recorded for the rate limit');
      // a second run: nothing fails, nothing to fix
      assert.deepEqual((await fixRun(sim, only)).fixes, []);
    });
  });

  test('ip-operator.restart: f-operator-new-stuck heals', async () => {
    await withSim('f-operator-new-stuck', async (sim) => {
      const report = await fixRun(sim, ['ip-operator.installed', 'ip-operator.health', 'ip-operator.barrier']);
      const r = record(report, 'ip-operator.restart');
      assertApplied(r, { 'ip-operator.health': 'pass', 'ip-operator.barrier': 'pass' });
      assert.match(r.settle!.message, /\/health answers 200/);
      assert.ok(annotationOf(sim, 'Deployment', 'akash-services', 'operator-ip'));
    });
  });

  test('hostname-operator.restart: f-status-hang-hostname, the hostname operator answers again', async () => {
    await withSim('f-status-hang-hostname', async (sim) => {
      const report = await fixRun(sim, ['provider.hostname-operator']);
      assertApplied(record(report, 'hostname-operator.restart'), { 'provider.hostname-operator': 'pass' });
    });
  });

  test('provider.restart-pod: f-status-discovery-stuck, /status answers after the restart', async () => {
    await withSim('f-status-discovery-stuck', async (sim) => {
      const report = await fixRun(sim, ['provider.status-endpoint']);
      const r = record(report, 'provider.restart-pod');
      assertApplied(r, { 'provider.status-endpoint': 'pass' });
      assert.ok(annotationOf(sim, 'StatefulSet', 'akash-services', 'akash-provider'));
    });
  });

  test('manual: f-no-operator prints the pinned install and writes nothing', async () => {
    await withSim('f-no-operator', async (sim) => {
      const before = JSON.stringify(sim.objects());
      const report = await fixRun(sim, ['ip-operator.installed']);
      const r = record(report, 'ip-operator.install');
      assert.equal(r.outcome, 'manual');
      assert.ok(r.commands?.some((c) => /helm install akash-ip-operator .* --version 19\.0\.2 --set provider_address=akash1/.test(c)), JSON.stringify(r.commands));
      assert.equal(JSON.stringify(sim.objects()), before);
    });
  });
});
