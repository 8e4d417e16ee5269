import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { sanitize, sanitizeLine, redact } from '../src/report/sanitize.js';
import { renderTable } from '../src/report/table.js';
import { renderJson } from '../src/report/json.js';
import type { Report } from '../src/core/types.js';

function report(message: string, extra: Partial<Report['checks'][number]> = {}): Report {
  return {
    schemaVersion: 1,
    tool: { name: 'akash-ip-doctor', version: '0.0.0' },
    startedAt: new Date(0).toISOString(),
    durationMs: 5,
    cluster: { context: 'ctx', server: 'https://127.0.0.1:1', version: 'v1.30.4' },
    summary: { pass: 0, warn: 0, fail: 1, skip: 0, error: 0, healthy: false },
    diagnosis: [{ rule: 'r', cause: 'the cause', firstStep: 'kubectl fix', explains: ['ip-operator.barrier'] }],
    checks: [{ id: 'ip-operator.barrier', title: 't', category: 'ip-operator', status: 'fail', message, docs: 'd', durationMs: 1, hint: 'restart it', remedy: { summary: 'restart', commands: ['kubectl -n akash-services delete pod -l app.kubernetes.io/name=ip'] }, ...extra }],
  };
}

describe('sanitising', () => {
  test('escape sequences and control characters are stripped', () => {
    assert.equal(sanitize('a\u001b[31mred\u001b[0m b'), 'ared b');
    assert.equal(sanitize('title\u001b]0;pwned\u0007done'), 'titledone');
    assert.equal(sanitize('x\u0000y\u0008z\u0085q'), 'xyzq');
    assert.equal(sanitize('a\u009b31mb'), 'ab');
    assert.equal(sanitizeLine('one\ntwo\r\nthree'), 'one two three');
  });

  test('the table never passes a cluster-supplied escape sequence to the terminal', () => {
    const out = renderTable(report('barrier is locked \u001b[2J\u001b]52;c;ZXZpbA==\u0007 path=/health'), { color: false });
    assert.ok(!out.includes('\u001b'), JSON.stringify(out));
    assert.match(out, /barrier is locked/);
  });

  test('colour only when asked', () => {
    assert.ok(!renderTable(report('m'), { color: false }).includes('\u001b['));
    assert.ok(renderTable(report('m'), { color: true }).includes('\u001b[31m'));
  });

  test('table shows root cause, hint and fix commands under the failure, and a summary', () => {
    const out = renderTable(report('barrier locked'), { color: false, width: 120 });
    assert.match(out, /Most likely root cause:\n\s+1\. the cause\n\s+First step: kubectl fix/);
    assert.match(out, /hint: restart it/);
    assert.match(out, /\$ kubectl -n akash-services delete pod -l app\.kubernetes\.io\/name=ip/);
    assert.match(out, /1 checks: 0 pass, 0 warn, 1 fail, 0 skip, 0 error — IP leases: NOT ready/);
  });
});

describe('redaction', () => {
  test('values under secret-looking keys are redacted; attribute pairs are not', () => {
    const v = redact({ from: 'akash1abc', key: 'PRIVATE', keysecret: 'S3CRET', nested: { password: 'p', apiToken: 't', mnemonic: 'm w' }, attributes: [{ key: 'ip-lease', value: true }] });
    assert.deepEqual(v, { from: 'akash1abc', key: '<redacted>', keysecret: '<redacted>', nested: { password: '<redacted>', apiToken: '<redacted>', mnemonic: '<redacted>' }, attributes: [{ key: 'ip-lease', value: true }] });
  });

  test('JSON output redacts details and escapes control characters', () => {
    const out = renderJson(report('x\u001b[31m', { details: { values: { key: 'PRIVATE-KEY' } } }));
    assert.ok(!out.includes('PRIVATE-KEY'));
    assert.ok(!out.includes('\u001b'));
    assert.equal(JSON.parse(out).checks[0].message, 'x\u001b[31m');
  });
});

describe('characters a terminal acts on', () => {
  const nasty = 'a\u009b2Jb \u202eevil\u202c \u2066iso\u2069 \u007f \u0085 \u2028';

  test('JSON escapes raw C1 controls (U+009B CSI), DEL and bidi overrides; parsing gives the values back', () => {
    const out = renderJson(report(nasty, { details: { podName: nasty, lines: [nasty] }, hint: nasty }));
    assert.ok(!/[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/.test(out), JSON.stringify(out));
    assert.ok(out.includes('\\u009b') && out.includes('\\u202e') && out.includes('\\u2066'), 'escaped, not dropped');
    const doc = JSON.parse(out);
    assert.equal(doc.checks[0].message, nasty);
    assert.equal(doc.checks[0].details.podName, nasty);
    assert.equal(doc.checks[0].hint, nasty);
  });

  test('the table strips the same characters', () => {
    const out = renderTable(report(nasty, { details: { podName: nasty } }), { color: false, verbose: true });
    assert.ok(!/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(out), JSON.stringify(out));
    assert.match(out, /evil/);
  });
});

describe('--verbose', () => {
  const passing = (details?: Record<string, unknown>): Report => {
    const r = report('all good', { status: 'pass', hint: undefined, remedy: undefined, details });
    return { ...r, summary: { ...r.summary, pass: 1, fail: 0, healthy: true }, diagnosis: [] };
  };

  test('passing checks get their evidence line only with --verbose; secrets stay redacted', () => {
    const rep = passing({ reason: 'ok', version: 'v0.14.8', pools: ['default', 'spare'], values: { keysecret: 'S3CRET' } });
    const plain = renderTable(rep, { color: false, width: 160 });
    assert.ok(!plain.includes('evidence:'), plain);
    const verbose = renderTable(rep, { color: false, width: 160, verbose: true });
    assert.match(verbose, /evidence: reason=ok version=v0\.14\.8 pools=\[default,spare\]/);
    assert.ok(!verbose.includes('S3CRET'), verbose);
  });

  test('a check without details gets no empty evidence line', () => {
    assert.ok(!renderTable(passing(), { color: false, verbose: true }).includes('evidence:'));
  });
});

describe('cluster error messages', () => {
  test('multi-line messages from the cluster become one line', async () => {
    const { toClusterError, fromHttpStatus } = await import('../src/cluster/errors.js');
    const e1 = fromHttpStatus(500, JSON.stringify({ kind: 'Status', message: 'first line\nsecond line' }), { verb: 'get', resource: 'pods' });
    assert.ok(!e1.message.includes('\n'), e1.message);
    assert.match(e1.message, /first line/);
    const e2 = toClusterError(new Error('\nboom\n  at somewhere'), { verb: 'list', resource: 'nodes' });
    assert.ok(!e2.message.includes('\n'), e2.message);
    assert.match(e2.message, /boom/);
    assert.ok(!e2.message.includes('at somewhere'));
  });
});
