import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose, RULES } from '../src/core/diagnosis.js';
import { registry } from '../src/checks/index.js';
import type { CheckResult, Status } from '../src/core/types.js';

function results(bad: Record<string, Status | [Status, string]>, extra: Partial<Record<string, Partial<CheckResult>>> = {}): CheckResult[] {
  return registry.map((c) => {
    const b = bad[c.id];
    const [status, message] = Array.isArray(b) ? b : [b ?? 'pass', b ? `${c.id} is ${b}` : 'ok'];
    return { id: c.id, title: c.title, category: c.category, docs: '', durationMs: 1, status, message, ...extra[c.id] };
  });
}

describe('diagnosis rules', () => {
  test('every rule triggers on a registered check and explains registered checks', () => {
    const ids = new Set(registry.map((c) => c.id));
    for (const r of RULES) {
      assert.ok(ids.has(r.trigger), `${r.id}: unknown trigger ${r.trigger}`);
      for (const e of r.explains) assert.ok(e === '*' || ids.has(e), `${r.id}: unknown explained check ${e}`);
    }
  });

  for (const rule of RULES) {
    test(`rule ${rule.id}: names its trigger first and claims its symptoms`, () => {
      const status = (rule.statuses ?? ['fail'])[0]!;
      const bad: Record<string, Status> = { [rule.trigger]: status };
      const symptoms = rule.explains.includes('*') ? registry.filter((c) => c.id !== rule.trigger).map((c) => c.id) : rule.explains;
      for (const s of symptoms) bad[s] = rule.explains.includes('*') ? 'skip' : 'fail';
      const d = diagnose(results(bad, { [rule.trigger]: { remedy: { summary: 's', commands: ['kubectl do-the-fix'] }, ...rule.example } }));
      assert.equal(d[0]?.rule, rule.id, `expected ${rule.id} first, got ${d.map((x) => x.rule).join(', ')}`);
      assert.equal(d.length, 1, `one root cause expected, got ${d.map((x) => x.rule).join(', ')}`);
      for (const s of symptoms) assert.ok(d[0]!.explains.includes(s), `${rule.id} should explain ${s}`);
      assert.ok(d[0]!.firstStep.length > 0);
      if (!rule.firstStep) assert.equal(d[0]!.firstStep, 'kubectl do-the-fix');
    });
  }

  test('a single root problem is named once, not as five symptoms', () => {
    const d = diagnose(
      results({
        'metallb.controller-service': ['fail', 'Service metallb-system/controller has no port named "monitoring"'],
        'metallb.metrics': 'fail',
        'ip-operator.health': 'fail',
        'ip-operator.barrier': 'fail',
        'ip-operator.usage': 'skip',
        'provider.status-endpoint': 'fail',
        'provider.pod': 'warn',
      }),
    );
    assert.equal(d.length, 1);
    assert.equal(d[0]!.rule, 'controller-service');
    assert.match(d[0]!.cause, /has no port named "monitoring"/);
    assert.deepEqual(new Set(d[0]!.explains), new Set(['metallb.controller-service', 'metallb.metrics', 'ip-operator.health', 'ip-operator.barrier', 'ip-operator.usage', 'provider.status-endpoint', 'provider.pod']));
  });

  test('independent problems are each named, deepest first', () => {
    const d = diagnose(results({ 'kube-proxy.strict-arp': 'fail', 'ip-operator.barrier': 'fail', 'provider.status-endpoint': 'fail' }));
    assert.deepEqual(d.map((x) => x.rule), ['operator-stuck', 'strict-arp']);
  });

  test('a rule with a condition does not fire without it', () => {
    const d = diagnose(results({ 'provider.pod': 'fail' }));
    assert.deepEqual(d.map((x) => x.rule), ['check:provider.pod']);
    const missing = diagnose(results({ 'provider.pod': 'fail', 'provider.ip-operator-flag': 'fail', 'provider.status-endpoint': 'fail' }, { 'provider.pod': { details: { reason: 'statefulset-missing' } } }));
    assert.deepEqual(missing.map((x) => x.rule), ['provider-missing']);
  });

  test('a warning alone is no root cause; strict-arp fires only on fail', () => {
    assert.deepEqual(diagnose(results({ 'kube-proxy.strict-arp': 'warn', 'metallb.excluded-nodes': 'warn' })), []);
  });

  test('forbidden errors are grouped as one could-not-check entry, not cluster findings', () => {
    const d = diagnose(results({ 'ip-operator.barrier': 'error', 'provider.helm-release': 'error' }, { 'ip-operator.barrier': { details: { reason: 'forbidden' } }, 'provider.helm-release': { details: { reason: 'forbidden' } } }));
    assert.equal(d.length, 1);
    assert.equal(d[0]!.rule, 'could-not-check:forbidden');
    assert.deepEqual(d[0]!.explains.sort(), ['ip-operator.barrier', 'provider.helm-release']);
    assert.match(d[0]!.firstStep, /cluster\.permissions/);
  });

  test('an error never fires a rule: a timed-out or 401 check is no "not installed"', () => {
    for (const rule of RULES) {
      if (rule.explains.includes('*')) continue;
      const d = diagnose(results({ [rule.trigger]: 'error' }, { [rule.trigger]: { details: { reason: 'timeout' }, ...(rule.example?.details ? { details: { ...rule.example.details, reason: 'timeout' } } : {}) } }));
      assert.deepEqual(d.map((x) => x.rule), ['could-not-check:timeout'], `${rule.id} fired on an error of ${rule.trigger}`);
    }
  });

  test('errors are grouped per reason, each naming its checks and the likely local cause', () => {
    const d = diagnose(
      results(
        { 'ip-operator.installed': 'error', 'ip-operator.health': 'error', 'metallb.installed': 'error', 'provider.pod': 'error', 'kube-proxy.strict-arp': 'error' },
        {
          'ip-operator.installed': { details: { reason: 'timeout' } },
          'ip-operator.health': { details: { reason: 'timeout' } },
          'metallb.installed': { details: { reason: 'unauthorized' } },
          'provider.pod': { details: { reason: 'unreachable' } },
          'kube-proxy.strict-arp': { details: {} },
        },
      ),
    );
    const byRule = new Map(d.map((x) => [x.rule, x]));
    assert.deepEqual([...byRule.keys()].sort(), ['could-not-check:timeout', 'could-not-check:unauthorized', 'could-not-check:unknown', 'could-not-check:unreachable']);
    assert.deepEqual(byRule.get('could-not-check:timeout')!.explains, ['ip-operator.installed', 'ip-operator.health']);
    assert.match(byRule.get('could-not-check:timeout')!.firstStep, /--timeout/);
    assert.match(byRule.get('could-not-check:unauthorized')!.cause, /credentials/);
    assert.match(byRule.get('could-not-check:unreachable')!.cause, /proxy/);
    for (const x of d) assert.doesNotMatch(x.cause, /not installed|not running/);
  });

  test('an errored check is never claimed as the symptom of a cause', () => {
    const d = diagnose(results({ 'ip-operator.barrier': 'fail', 'ip-operator.health': 'error' }, { 'ip-operator.health': { details: { reason: 'timeout' } } }));
    assert.deepEqual(d.map((x) => x.rule), ['operator-stuck', 'could-not-check:timeout']);
    assert.ok(!d[0]!.explains.includes('ip-operator.health'));
  });

  test('the operator the provider waits for is named: hostname first, an IP-operator failure does not claim /status', () => {
    const d = diagnose(
      results(
        { 'provider.hostname-operator': 'fail', 'ip-operator.barrier': 'fail', 'provider.status-endpoint': 'fail', 'provider.pod': 'fail' },
        { 'provider.status-endpoint': { details: { reason: 'waiting-for-hostname-operator' } } },
      ),
    );
    assert.deepEqual(d.map((x) => x.rule), ['hostname-operator', 'operator-stuck']);
    assert.ok(d[0]!.explains.includes('provider.status-endpoint'));
    assert.ok(!d[1]!.explains.includes('provider.status-endpoint'));
  });

  test('a failed one-shot discovery is named only when the operator itself is fine now', () => {
    const stuck = { 'provider.status-endpoint': { details: { reason: 'discovery-stuck', providerDiscoveryFailed: { service: 'operator-ip', error: 'server misbehaving' } } } };
    const alone = diagnose(results({ 'provider.status-endpoint': 'fail' }, stuck));
    assert.deepEqual(alone.map((x) => x.rule), ['provider-discovery-stuck']);
    assert.match(alone[0]!.firstStep, /kubectl -n akash-services delete pod akash-provider-0/);
    const withOperator = diagnose(results({ 'provider.status-endpoint': 'fail', 'ip-operator.installed': 'fail' }, stuck));
    assert.deepEqual(withOperator.map((x) => x.rule), ['operator-missing']);
  });

  test('a failure no rule covers is listed with its own first step', () => {
    const d = diagnose(results({ 'ip-operator.crd': 'fail' }, { 'ip-operator.crd': { hint: 'install the CRD' } }));
    assert.equal(d.length, 1);
    assert.equal(d[0]!.rule, 'check:ip-operator.crd');
    assert.equal(d[0]!.firstStep, 'install the CRD');
  });

  test('an unreachable API explains everything else', () => {
    const bad: Record<string, Status> = { 'cluster.api': 'fail' };
    for (const c of registry) if (c.id !== 'cluster.api') bad[c.id] = 'skip';
    const d = diagnose(results(bad));
    assert.equal(d.length, 1);
    assert.equal(d[0]!.rule, 'api-unreachable');
  });
});
