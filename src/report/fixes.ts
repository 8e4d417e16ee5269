/**
 * The fixes section of the table output: each planned fix, its outcome, its steps with the
 * kubectl command that does the same and the diff; manual fixes as commands to run by hand.
 * Cluster-supplied text is sanitised (escape sequences stripped) before printing.
 */
import type { FixOutcome, FixRecord, Report } from '../core/types.js';
import { sanitizeLine } from './sanitize.js';

const OUTCOME_CODE: Record<FixOutcome, number> = { applied: 32, 'applied-unverified': 33, 'dry-run': 36, failed: 31, skipped: 90, manual: 34 };

export interface FixRenderOptions {
  color: boolean;
  /** Show diffs (default true). */
  diffs?: boolean;
}

/** Multi-line text (commands, diffs) with every line sanitised. */
function block(text: string, indent: string): string[] {
  return text.split('\n').map((l) => indent + sanitizeLine(l));
}

export function renderFixes(report: Report, opts: FixRenderOptions): string[] {
  const fixes = report.fixes;
  if (!fixes) return [];
  const paint = (code: number, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const bold = (s: string) => (opts.color ? `\u001b[1m${s}\u001b[22m` : s);
  const out: string[] = [];
  const title = report.fixMode === 'dry-run' ? 'Fixes (dry run: proven by the API server, nothing changed):' : 'Fixes:';
  out.push(bold(title));
  if (fixes.length === 0) {
    out.push('  nothing to fix automatically' + (report.summary.healthy ? '' : ' (see "How to fix" above for the commands)'), '');
    return out;
  }
  fixes.forEach((f, i) => out.push(...renderFix(f, i + 1, paint, opts)));
  if (report.before && report.fixMode === 'apply') {
    const b = report.before.summary;
    out.push(`Before the fixes: ${b.fail} fail, ${b.error} error, ${b.warn} warn; the checks above are the state after them (re-checked on fresh reads).`, '');
  }
  return out;
}

function renderFix(f: FixRecord, n: number, paint: (code: number, s: string) => string, opts: FixRenderOptions): string[] {
  const out: string[] = [];
  out.push(`  ${n}. ${paint(OUTCOME_CODE[f.outcome], `[${f.outcome}]`)} ${f.id} (${f.risk}) — ${sanitizeLine(f.summary)}`);
  if (f.triggeredBy.length) out.push(paint(90, `     for: ${f.triggeredBy.join(', ')}`));
  if (f.message) out.push(`     ${sanitizeLine(f.message)}`);
  if (f.missing) out.push(`     missing permission: ${sanitizeLine(f.missing)}`);
  if (f.settle) out.push(`     ${f.settle.ok ? 'settled' : 'not settled'}: ${sanitizeLine(f.settle.message)}`);
  for (const note of f.notes ?? []) out.push(paint(33, `     note: ${sanitizeLine(note)}`));
  f.steps.forEach((s, j) => {
    const obj = `${s.object.kind} ${s.object.namespace ? `${s.object.namespace}/` : ''}${s.object.name}`;
    out.push(`     ${n}.${j + 1} ${s.verb} ${sanitizeLine(obj)}: ${sanitizeLine(s.description)} ${paint(90, `[${s.state}${s.disruptive ? ', disruptive' : ''}]`)}`);
    if (s.error) out.push(paint(31, `         ${sanitizeLine(s.error)}`));
    out.push(...block(s.command, '         $ ').map((l, k) => (k === 0 ? l : l.replace('         $ ', '           '))));
    if (s.diff && opts.diffs !== false) {
      for (const l of block(s.diff, '         ')) {
        const t = l.trimStart();
        out.push(t.startsWith('+') && !t.startsWith('+++') ? paint(32, l) : t.startsWith('-') && !t.startsWith('---') ? paint(31, l) : paint(90, l));
      }
    }
  });
  if (f.commands?.length) {
    out.push('     run by hand:');
    for (const c of f.commands) out.push(...block(c, '       $ '));
  }
  out.push('');
  return out;
}
