/**
 * One slice of the RBAC recording (test/unattended-rbac-N.test.ts): full runs of every
 * SLICES-th scenario against the simulated cluster, every request's RBAC attributes
 * recorded and written to RECORD_DIR for test/unattended-rbac-compare.test.ts. Split in
 * slices so each test file stays well inside the runner's per-file time limit.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { listScenarios } from '../src/sim/index.js';
import { runScenario } from './helpers.js';
import { writeFileAtomic } from '../src/report/file.js';
import { accessOf, grantsOf, key, manifests, covers, RBAC_DIR, RECORD_DIR, SLICES, type Access, type SliceRecord } from './rbac-manifests.js';

export function recordSlice(slice: number): void {
  describe(`RBAC recording, slice ${slice + 1} of ${SLICES}`, () => {
    const seen = new Map<string, { access: Access; scenarios: Set<string> }>();
    const statuses: Record<string, [string, string][]> = {};
    const mine: string[] = [];

    describe('full runs of the scenarios', { concurrency: 1 }, async () => {
      const names = (await listScenarios()).map((s) => s.name);
      assert.ok(names.length > 10, names.join(', '));
      mine.push(...names.filter((_, i) => i % SLICES === slice));
      for (const name of mine) {
        test(name, async () => {
          // the shared scenario run: generous budgets, a short one only for a /status that hangs on
          // purpose, and the report validated against the schema
          const { report, sim } = await runScenario(name);
          statuses[name] = report.checks.map((c) => [c.id, c.status]);
          for (const r of sim.requests) {
            if (r.user !== 'admin') continue;
            const a = accessOf(r);
            if (!a) continue;
            let e = seen.get(key(a));
            if (!e) seen.set(key(a), (e = { access: a, scenarios: new Set() }));
            e.scenarios.add(name);
          }
        });
      }
    });

    test('every read of these scenarios is granted by deploy/rbac', async () => {
      const { grants } = grantsOf(await manifests(RBAC_DIR));
      const missing = [...seen.values()].filter((n) => !grants.some((g) => covers(g, n.access)));
      assert.deepEqual(
        missing.map((m) => `${key(m.access)} (e.g. scenario ${[...m.scenarios][0]})`),
        [],
        'the doctor makes reads deploy/rbac does not grant: add them to deploy/rbac (cluster-scoped and other-namespace reads to clusterrole-read.yaml, the rest to roles-read.yaml)',
      );
      const record: SliceRecord = { slice, scenarios: mine, seen: [...seen.values()].map((e) => ({ access: e.access, scenarios: [...e.scenarios] })), statuses };
      await mkdir(RECORD_DIR, { recursive: true });
      await writeFileAtomic(path.join(RECORD_DIR, `slice-${slice}.json`), JSON.stringify(record));
    });
  });
}
