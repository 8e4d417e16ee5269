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

export interface ScenarioRun extends DoctorRun {
  sim: SimHandle;
}

/** Run the doctor against a fresh sim of `scenario` (closed afterwards). */
export async function runScenario(scenario: string | SimState, opts: DoctorOptions = {}, faults?: Partial<Faults>): Promise<ScenarioRun> {
  return withSim(
    scenario,
    async (sim) => {
      const run = await runDoctor({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, timeoutMs: 5_000, minBackoffMs: 10, ...opts });
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
