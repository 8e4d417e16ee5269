/**
 * The shipped RBAC of `--fix` against reality: every fix, run end to end as the service
 * account with the read roles (deploy/rbac) plus the opt-in write roles (deploy/fix), must
 * never be refused (no `forbidden`, an Event recorded on every object). Scenarios are modelled
 * (cause and effect), one per fix that writes.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadScenario, startSim, type SimState } from '../src/sim/index.js';
import { runFixes } from './fix-helpers.js';
import { grantsOf, manifests, RBAC_DIR, SA_USER } from './rbac-manifests.js';
import { repoRoot } from './report-schema.js';

export const FIX_DIR = path.join(repoRoot, 'deploy', 'fix');

/** scenario -> the fix it must apply (and an edit of the scenario when it needs one) */
export const FIX_SCENARIOS: { scenario: string; fix: string; edit?: (s: SimState) => void }[] = [
  { scenario: 'f-no-metallb-ns', fix: 'metallb.create-namespace' },
  { scenario: 'm-psa-missing-blocked', fix: 'metallb.label-psa' },
  {
    scenario: 'm-legacy-config',
    fix: 'metallb.migrate-legacy-config',
    edit: (s) => {
      const cm = s.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.namespace === 'metallb-system' && o.metadata.name === 'config')!;
      (cm as { data?: unknown }).data = { config: 'address-pools:\n- name: default\n  protocol: layer2\n  addresses:\n  - 203.0.113.0/28\n' };
    },
  },
  { scenario: 'm-pool-not-default', fix: 'metallb.rename-pool' },
  { scenario: 'm-no-advertisement', fix: 'metallb.create-l2-advertisement' },
  { scenario: 'f-controller-port-misnamed', fix: 'metallb.expose-controller' },
  { scenario: 'f-ipvs-no-strictarp', fix: 'kube-proxy.enable-strict-arp' },
  { scenario: 'f-operator-new-stuck', fix: 'ip-operator.restart' },
  { scenario: 'f-status-hang-hostname', fix: 'hostname-operator.restart' },
  { scenario: 'f-status-discovery-stuck', fix: 'provider.restart-pod' },
];

export async function runAsServiceAccount(entry: (typeof FIX_SCENARIOS)[number]): Promise<void> {
  const { rules } = grantsOf([...(await manifests(RBAC_DIR)), ...(await manifests(FIX_DIR))], { writes: true });
  const state = structuredClone(await loadScenario(entry.scenario));
  state.behaviour.model = true;
  entry.edit?.(state);
  const sim = await startSim(state);
  try {
    const kubeconfig = await sim.addUser(SA_USER, rules);
    const report = await runFixes(sim, {}, kubeconfig);
    const fixes = report.fixes ?? [];
    const f = fixes.find((x) => x.id === entry.fix);
    assert.ok(f, `${entry.scenario}: ${entry.fix} planned (have ${fixes.map((x) => `${x.id}:${x.outcome}`).join(', ')})`);
    for (const x of fixes) {
      assert.notEqual(x.reason, 'forbidden', `${entry.scenario}: ${x.id} refused: ${x.missing ?? x.message} — grant it in deploy/fix`);
      for (const n of x.notes ?? []) assert.doesNotMatch(n, /no Event recorded/, `${entry.scenario}: ${x.id}: ${n}`);
    }
    assert.equal(f.outcome, 'applied', `${entry.scenario}: ${entry.fix}: ${f.outcome} ${f.reason ?? ''} ${f.message ?? ''}`);
    const denied = sim.requests.filter((r) => r.status === 403);
    assert.deepEqual(denied.map((r) => `${r.method} ${r.path}`), [], `${entry.scenario}: requests refused`);
  } finally {
    await sim.close();
  }
}
