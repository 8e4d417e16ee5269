/**
 * `--output junit`: JUnit XML for CI pipelines. One <testsuite> per category, one
 * <testcase> per check: `fail` and `error` are <failure> (type says which), `skip`
 * is <skipped>, `warn` passes with its message in <system-out> (a <failure> with
 * --fail-on warn, matching the exit code). Cluster-supplied strings are stripped of
 * escape sequences and of characters XML 1.0 cannot carry; details are redacted.
 */
import { CATEGORIES, type CheckResult, type Report } from '../core/types.js';
import { redact, sanitize, sanitizeDeep, sanitizeLine } from './sanitize.js';

export interface JunitOptions {
  failOn?: 'fail' | 'warn';
}

// XML 1.0 Char: no C0 controls but \t \n \r (sanitize removes those), no lone surrogates, no U+FFFE/U+FFFF
const NOT_XML = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|[\uFFFE\uFFFF]/g;

function clean(s: string): string {
  return sanitize(s).replace(NOT_XML, '');
}

export function xmlText(s: string): string {
  return clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

function isFailure(r: CheckResult, failOn: 'fail' | 'warn'): boolean {
  return r.status === 'fail' || r.status === 'error' || (failOn === 'warn' && r.status === 'warn');
}

function body(r: CheckResult): string {
  const lines = [sanitize(r.message)];
  if (r.hint) lines.push(`hint: ${sanitize(r.hint)}`);
  if (r.remedy) {
    lines.push(`fix: ${sanitizeLine(r.remedy.summary)}`);
    for (const c of r.remedy.commands) lines.push(`  $ ${sanitize(c)}`);
  }
  if (r.details && Object.keys(r.details).length > 0) lines.push(`details: ${JSON.stringify(sanitizeDeep(redact(r.details)))}`);
  lines.push(`docs: ${r.docs}`);
  return lines.join('\n');
}

function testcase(r: CheckResult, failOn: 'fail' | 'warn'): string {
  const open = `    <testcase name="${xmlAttr(r.id)}" classname="akash-ip-doctor.${xmlAttr(r.category)}" time="${secs(r.durationMs)}"`;
  if (isFailure(r, failOn)) {
    return `${open}>\n      <failure type="${r.status}" message="${xmlAttr(sanitizeLine(r.message))}">${xmlText(body(r))}</failure>\n    </testcase>`;
  }
  if (r.status === 'skip') return `${open}>\n      <skipped message="${xmlAttr(sanitizeLine(r.message))}"/>\n    </testcase>`;
  if (r.status === 'warn') return `${open}>\n      <system-out>${xmlText(`warn: ${body(r)}`)}</system-out>\n    </testcase>`;
  return `${open}/>`;
}

export function renderJunit(report: Report, opts: JunitOptions = {}): string {
  const failOn = opts.failOn ?? 'fail';
  const checks = report.checks;
  const failures = checks.filter((r) => isFailure(r, failOn)).length;
  const skipped = checks.filter((r) => r.status === 'skip').length;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="${xmlAttr(report.tool.name)}" tests="${checks.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${secs(report.durationMs)}" timestamp="${xmlAttr(report.startedAt)}">`);
  const props: [string, string][] = [
    ['tool.version', report.tool.version],
    ['cluster.context', report.cluster.context],
    ['cluster.server', report.cluster.server],
    ['cluster.version', report.cluster.version ?? ''],
    ['healthy', String(report.summary.healthy)],
    ...(report.diagnosis ?? []).map((d, i): [string, string] => [`diagnosis.${i + 1}`, `${sanitizeLine(d.cause)} First step: ${sanitizeLine(d.firstStep)}`]),
  ];
  for (const cat of CATEGORIES) {
    const rows = checks.filter((r) => r.category === cat);
    if (rows.length === 0) continue;
    const f = rows.filter((r) => isFailure(r, failOn)).length;
    const s = rows.filter((r) => r.status === 'skip').length;
    const t = rows.reduce((n, r) => n + r.durationMs, 0);
    out.push(`  <testsuite name="${xmlAttr(cat)}" tests="${rows.length}" failures="${f}" errors="0" skipped="${s}" time="${secs(t)}" timestamp="${xmlAttr(report.startedAt)}">`);
    out.push('    <properties>');
    for (const [k, v] of props) out.push(`      <property name="${xmlAttr(k)}" value="${xmlAttr(sanitizeLine(v))}"/>`);
    out.push('    </properties>');
    for (const r of rows) out.push(testcase(r, failOn));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
