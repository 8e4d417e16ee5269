/**
 * The flow every MetalLB fix test runs: diagnose the sim, plan, dry run (the sim's objects
 * unchanged byte for byte), apply, diagnose again (the addressed checks pass), plan again (skip).
 */
import assert from 'node:assert/strict';
import { loadScenario, type SimHandle, type SimState } from '../src/sim/index.js';
import { runDoctor } from '../src/core/engine.js';
import type { Report } from '../src/core/types.js';
import { isManual, isNoPlan, type FixPlan, type PlanResult } from '../src/fixes/types.js';
import { asPlan, fixHarness, planOf, runSteps } from './fix-helpers.js';
import { HANGING_STATUS_BUDGET_MS } from './helpers.js';

export async function diagnose(sim: SimHandle, only?: string[]): Promise<Report> {
  const { report } = await runDoctor({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, minBackoffMs: 10, timeoutMs: 20_000, checkTimeoutsMs: { 'provider.status-endpoint': HANGING_STATUS_BUDGET_MS }, ...(only ? { only } : {}) });
  return report;
}

export function status(report: Report, id: string): string {
  const r = report.checks.find((c) => c.id === id);
  assert.ok(r, `check ${id} in report`);
  return `${r.status}:${String(r.details?.reason ?? '')}`;
}

export async function plan(sim: SimHandle, fixId: string, report?: Report): Promise<PlanResult> {
  const h = fixHarness(sim, report ?? (await diagnose(sim)), fixId);
  try {
    return await planOf(h, fixId);
  } finally {
    await h.close();
  }
}

export async function state(name: string, edit?: (s: SimState) => void): Promise<SimState> {
  const s = structuredClone(await loadScenario(name));
  edit?.(s);
  return s;
}

/**
 * Plan (must be a plan of writes), dry run (objects unchanged), apply, re-diagnose (`passes`
 * pass), plan again (skip). Returns the plan and the report after.
 */
export async function fixFlow(sim: SimHandle, fixId: string, passes: string[], opts: { only?: string[] } = {}): Promise<{ plan: FixPlan; after: Report; before: Report }> {
  const before = await diagnose(sim, opts.only);
  const h = fixHarness(sim, before, fixId);
  try {
    const p = asPlan(await planOf(h, fixId));
    assert.ok(p.steps.length > 0, 'the plan has steps');
    for (const s of p.steps) assert.ok(s.command.length > 0, `step ${s.description} has a command`);
    const snapshot = JSON.stringify(sim.objects());
    await runSteps(p, h.writer, true);
    assert.equal(JSON.stringify(sim.objects()), snapshot, 'the dry run changes nothing');
    await runSteps(p, h.writer, false);
    assert.notEqual(JSON.stringify(sim.objects()), snapshot, 'the apply changes the cluster');
    const after = await diagnose(sim, opts.only);
    for (const id of passes) assert.match(status(after, id), /^pass:/, `${id} passes after ${fixId}`);
    const again = await plan(sim, fixId, after);
    assert.ok(isNoPlan(again), `second plan of ${fixId} is a skip, got ${JSON.stringify(again).slice(0, 300)}`);
    return { plan: p, after, before };
  } finally {
    await h.close();
  }
}

export function skipOf(p: PlanResult): string {
  assert.ok(isNoPlan(p), `expected a skip, got ${JSON.stringify(p).slice(0, 300)}`);
  return p.skip;
}

export { isManual };
