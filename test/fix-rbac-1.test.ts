/** The shipped --fix RBAC against reality, half 1: see test/fix-rbac-lib.ts. */
import { test } from 'node:test';
import { FIX_SCENARIOS, runAsServiceAccount } from './fix-rbac-lib.js';

for (const entry of FIX_SCENARIOS.filter((_, i) => i % 2 === 1 - 1)) {
  test(`deploy/rbac + deploy/fix let ${entry.fix} run end to end (${entry.scenario})`, () => runAsServiceAccount(entry));
}
