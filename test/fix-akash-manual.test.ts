/**
 * The manual fixes of `check --fix`: printed commands (pinned chart versions, the provider's
 * address filled in), never run; the checks' remedies name them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withSim } from './helpers.js';
import { fixHarness, planOf } from './fix-helpers.js';
import { runDoctor } from '../src/core/engine.js';
import { isManual, isNoPlan, type ManualPlan } from '../src/fixes/types.js';
import { findFix } from '../src/fixes/index.js';
import { OPERATOR_CHART } from '../src/checks/lib/ip-operator.js';

const ADDRESS = 'akash1xmz9es9ay9ln9x2m3q8dlu0alxf0ltce7ykjfx';

async function manualOf(scenario: string, fixId: string, only: string[]): Promise<{ plan: ManualPlan; askedBy: string[] }> {
  return withSim(scenario, async (sim) => {
    const { report } = await runDoctor({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, minBackoffMs: 10, only });
    const h = fixHarness(sim, report, fixId);
    try {
      const before = JSON.stringify(sim.objects());
      const p = await planOf(h, fixId);
      assert.ok(isManual(p), `${scenario}: expected manual commands, got ${JSON.stringify(p)}`);
      assert.equal(JSON.stringify(sim.objects()), before);
      return { plan: p, askedBy: h.ctx.findings.map((f) => f.id) };
    } finally {
      await h.close();
    }
  });
}

describe('manual fixes', () => {
  test('every manual fix is registered as risk manual, order 100', () => {
    for (const id of ['provider.enable-ip-operator', 'ip-operator.install', 'provider.advertise-ip-lease', 'ip-operator.set-provider-address']) {
      const f = findFix(id);
      assert.ok(f, id);
      assert.equal(f.risk, 'manual');
      assert.equal(f.order, 100);
    }
  });

  test('provider.enable-ip-operator: pinned helm upgrade with ipoperator=true', async () => {
    const { plan, askedBy } = await manualOf('f-flag-missing', 'provider.enable-ip-operator', ['provider.ip-operator-flag', 'provider.helm-values']);
    assert.ok(askedBy.includes('provider.ip-operator-flag'), askedBy.join());
    assert.ok(plan.manual.some((c) => /^helm upgrade akash-provider akash\/provider -n akash-services --version \S+ .*-f provider\.yaml/.test(c)), plan.manual.join('\n'));
    assert.ok(plan.manual.some((c) => /ipoperator[=:] ?true/.test(c)), plan.manual.join('\n'));
  });

  test('ip-operator.install: the current chart pinned, with the provider address', async () => {
    const { plan } = await manualOf('f-no-operator', 'ip-operator.install', ['ip-operator.installed']);
    assert.ok(plan.manual.includes(`helm install akash-ip-operator akash/akash-ip-operator -n akash-services --version ${OPERATOR_CHART.new} --set provider_address=${ADDRESS}`), plan.manual.join('\n'));
    assert.ok(plan.manual.some((c) => /^helm repo add akash /.test(c)));
  });

  test('provider.advertise-ip-lease: attribute in the values, then the restart that publishes it', async () => {
    const { plan } = await manualOf('p-attribute-missing', 'provider.advertise-ip-lease', ['provider.ip-lease-attribute']);
    assert.ok(plan.manual.some((c) => /--set 'attributes\[\d+\]\.key=ip-lease' --set 'attributes\[\d+\]\.value=true'/.test(c) && /--version \S+/.test(c)), plan.manual.join('\n'));
    assert.equal(plan.manual.at(-1), 'kubectl -n akash-services rollout restart statefulset akash-provider');
    assert.ok(plan.notes?.some((n) => /tx provider update/.test(n)));
  });

  test('ip-operator.set-provider-address: pinned upgrade with the provider address, then the operator restart', async () => {
    const { plan } = await manualOf('p-provider-address-mismatch', 'ip-operator.set-provider-address', ['ip-operator.provider-address']);
    assert.ok(plan.manual.some((c) => c.includes(`--reuse-values --set provider_address=${ADDRESS}`)), plan.manual.join('\n'));
    assert.ok(plan.manual.includes('kubectl -n akash-services delete pod -l app.kubernetes.io/name=ip'));
  });

  test('nothing asks for it: skip', async () => {
    await withSim('healthy-helm', async (sim) => {
      const { report } = await runDoctor({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, minBackoffMs: 10, only: ['ip-operator.installed'] });
      const h = fixHarness(sim, report, 'ip-operator.install');
      try {
        assert.ok(isNoPlan(await planOf(h, 'ip-operator.install')));
      } finally {
        await h.close();
      }
    });
  });
});
