/**
 * Shared test helpers: start the simulated cluster for a scenario and run the
 * doctor against it with the real client over HTTPS.
 */
import assert from 'node:assert/strict';
import { startSim, loadScenario, type SimHandle, type SimState, type Faults } from '../src/sim/index.js';
import { runDoctor, type DoctorOptions, type DoctorRun } from '../src/core/engine.js';
import type { CheckResult, Report } from '../src/core/types.js';
import { assertValidReportObject } from './report-schema.js';

export async function withSim<T>(scenario: string | SimState, fn: (sim: SimHandle) => Promise<T>, faults?: Partial<Faults>): Promise<T> {
  const state = typeof scenario === 'string' ? await loadScenario(scenario) : scenario;
  const sim = await startSim(state, faults);
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

/** A sim of a copy of scenario `name`, changed by `tweak` first (closed afterwards). */
export async function withScenario<T>(name: string, fn: (sim: SimHandle) => Promise<T>, tweak?: (s: SimState) => void): Promise<T> {
  const state = structuredClone(await loadScenario(name));
  tweak?.(state);
  return withSim(state, fn);
}

export interface ScenarioRun extends DoctorRun {
  sim: SimHandle;
}

/**
 * Budget of provider.status-endpoint in a scenario whose provider /status hangs (scripted, or
 * the modelled provider waiting for an operator):
 * the probe can only time out there, so waiting out the full budget of the run proves
 * nothing more. The probe gets what the budget leaves after the check found the provider's
 * address, less 1 s (the explanation from the provider's log is read while it waits): 5 s
 * leaves room for a test process running many tests side by side on a loaded machine.
 */
export const HANGING_STATUS_BUDGET_MS = 5_000;

/** Per-check budget of a test run unless it says otherwise: generous, real work must never hit it. */
export const DEFAULT_TEST_BUDGET_MS = 30_000;

/**
 * The budgets of a test run on `sim` unless `opts` sets them: DEFAULT_TEST_BUDGET_MS, and
 * HANGING_STATUS_BUDGET_MS for provider.status-endpoint when the sim's /status hangs now
 * (scripted, or the modelled provider still waiting for an operator).
 */
export function testBudgets(sim: SimHandle, opts: Pick<DoctorOptions, 'timeoutMs' | 'checkTimeoutsMs'> = {}): Pick<DoctorOptions, 'timeoutMs' | 'checkTimeoutsMs'> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TEST_BUDGET_MS;
  const hangingStatus = sim.providerStatusMode() === 'hang';
  return { timeoutMs, checkTimeoutsMs: opts.checkTimeoutsMs ?? (hangingStatus ? { 'provider.status-endpoint': Math.min(HANGING_STATUS_BUDGET_MS, timeoutMs) } : undefined) };
}

/** Run the doctor against a fresh sim of `scenario` (closed afterwards). */
export async function runScenario(scenario: string | SimState, opts: DoctorOptions = {}, faults?: Partial<Faults>): Promise<ScenarioRun> {
  const state = typeof scenario === 'string' ? await loadScenario(scenario) : scenario;
  return withSim(
    state,
    async (sim) => {
      const run = await runDoctor({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, minBackoffMs: 10, ...opts, ...testBudgets(sim, opts) });
      // every report a test produces matches schema/report.schema.json
      assertValidReportObject(run.report, typeof scenario === 'string' ? `report of ${scenario}` : 'report');
      return { ...run, sim };
    },
    faults,
  );
}

export function result(report: Report, id: string): CheckResult {
  const r = report.checks.find((c) => c.id === id);
  assert.ok(r, `check ${id} missing from report (have: ${report.checks.map((c) => c.id).join(', ')})`);
  return r;
}

/** Assert a check's status and that its message matches every pattern. */
export function expectCheck(report: Report, id: string, status: CheckResult['status'], ...patterns: RegExp[]): CheckResult {
  const r = result(report, id);
  assert.equal(r.status, status, `${id}: expected ${status}, got ${r.status}: ${r.message}`);
  for (const p of patterns) assert.match(r.message + ' ' + (r.hint ?? ''), p, `${id}: message "${r.message}" / hint "${r.hint ?? ''}" does not match ${p}`);
  return r;
}
