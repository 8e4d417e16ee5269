/**
 * Every outcome carries a stable details.reason (tests and diagnosis rules match on
 * it, never on message prose): every finding of every scenario run has one.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listScenarios } from '../src/sim/index.js';
import { registry } from '../src/checks/index.js';
import { runScenario } from './helpers.js';


const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;

describe('every finding has a details.reason', { concurrency: 2 }, async () => {
  const names = (await listScenarios()).map((s) => s.name);
  for (const scenario of names) {
    test(scenario, async () => {
      const { report } = await runScenario(scenario, { timeoutMs: 8000 });
      const missing: string[] = [];
      for (const c of report.checks) {
        const reason = (c.details as { reason?: unknown } | undefined)?.reason;
        if (typeof reason === 'string' && KEBAB.test(reason)) continue;
        // the runner's own findings (skip, budget, thrown error) always carry one
        missing.push(`${c.id} (${c.status}): ${JSON.stringify(reason)} — ${c.message.slice(0, 120)}`);
      }
      assert.deepEqual(missing, []);
    });
  }
});
