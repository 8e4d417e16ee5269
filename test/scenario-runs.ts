/**
 * Every built-in scenario run once per test process with runScenario's defaults (real client,
 * real HTTPS, the report validated against the schema) and kept in memory: the tests that read
 * whole runs of every scenario (test/diagnosis-scenarios, test/unattended-rbac) share them
 * instead of running each scenario again. Those files say `// test-runner: group scenario-runs`
 * so that the runner (scripts/run-tests.mjs) puts them in the same process. A shared run is
 * read, never changed.
 */
import { listScenarios } from '../src/sim/index.js';
import { runScenario, type ScenarioRun } from './helpers.js';

/** Scenario runs at once: most of a run waits on sockets (and some on a /status that hangs). */
const AT_ONCE = 12;
const runs = new Map<string, Promise<ScenarioRun>>();
let active = 0;
const waiting: (() => void)[] = [];

async function limited<T>(fn: () => Promise<T>): Promise<T> {
  // a finished run hands its slot to the next waiting one
  if (active >= AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
  else active++;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else active--;
  }
}

/** The shared run of scenario `name` (started on first use). */
export function sharedRun(name: string): Promise<ScenarioRun> {
  let run = runs.get(name);
  if (!run) {
    run = limited(() => runScenario(name));
    runs.set(name, run);
  }
  return run;
}

/** The names of every built-in scenario, sorted. */
export async function scenarioNames(): Promise<string[]> {
  return (await listScenarios()).map((s) => s.name).sort();
}
