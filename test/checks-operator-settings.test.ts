/**
 * provider.ip-operator-flag through the shared flag/env reader, end to end against the
 * simulator: AP_ prefix, pflag bool semantics, flag over env.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, expectCheck } from './helpers.js';
import { find, variant } from './checks-provider-fixtures.js';

const FLAG = 'provider.ip-operator-flag';
const reason = (r: { details?: Record<string, unknown> }) => r.details?.reason;

describe('provider.ip-operator-flag reads --ip-operator / AP_IP_OPERATOR / AKASH_IP_OPERATOR', () => {
  test('env AP_IP_OPERATOR=true enables it (the AP prefix is bound like AKASH)', async () => {
    const { report } = await runScenario('f-flag-ap-prefix', { only: [FLAG] });
    const r = expectCheck(report, FLAG, 'pass', /AP_IP_OPERATOR=true/);
    assert.equal(reason(r), 'env-true');
    assert.equal(r.details?.env, 'AP_IP_OPERATOR');
  });

  test('"--ip-operator false" is true: a bool flag takes its value only as --ip-operator=value', async () => {
    const { report } = await runScenario('f-flag-separate-value', { only: [FLAG] });
    const r = expectCheck(report, FLAG, 'pass', /--ip-operator, which is true/, /"false" after it is a separate argument/);
    assert.equal(reason(r), 'flag-true');
    assert.equal(r.details?.strayValue, 'false');
  });

  test('--ip-operator=false wins over AKASH_IP_OPERATOR=true in the ConfigMap; the last occurrence counts', async () => {
    const off = await variant('healthy-helm', {
      edit: (o) => void (find(o, 'StatefulSet/akash-services/akash-provider').spec.template.spec.containers[0].args = ['provider-services', 'run', '--ip-operator=true', '--ip-operator=false']),
    });
    const r = expectCheck((await runScenario(off, { only: [FLAG] })).report, FLAG, 'fail', /--ip-operator=false \(command-line flag, it wins over the environment\)/, /AKASH_IP_OPERATOR \(configmap akash-provider-main\) = "true" loses/);
    assert.equal(reason(r), 'flag-false');
    assert.equal(r.details?.source, 'args');
  });

  test('a value that is no Go bool is not true', async () => {
    const s = await variant('healthy-helm', { edit: (o) => void (find(o, 'ConfigMap/akash-services/akash-provider-main').data.AKASH_IP_OPERATOR = 'yes') });
    const r = expectCheck((await runScenario(s, { only: [FLAG] })).report, FLAG, 'fail', /is "yes", which the provider does not read as true/);
    assert.equal(reason(r), 'env-invalid');
  });
});
