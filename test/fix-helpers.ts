/**
 * Test helpers for fixes: a fix context against a running sim (fresh client, writer and
 * snapshot), and a plain runner of a plan's steps (dry run or real) for tests of one fix.
 * End-to-end tests of the whole flow use core/fixer.ts instead.
 */
import assert from 'node:assert/strict';
import { KubeClient, loadKubeConfig } from '../src/cluster/client.js';
import { Snapshot } from '../src/cluster/snapshot.js';
import { Writer } from '../src/cluster/writer.js';
import type { FixRecord, Report } from '../src/core/types.js';
import { runDoctorWithFixes, type FixRunOptions } from '../src/core/fixer.js';
import { DEFAULT_TEST_BUDGET_MS, HANGING_STATUS_BUDGET_MS } from './helpers.js';
import { assertValidReportObject } from './report-schema.js';
import { findFix } from '../src/fixes/index.js';
import { isManual, isNoPlan, type FixContext, type FixPlan, type PlanResult } from '../src/fixes/types.js';
import type { SimHandle } from '../src/sim/index.js';

export interface FixHarness {
  ctx: FixContext;
  writer: Writer;
  client: KubeClient;
  close(): Promise<void>;
}

/** A context for planning `fixId` from `report` (the findings whose remedy names it). */
export function fixHarness(sim: SimHandle, report: Report, fixId: string, opts: Partial<FixContext['options']> = {}, kubeconfigPath = sim.kubeconfigPath): FixHarness {
  const client = new KubeClient(loadKubeConfig({ kubeconfig: kubeconfigPath }), { requestTimeoutMs: 10_000, minBackoffMs: 10 });
  const writer = new Writer(client);
  const results = new Map(report.checks.map((c) => [c.id, c]));
  const findings = report.checks.filter((c) => c.status === 'fail' && c.remedy?.fixId === fixId);
  const ctx: FixContext = {
    writer,
    cluster: new Snapshot(client),
    findings,
    results,
    fixedEarlier: new Set<string>(),
    options: { minRestartIntervalMs: 15 * 60_000, settleTimeoutMs: 20_000, ...opts },
    now: new Date(),
    signal: new AbortController().signal,
  };
  return { ctx, writer, client, close: () => client.close() };
}

export async function planOf(h: FixHarness, fixId: string): Promise<PlanResult> {
  const fix = findFix(fixId);
  assert.ok(fix, `fix ${fixId} is registered`);
  return fix.plan(h.ctx);
}

export function asPlan(p: PlanResult): FixPlan {
  assert.ok(!isManual(p) && !isNoPlan(p), `expected a plan of writes, got ${JSON.stringify(p)}`);
  return p;
}

/** Run the steps in order (each dry-run first when `dryRun`), as the fixer does without its lock, events and confirmations. */
export async function runSteps(plan: FixPlan, writer: Writer, dryRun: boolean): Promise<void> {
  for (const s of plan.steps) await s.apply(writer, { dryRun });
}

/** `check --fix --yes` against a sim through the fixer, with test budgets; the report is schema-checked. */
export async function runFixes(sim: SimHandle, opts: Partial<FixRunOptions> = {}, kubeconfig = sim.kubeconfigPath): Promise<Report> {
  const { report } = await runDoctorWithFixes({
    kubeconfig,
    providerUrl: sim.providerUrl,
    minBackoffMs: 10,
    timeoutMs: DEFAULT_TEST_BUDGET_MS,
    checkTimeoutsMs: { 'provider.status-endpoint': HANGING_STATUS_BUDGET_MS },
    settleTimeoutMs: 20_000,
    mode: 'apply',
    yes: true,
    ...opts,
  });
  assertValidReportObject(report, 'fix report');
  return report;
}

/** The fix `id` of a report (asserted present). */
export function fixRecord(report: Report, id: string): FixRecord {
  const f = report.fixes?.find((x) => x.id === id);
  assert.ok(f, `fix ${id} planned (have: ${(report.fixes ?? []).map((x) => `${x.id}:${x.outcome}`).join(', ')})`);
  return f;
}
