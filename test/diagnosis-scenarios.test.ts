// test-runner: group scenario-runs (reads the shared runs of every scenario: test/scenario-runs.ts)
/**
 * Root cause up front, end to end: every built-in scenario through the real
 * client against the simulator, and the diagnosis it must produce. A scenario
 * with a single root problem must be named by exactly one cause, and every finding carries a
 * stable details.reason.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { scenarioNames, sharedRun } from './scenario-runs.js';

const EXPECTED: [string, string[]][] = [
  ['demo', ['controller-service', 'strict-arp']],
  ['f-cilium-kpr', []],
  ['f-controller-port-80', []],
  ['f-controller-port-misnamed', ['controller-service']],
  ['f-controller-port-wrong', ['controller-service']],
  ['f-controller-selector-nothing', ['controller-service']],
  ['f-controller-selects-speaker', []],
  ['f-controller-svc-missing', ['controller-service']],
  ['f-flag-ap-prefix', []],
  ['f-flag-env-only', []],
  ['f-flag-env-overrides', ['ip-leases-disabled']],
  ['f-flag-envfrom-only', []],
  ['f-flag-false', ['ip-leases-disabled']],
  ['f-flag-missing', ['ip-leases-disabled']],
  ['f-flag-separate-value', []],
  ['f-iptables', []],
  ['f-ipvs-no-strictarp', ['strict-arp']],
  ['f-ipvs-strictarp-absent', ['strict-arp']],
  // errors never fire a rule: grouped per details.reason (the lead sets the reason of the owning branch at merge)
  ['f-kube-proxy-bad-yaml', ['could-not-check:config-unparsable']],
  ['f-kube-router', []],
  ['f-kubespray-svc-missing', ['controller-service']],
  ['f-no-kube-proxy', []],
  ['f-no-metallb-ns', ['metallb-missing']],
  ['f-no-operator', ['operator-missing']],
  ['f-no-provider', ['provider-missing']],
  ['f-operator-address-invented', ['operator-no-address']],
  ['f-operator-new-stuck', ['operator-stuck']],
  ['f-operator-old-current-provider', ['operator-missing']],
  ['f-operator-old-stuck', ['operator-stuck']],
  ['f-operator-recovered', []],
  ['f-operator-stuck-quiet', ['operator-stuck']],
  ['f-status-500', ['status-endpoint']],
  ['f-status-discovery-stuck', ['provider-discovery-stuck']],
  ['f-status-hang', ['status-endpoint']],
  ['f-status-hang-hostname', ['hostname-operator']],
  ['f-status-not-json', ['status-endpoint']],
  ['f-status-refused', ['status-endpoint']],
  ['healthy-helm', []],
  ['healthy-kubespray', []],
  ['m-advertisement-other-pool', ['no-advertisement']],
  ['m-advertisement-selector', []],
  ['m-controller-unavailable', ['metallb-controller-missing']],
  ['m-excluded-ignored', []],
  ['m-excluded-single-node', ['excluded-nodes']],
  ['m-excluded-some', []],
  ['m-helm-release-renamed', []],
  ['m-legacy-config', ['legacy-config']],
  ['m-legacy-leftover', []],
  ['m-memberlist-missing', ['speaker']],
  ['m-metallb-0-12', ['metallb-version']],
  ['m-metallb-0-16', ['metallb-version']],
  ['m-metrics-svc-missing', ['controller-service']],
  ['m-metrics-unreachable', ['controller-service']],
  ['m-no-advertisement', ['no-advertisement']],
  ['m-pool-exhausted', ['pool-exhausted']],
  ['m-pool-invalid-entry', ['no-default-pool']],
  ['m-pool-low', []],
  ['m-pool-no-autoassign', ['pool-not-assignable']],
  ['m-pool-not-default', ['no-default-pool']],
  ['m-pool-overlap', ['no-default-pool']],
  ['m-pool-service-allocation', ['pool-not-assignable']],
  ['m-pool-status-capacity', ['controller-service']],
  ['m-psa-baseline', ['pod-security']],
  ['m-psa-missing-blocked', ['pod-security']],
  ['m-psa-missing', []],
  ['m-speaker-not-ready', ['speaker']],
  ['m-version-unparsable', []],
  ['p-attribute-feat-endpoint-ip', []],
  ['p-attribute-missing', ['attribute']],
  ['p-crd-missing', ['check:ip-operator.crd']],
  ['p-health-503', ['operator-stuck']],
  ['p-helm-missing', []],
  ['p-operator-both-layouts', []],
  ['p-operator-unavailable', ['operator-missing']],
  ['p-provider-address-mismatch', ['address-mismatch']],
  ['p-provider-crashloop', ['operator-stuck']],
  ['p-restricted-token', []],
  ['p-usage-exhausted', ['pool-exhausted']],
  ['p-usage-low', []],
  ['p-usage-zero', ['no-default-pool']],
  ['p-values-flag-mismatch', ['ip-leases-disabled']],
  ['p-values-no-ipoperator', ['helm-values']],
];

const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;

describe('diagnosis of every scenario', { concurrency: true }, () => {
  test('every scenario has an expectation', async () => {
    assert.deepEqual(await scenarioNames(), EXPECTED.map(([n]) => n).sort());
  });
  for (const [scenario, rules] of EXPECTED) {
    test(`${scenario} -> ${rules.length ? rules.join(', ') : 'no root cause'}`, async () => {
      // the shared run: the helpers' generous default budget; a /status that hangs gets its own short one there
      const { report } = await sharedRun(scenario);
      const got = (report.diagnosis ?? []).map((d) => d.rule);
      assert.deepEqual(got, rules, `diagnosis: ${JSON.stringify(report.diagnosis, null, 1)}`);
      // whatever fails or errors is explained by some cause
      const explained = new Set((report.diagnosis ?? []).flatMap((d) => d.explains));
      for (const c of report.checks) if (c.status === 'fail' || c.status === 'error') assert.ok(explained.has(c.id), `${c.id} (${c.status}) is not explained`);
      // every outcome carries a stable kebab-case details.reason (rules and tests match on it, never on prose)
      const missing = report.checks
        .filter((c) => !KEBAB.test(String((c.details as { reason?: unknown } | undefined)?.reason ?? '')))
        .map((c) => `${c.id} (${c.status}): ${JSON.stringify((c.details as { reason?: unknown } | undefined)?.reason)} — ${c.message.slice(0, 120)}`);
      assert.deepEqual(missing, [], 'findings without a details.reason');
    });
  }
});
