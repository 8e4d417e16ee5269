/**
 * Shared by test/fix-flow-*.test.ts: `check --fix` end to end through the fixer (core/fixer.ts) and the CLI, on the simulated
 * cluster over real HTTPS: the server dry run changes nothing, an apply is verified by a
 * re-check, a second run plans nothing, no terminal and no --yes writes nothing, two fixers at
 * once, an interrupted plan, RBAC-denied writes and a conflict on resourceVersion.
 */
import assert from 'node:assert/strict';
import { type SimHandle, type SimState } from '../src/sim/index.js';
import type { Report } from '../src/core/types.js';
import { fixRecord, runFixes } from './fix-helpers.js';
import { withScenario as withScenarioOf } from './helpers.js';
import { raw } from './sim-model-helpers.js';

export const WRITE = /^(POST|PUT|PATCH|DELETE)$/;

/** The fixes are verified by cause and effect: MetalLB, the operators and the provider are modelled. */
export function withScenario<T>(name: string, fn: (sim: SimHandle) => Promise<T>, edit?: (s: SimState) => void): Promise<T> {
  return withScenarioOf(name, fn, (state) => {
    state.behaviour.model = true;
    edit?.(state);
  });
}

export const fixRun = runFixes;
export const fix = fixRecord;

export function check(report: Report, id: string): string {
  const c = report.checks.find((x) => x.id === id);
  assert.ok(c, `check ${id}`);
  return c.status;
}

export function writes(sim: SimHandle): string[] {
  return sim.requests.filter((r) => WRITE.test(r.method) && !r.path.endsWith('/selfsubjectaccessreviews')).map((r) => `${r.method} ${r.path}${r.query ? `?${r.query}` : ''} ${r.status}`);
}

export async function controllerPortName(sim: SimHandle): Promise<string | undefined> {
  const r = await raw(sim.kubeconfigPath, 'GET', '/api/v1/namespaces/metallb-system/services/controller');
  return r.json().spec?.ports?.[0]?.name;
}

