/**
 * Every outcome carries a stable details.reason (tests and diagnosis rules match on
 * it, never on message prose): every finding of every scenario run has one.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listScenarios } from '../src/sim/index.js';
import { registry } from '../src/checks/index.js';
import { runScenario } from './helpers.js';

/**
 * TEMPORARY, emptied by the lead at merge: checks owned by other branches that do not
 * give every outcome a reason yet (branch metallb: metallb.*, kube-proxy.*; branch
 * operator: ip-operator.*, provider.ip-operator-flag; branch transport: cluster.api).
 * Findings the runner makes for them (skips, budget, thrown errors) must still carry one.
 */
const OTHER_BRANCHES_ALLOWLIST = new Set<string>([
  'cluster.api',
  ...registry.filter((c) => c.id.startsWith('metallb.') || c.id.startsWith('kube-proxy.') || c.id.startsWith('ip-operator.')).map((c) => c.id),
  'provider.ip-operator-flag',
]);

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
        const runnerMade = c.status === 'skip' && (c.details as { blockedBy?: unknown } | undefined)?.blockedBy !== undefined;
        if (!runnerMade && OTHER_BRANCHES_ALLOWLIST.has(c.id)) continue;
        missing.push(`${c.id} (${c.status}): ${JSON.stringify(reason)} — ${c.message.slice(0, 120)}`);
      }
      assert.deepEqual(missing, []);
    });
  }
});
