/**
 * Unattended output formats, parsed back by real parsers: JUnit XML (fast-xml-parser),
 * the Prometheus text exposition (parse-prometheus-text-format), Markdown (marked, GFM
 * tables); the JSON report against schema/report.schema.json (ajv); the `schema`
 * command; the same exit codes for every format; --report-file beside any format.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import parsePrometheus, { type PromFamily } from 'parse-prometheus-text-format';
import { marked, type Tokens } from 'marked';
import { runScenario } from './helpers.js';
import { assertValidReport, reportValidator, schemaPath } from './report-schema.js';
import { runMain as cli } from './cli-helpers.js';
import { startSim, loadScenario, type SimHandle } from '../src/sim/index.js';
import { renderJunit } from '../src/report/junit.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { renderPrometheus } from '../src/report/prometheus.js';
import { renderJson } from '../src/report/json.js';
import { poolFreeAddresses, METRIC } from '../src/report/metrics.js';
import { STATUSES, type Report } from '../src/core/types.js';

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name), parseAttributeValue: false, trimValues: false });

interface JunitCase {
  '@_name': string;
  '@_classname': string;
  '@_time': string;
  failure?: { '@_type': string; '@_message': string; '#text'?: string };
  skipped?: { '@_message': string };
  'system-out'?: string;
}

function parseJunit(text: string): { root: Record<string, string>; cases: JunitCase[]; suites: Record<string, unknown>[] } {
  assert.equal(XMLValidator.validate(text), true, 'well-formed XML');
  const doc = xml.parse(text) as { testsuites: Record<string, unknown> & { testsuite: (Record<string, unknown> & { testcase: JunitCase[] })[] } };
  const suites = doc.testsuites.testsuite;
  return { root: doc.testsuites as unknown as Record<string, string>, suites, cases: suites.flatMap((s) => s.testcase) };
}

function families(text: string): Map<string, PromFamily> {
  // every line is a comment or a sample: name{labels} value (no timestamps: the textfile collector rejects them)
  for (const line of text.split('\n').filter((l) => l.length > 0)) {
    assert.match(line, /^(# (HELP|TYPE) .*|[a-z_:][a-z0-9_:]*(\{.*\})? -?[0-9.e+-]+|[a-z_:][a-z0-9_:]*(\{.*\})? (NaN|[+-]Inf))$/, `exposition line: ${line}`);
  }
  return new Map(parsePrometheus(text).map((f) => [f.name, f]));
}

function checkJunit(report: Report, text: string): void {
  const { root, cases } = parseJunit(text);
  assert.equal(cases.length, report.checks.length, 'one testcase per check');
  assert.equal(Number(root['@_tests']), report.checks.length);
  assert.equal(Number(root['@_failures']), report.summary.fail + report.summary.error);
  assert.equal(Number(root['@_skipped']), report.summary.skip);
  const byName = new Map(cases.map((c) => [c['@_name'], c]));
  for (const r of report.checks) {
    const c = byName.get(r.id);
    assert.ok(c, `testcase ${r.id}`);
    assert.equal(c['@_classname'], `akash-ip-doctor.${r.category}`);
    assert.ok(Number(c['@_time']) >= 0);
    if (r.status === 'fail' || r.status === 'error') {
      assert.equal(c.failure?.['@_type'], r.status, r.id);
      assert.ok(c.failure?.['#text']?.includes(r.docs), 'failure body names the docs');
      assert.ok(!c.skipped);
    } else if (r.status === 'skip') {
      assert.ok(c.skipped && !c.failure, r.id);
    } else {
      assert.ok(!c.failure && !c.skipped, r.id);
    }
  }
}

function checkPrometheus(report: Report, text: string): void {
  const fams = families(text);
  const pools = poolFreeAddresses(report);
  const expected = [METRIC.checkStatus, METRIC.healthy, METRIC.lastRun, METRIC.checkDuration, ...(pools.length ? [METRIC.poolFree] : [])];
  assert.deepEqual([...fams.keys()].filter((n) => fams.get(n)!.metrics.length > 0).sort(), [...expected].sort(), 'exactly the documented series');
  for (const f of fams.values()) assert.equal(f.type, 'GAUGE', f.name);

  const status = fams.get(METRIC.checkStatus)!.metrics;
  assert.equal(status.length, report.checks.length * STATUSES.length);
  for (const r of report.checks) {
    const mine = status.filter((m) => m.labels?.check === r.id);
    assert.deepEqual(mine.map((m) => m.labels?.status).sort(), [...STATUSES].sort(), r.id);
    for (const m of mine) {
      assert.equal(m.labels?.category, r.category);
      assert.equal(Number(m.value), m.labels?.status === r.status ? 1 : 0, `${r.id} ${m.labels?.status}`);
    }
  }
  assert.equal(Number(fams.get(METRIC.healthy)!.metrics[0]!.value), report.summary.healthy ? 1 : 0);
  const last = Number(fams.get(METRIC.lastRun)!.metrics[0]!.value);
  assert.equal(last, Math.round(Date.parse(report.startedAt) + report.durationMs) / 1000);
  const dur = fams.get(METRIC.checkDuration)!.metrics;
  assert.equal(dur.length, report.checks.length);
  for (const r of report.checks) assert.equal(Number(dur.find((m) => m.labels?.check === r.id)?.value), r.durationMs / 1000, r.id);
  if (pools.length) {
    const free = fams.get(METRIC.poolFree)!.metrics;
    assert.deepEqual(free.map((m) => [m.labels?.pool, Number(m.value)]).sort(), pools.map((p) => [p.pool, p.free]).sort());
  }
}

function tableOf(md: string): Tokens.Table {
  const t = marked.lexer(md).find((x) => x.type === 'table') as Tokens.Table | undefined;
  assert.ok(t, 'a GFM table');
  return t;
}

function checkMarkdown(report: Report, md: string): void {
  const table = tableOf(md);
  assert.deepEqual(table.header.map((h) => h.text), ['Status', 'Check', 'Result']);
  assert.equal(table.rows.length, report.checks.length, 'one row per check');
  const ids = table.rows.map((r) => {
    assert.equal(r.length, 3, 'three cells in every row');
    return r[1]!.tokens.map((t) => ('text' in t ? t.text : '')).join('');
  });
  assert.deepEqual(ids.sort(), report.checks.map((c) => c.id).sort());
  assert.match(md, report.summary.healthy ? /IP leases: ready/ : /IP leases: NOT ready/);
  for (const d of report.diagnosis ?? []) assert.ok(md.includes('First step:'), d.rule);
}

describe('output formats parsed back', () => {
  const reports = new Map<string, Report>();
  before(async () => {
    // a healthy provider, one with several faults, a nearly exhausted pool
    const names = ['healthy-helm', 'demo', 'm-pool-low'];
    const runs = await Promise.all(names.map((s) => runScenario(s)));
    names.forEach((s, i) => reports.set(s, runs[i]!.report));
  });

  test('JSON reports validate against the schema; the rendered document is exactly what the schema describes', () => {
    for (const [name, r] of reports) assertValidReport(JSON.parse(renderJson(r)), name);
  });

  test('JUnit: one testcase per check, fail/error as failures, skip as skipped', () => {
    for (const r of reports.values()) checkJunit(r, renderJunit(r));
    // --fail-on warn: warnings become failures, like the exit code
    const low = reports.get('m-pool-low')!;
    assert.ok(low.summary.warn > 0, 'm-pool-low warns');
    const { root } = parseJunit(renderJunit(low, { failOn: 'warn' }));
    assert.equal(Number(root['@_failures']), low.summary.fail + low.summary.error + low.summary.warn);
  });

  test('Prometheus: exactly the documented series and values', async () => {
    for (const r of reports.values()) checkPrometheus(r, await renderPrometheus(r));
    const low = reports.get('m-pool-low')!;
    assert.deepEqual(poolFreeAddresses(low).map((p) => [p.pool, p.free]), [['default', 2]]);
    assert.equal(families(await renderPrometheus(reports.get('healthy-helm')!)).get(METRIC.healthy)!.metrics[0]!.value, '1');
    assert.equal(families(await renderPrometheus(reports.get('demo')!)).get(METRIC.healthy)!.metrics[0]!.value, '0');
  });

  test('Markdown: a GFM table with one row per check', () => {
    for (const r of reports.values()) checkMarkdown(r, renderMarkdown(r));
  });

  test('pool free addresses: one extraction, from the findings that count them', () => {
    const base = reports.get('healthy-helm')!;
    const withChecks = (checks: Report['checks']): Report => ({ ...base, checks });
    const cap = (details: Record<string, unknown>, status: 'pass' | 'error' = 'pass') => ({ ...base.checks[0]!, id: 'metallb.pool-capacity', category: 'metallb' as const, status, details });
    const usage = (details: Record<string, unknown>) => ({ ...base.checks[0]!, id: 'ip-operator.usage', category: 'ip-operator' as const, status: 'fail' as const, details });
    assert.deepEqual(poolFreeAddresses(withChecks([cap({ pool: 'default', free: 7 })])).map((p) => p.free), [7]);
    assert.deepEqual(poolFreeAddresses(withChecks([cap({ pool: 'default', free: '340282366920938463463374607431768211456' })])).length, 1, 'huge IPv6 counts are strings');
    assert.deepEqual(poolFreeAddresses(withChecks([cap({ pool: 'default', free: 7 }, 'error')])), [], 'an error counts nothing');
    // the operator's view fills in a pool MetalLB's check did not count; only its computed `free`
    // counts (its /usage `Available` is the pool's total, provider cluster/inventory.go:422-433)
    assert.deepEqual(poolFreeAddresses(withChecks([usage({ pool: 'edge', total: 5, inUse: 9, free: 0 })])).map((p) => [p.pool, p.free]), [['edge', 0]]);
    assert.deepEqual(poolFreeAddresses(withChecks([usage({ pool: 'edge', total: 16, inUse: 4 })])), [], 'a total is no free count');
    assert.deepEqual(poolFreeAddresses(withChecks([usage({ free: 5 })])), [], 'no pool name, no guess');
    assert.deepEqual(poolFreeAddresses(withChecks([cap({ pool: 'default', free: 3 }), usage({ pool: 'default', free: 9 })])).map((p) => [p.source, p.free]), [['metallb.pool-capacity', 3]]);
  });
});

describe('hostile strings stay harmless in every format', () => {
  const evil: Report = {
    schemaVersion: 1,
    tool: { name: 'akash-ip-doctor', version: '0.1.0' },
    startedAt: new Date(0).toISOString(),
    durationMs: 12,
    cluster: { context: 'ctx|with|pipes', server: 'https://10.0.0.1:6443', version: 'v1.30.4' },
    summary: { pass: 0, warn: 0, fail: 1, skip: 0, error: 1, healthy: false },
    diagnosis: [{ rule: 'could-not-check:forbidden', cause: 'cause with | pipe and \u001b[2J clear', firstStep: 'kubectl get pods | grep x', explains: ['metallb.speaker'] }],
    checks: [
      {
        id: 'metallb.speaker',
        title: 'speaker',
        category: 'metallb',
        status: 'fail',
        message: 'pod a|b said \u001b[31mRED\u001b[0m \u001b]0;pwned\u0007 <script>alert(1)</script> & `tick` **bold** \u0000\uFFFE\uD800 end',
        hint: 'run ```` this',
        details: { reason: 'speaker-not-ready', keysecret: 'hunter2', values: { key: 's3cr3t-key', from: 'x' }, env: [{ name: 'AKASH_KEY_SECRET', value: 'pa55word' }], line: 'log \u001b[1mline\u001b[0m' },
        remedy: { summary: 'restart | it', commands: ['kubectl rollout restart ds speaker', 'echo "```"'] },
        docs: 'docs/checks.md#metallbspeaker',
        durationMs: 3,
      },
      { id: 'cluster.api', title: 'api', category: 'cluster', status: 'error', message: 'forbidden \u009b31m', details: { reason: 'forbidden', token: 'abc.def.ghi' }, docs: 'docs/checks.md#clusterapi', durationMs: 1 },
    ],
  };
  const secrets = ['hunter2', 's3cr3t-key', 'pa55word', 'abc.def.ghi'];

  test('the hostile report is itself valid against the schema', () => {
    assertValidReport(JSON.parse(renderJson(evil)));
  });

  test('Markdown: no secrets, no escape sequences, pipes escaped in cells, fences not broken', () => {
    const md = renderMarkdown(evil);
    for (const s of secrets) assert.ok(!md.includes(s), `secret ${s} leaked`);
    assert.ok(!/[\u001b\u009b\u0000\u0007]/.test(md), 'no escape or control characters');
    const table = tableOf(md);
    assert.equal(table.rows.length, 2);
    for (const row of table.rows) assert.equal(row.length, 3, 'a | in a message does not add a cell');
    const cell = table.rows.find((r) => r[1]!.text.includes('speaker'))![2]!;
    assert.ok(cell.text.includes('pod a|b said RED'), `pipe kept as text: ${cell.text}`);
    // the HTML in a message is text, not a tag
    const html = marked.parse(md, { async: false });
    assert.ok(!html.includes('<script>'), 'no raw <script> after rendering');
    // the fix commands survive a fence inside them: the code block holds both commands
    const code = marked.lexer(md).filter((t) => t.type === 'code') as Tokens.Code[];
    assert.ok(code.some((c) => c.text.includes('kubectl rollout restart ds speaker') && c.text.includes('echo "```"')), 'fenced fix block intact');
    assert.ok(code.some((c) => c.lang === 'json' && c.text.includes('<redacted>')), 'details block redacted');
  });

  test('JUnit: well-formed XML, no secrets, no escape sequences, message parsed back', () => {
    const out = renderJunit(evil);
    for (const s of secrets) assert.ok(!out.includes(s), `secret ${s} leaked`);
    assert.ok(!/[\u001b\u009b\u0000\u0007\uFFFE]/.test(out));
    const { cases } = parseJunit(out);
    const speaker = cases.find((c) => c['@_name'] === 'metallb.speaker')!;
    assert.equal(speaker.failure?.['@_type'], 'fail');
    assert.ok(speaker.failure!['@_message'].includes('<script>alert(1)</script> & `tick`'), speaker.failure!['@_message']);
    assert.equal(cases.find((c) => c['@_name'] === 'cluster.api')!.failure?.['@_type'], 'error');
  });

  test('Prometheus: label values are escaped and parse back exactly', async () => {
    const r: Report = { ...evil, checks: [...evil.checks, { id: 'metallb.pool-capacity', title: 'cap', category: 'metallb', status: 'pass', message: 'ok', details: { pool: 'we"ird\\pool\nname', free: 4 }, docs: 'docs/checks.md#x', durationMs: 1 }] };
    const fams = families(await renderPrometheus(r));
    assert.deepEqual(fams.get(METRIC.poolFree)!.metrics.map((m) => [m.labels?.pool, m.value]), [['we"ird\\pool\nname', '4']]);
  });

  test('the schema rejects what the report must not contain', () => {
    const validate = reportValidator();
    const ok = JSON.parse(renderJson(evil));
    assert.equal(validate(ok), true);
    const bad: [string, (d: any) => void][] = [
      ['an unknown top-level field', (d) => (d.fixes2 = [])],
      ['an unknown status', (d) => (d.checks[0].status = 'ok')],
      ['an unknown category', (d) => (d.checks[0].category = 'network')],
      ['a check without docs', (d) => delete d.checks[0].docs],
      ['a reason that is no string', (d) => (d.checks[0].details.reason = 42)],
      ['an extra diagnosis field', (d) => (d.diagnosis[0].severity = 'high')],
      ['a diagnosis explaining a non-id', (d) => (d.diagnosis[0].explains = ['Not An Id'])],
      ['a negative duration', (d) => (d.durationMs = -1)],
      ['another schema version', (d) => (d.schemaVersion = 2)],
      ['a bad timestamp', (d) => (d.startedAt = 'yesterday')],
      ['a remedy param that is no string', (d) => (d.checks[0].remedy.params = { n: 1 })],
      ['a summary without healthy', (d) => delete d.summary.healthy],
    ];
    for (const [what, mutate] of bad) {
      const d = structuredClone(ok);
      mutate(d);
      assert.equal(validate(d), false, `schema accepts ${what}`);
    }
  });
});

describe('the command line: schema, formats, exit codes, --report-file', () => {
  let healthy: SimHandle;
  let broken: SimHandle;
  let dir: string;
  before(async () => {
    healthy = await startSim(await loadScenario('healthy-helm'));
    // a broken provider that fails fast (no hanging endpoint to wait out)
    broken = await startSim(await loadScenario('f-ipvs-no-strictarp'));
    dir = await mkdtemp(path.join(tmpdir(), 'aid-unattended-'));
  });
  after(async () => {
    await healthy.close();
    await broken.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('`schema` prints schema/report.schema.json; its $id carries the report version', async () => {
    const r = await cli(['schema']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, await readFile(schemaPath, 'utf8'));
    const schema = JSON.parse(r.stdout);
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.match(schema.$id, /:v1$/);
    assert.equal(schema.properties.schemaVersion.const, 1);
  });

  test('every format: exit 0 healthy, exit 1 broken; --report-file always gets the JSON report', async () => {
    // in-process and side by side (the binary's own exit codes and stdout are test/cli.test.ts's)
    const runs = ['json', 'table', 'junit', 'prometheus', 'markdown'].flatMap((output) => ([[healthy, 0], [broken, 1]] as const).map(([sim, code]) => ({ output, sim, code })));
    await Promise.all(
      runs.map(async ({ output, sim, code }) => {
        const file = path.join(dir, `report-${output}-${code}.json`);
        const r = await cli(['check', '--kubeconfig', sim.kubeconfigPath, '--provider-url', sim.providerUrl, '--timeout', '30s', '-o', output, '--report-file', file]);
        assert.equal(r.code, code, `${output}: exit ${r.code}, want ${code}: ${r.stderr}`);
        const doc = JSON.parse(await readFile(file, 'utf8'));
        assertValidReport(doc, `${output} --report-file`);
        assert.equal(doc.summary.healthy, code === 0);
        if (output === 'junit') checkJunit(doc, r.stdout);
        if (output === 'prometheus') checkPrometheus(doc, r.stdout);
        if (output === 'markdown') checkMarkdown(doc, r.stdout);
        if (output === 'json') assert.deepEqual(JSON.parse(r.stdout), doc, 'stdout and the file hold the same document');
      }),
    );
  });

  test('--report-file into a missing folder: exit 2 with one clear line, before any run', async () => {
    const r = await cli(['check', '--kubeconfig', healthy.kubeconfigPath, '-o', 'json', '--report-file', path.join(dir, 'nope', 'r.json')]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /--report-file: cannot write to .*nope: ENOENT/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});
