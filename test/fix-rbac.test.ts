// test-runner: concurrent (each fix on its own simulator)
/** The shipped --fix RBAC against reality: see test/fix-rbac-lib.ts. */
import { test } from 'node:test';
import { FIX_SCENARIOS, runAsServiceAccount } from './fix-rbac-lib.js';

for (const entry of FIX_SCENARIOS) {
  test(`deploy/rbac + deploy/fix let ${entry.fix} run end to end (${entry.scenario})`, () => runAsServiceAccount(entry));
}
