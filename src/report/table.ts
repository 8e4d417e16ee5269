/**
 * Table renderer: the root cause first, then one line per check grouped by
 * category with a status mark, hints and fix commands under failures, and a
 * summary line. Colour only when asked for (a TTY without NO_COLOR).
 */
import Table from 'cli-table3';
import { CATEGORIES, type CheckResult, type Report, type Status } from '../core/types.js';
import { redact, sanitize, sanitizeLine } from './sanitize.js';
import { renderFixes } from './fixes.js';

export interface TableOptions {
  color: boolean;
  /** Terminal width; defaults to 100. */
  width?: number;
  /** Show every check's evidence line (its details), passing ones included, and hints of passing checks. */
  verbose?: boolean;
}

const MARK: Record<Status, string> = { pass: '✔', warn: '!', fail: '✘', skip: '-', error: '?' };
const CODE: Record<Status, number> = { pass: 32, warn: 33, fail: 31, skip: 90, error: 35 };

export function renderTable(report: Report, opts: TableOptions): string {
  const paint = (code: number, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const bold = (s: string) => (opts.color ? `\u001b[1m${s}\u001b[22m` : s);
  const width = Math.max(60, Math.min(opts.width ?? 120, 160));
  const out: string[] = [];
  const c = report.cluster;
  out.push(bold(`${report.tool.name} ${report.tool.version}`) + ` — context ${sanitizeLine(c.context)} (${sanitizeLine(c.server)})${c.version ? `, Kubernetes ${sanitizeLine(c.version)}` : ''}`);
  out.push('');

  if (report.diagnosis && report.diagnosis.length > 0) {
    out.push(bold(report.diagnosis.length === 1 ? 'Most likely root cause:' : 'Most likely root causes:'));
    report.diagnosis.forEach((d, i) => {
      out.push(`  ${i + 1}. ${sanitizeLine(d.cause)}`);
      out.push(`     First step: ${sanitizeLine(d.firstStep)}`);
      if (d.explains.length > 1) out.push(paint(90, `     Explains: ${d.explains.join(', ')}`));
    });
    out.push('');
  }

  const statusW = 8;
  const idW = Math.min(30, Math.max(...report.checks.map((r) => r.id.length), 10) + 2);
  const msgW = width - statusW - idW - 4;
  const table = new Table({
    head: [],
    colWidths: [statusW, idW, msgW],
    wordWrap: true,
    wrapOnWordBoundary: true,
    style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1 },
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ' },
  });
  for (const cat of CATEGORIES) {
    const rows = report.checks.filter((r) => r.category === cat);
    if (rows.length === 0) continue;
    table.push([{ colSpan: 3, content: bold(cat) }]);
    for (const r of rows) {
      table.push([paint(CODE[r.status], `${MARK[r.status]} ${r.status}`), sanitizeLine(r.id), sanitizeLine(r.message)]);
      for (const line of detailLines(r, opts.verbose ?? false)) table.push(['', '', paint(90, line)]);
    }
  }
  out.push(table.toString());
  out.push('');
  const fixes = fixLines(report.checks);
  if (fixes.length > 0) {
    out.push(bold('How to fix:'));
    out.push(...fixes, '');
  }
  out.push(...renderFixes(report, { color: !!opts.color }));
  const s = report.summary;
  const parts = (['pass', 'warn', 'fail', 'skip', 'error'] as Status[]).map((k) => paint(s[k] > 0 ? CODE[k] : 90, `${s[k]} ${k}`));
  const verdict = s.healthy ? paint(32, 'IP leases: ready') : paint(31, 'IP leases: NOT ready');
  out.push(`${report.checks.length} checks: ${parts.join(', ')} — ${verdict} (${(report.durationMs / 1000).toFixed(1)}s)`);
  return out.join('\n') + '\n';
}

function detailLines(r: CheckResult, verbose: boolean): string[] {
  const problem = r.status === 'fail' || r.status === 'warn' || r.status === 'error';
  // the remedy's commands are printed in full below the table; a hint that only
  // spells them out would print them twice
  const hintRepeatsRemedy = !!r.remedy?.commands.length && r.remedy.commands.every((c) => r.hint?.includes(c));
  const lines: string[] = [];
  if (r.hint && (problem || verbose) && !(problem && hintRepeatsRemedy)) lines.push(`hint: ${sanitizeLine(r.hint)}`);
  if (verbose) {
    const ev = evidenceLine(r.details);
    if (ev) lines.push(`evidence: ${ev}`);
  }
  return lines;
}

const EVIDENCE_MAX = 240;

/** A value of details, short: lists show their first items, objects their compact JSON. */
function shortValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return /[\s,=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    const head = v.slice(0, 5).map(shortValue).join(',');
    return `[${head}${v.length > 5 ? `,…+${v.length - 5}` : ''}]`;
  }
  const json = JSON.stringify(v);
  return json.length > 80 ? json.slice(0, 79) + '…' : json;
}

/** The check's structured evidence (details, redacted) as one `key=value` line. */
export function evidenceLine(details: Record<string, unknown> | undefined): string {
  if (!details) return '';
  const safe = redact(details) as Record<string, unknown>;
  const text = sanitizeLine(
    Object.entries(safe)
      .map(([k, v]) => `${k}=${shortValue(v)}`)
      .join(' '),
  );
  return text.length > EVIDENCE_MAX ? text.slice(0, EVIDENCE_MAX - 1) + '…' : text;
}

/** Copy-pastable fix commands of failing and warning checks, unwrapped; identical fixes once. */
function fixLines(results: readonly CheckResult[]): string[] {
  const lines: string[] = [];
  const seen = new Map<string, string[]>();
  for (const r of results) {
    if (!r.remedy || !(r.status === 'fail' || r.status === 'warn')) continue;
    const key = r.remedy.commands.join('\n');
    const same = seen.get(key);
    if (same) {
      same.push(r.id);
      continue;
    }
    const ids = [r.id];
    seen.set(key, ids);
    lines.push(`  [${r.id}] ${sanitizeLine(r.remedy.summary)}`);
    for (const cmd of r.remedy.commands) {
      sanitize(cmd)
        .split('\n')
        .forEach((l, i) => lines.push(`${i === 0 ? '    $ ' : '      '}${l.replace(/\t/g, '  ')}`));
    }
  }
  // name every check a shared fix serves
  return lines.map((l) => {
    const m = /^  \[([^\]]+)\]/.exec(l);
    if (!m) return l;
    const ids = [...seen.values()].find((v) => v[0] === m[1]);
    return ids && ids.length > 1 ? l.replace(`[${m[1]}]`, `[${ids.join(', ')}]`) : l;
  });
}
