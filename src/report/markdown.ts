/**
 * `--output markdown`: a report to paste into a support thread (GitHub, Discord,
 * a forum). Redacted like every renderer: details go through redact(), every
 * cluster-supplied string is stripped of escape sequences, table cells are one line
 * with `|` and Markdown syntax escaped, code blocks use a fence longer than any
 * backtick run inside them.
 */
import { CATEGORIES, type CheckResult, type Report, type Status } from '../core/types.js';
import { redact, sanitize, sanitizeDeep, sanitizeLine } from './sanitize.js';

const MARK: Record<Status, string> = { pass: '✅ pass', warn: '⚠️ warn', fail: '❌ fail', skip: '➖ skip', error: '❓ error' };

/** Inline text: one line, Markdown punctuation and `|` backslash-escaped (safe in table cells). */
export function mdText(s: string): string {
  return sanitizeLine(s).replace(/[\\`*_[\]<>|~&]/g, '\\$&').trim();
}

/** A fenced code block whose fence no line of the content can close. */
export function mdFence(content: string, lang = ''): string {
  const text = sanitize(content).replace(/\t/g, '  ');
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}

function resultCell(r: CheckResult): string {
  const parts = [mdText(r.message)];
  if (r.hint && r.status !== 'pass') parts.push(`*hint:* ${mdText(r.hint)}`);
  return parts.join('<br>');
}

export function renderMarkdown(report: Report): string {
  const out: string[] = [];
  const c = report.cluster;
  const s = report.summary;
  out.push(`## ${mdText(report.tool.name)} ${mdText(report.tool.version)} report`);
  out.push('');
  out.push(`- **Verdict:** ${s.healthy ? 'IP leases: ready' : '**IP leases: NOT ready**'}`);
  out.push(`- **Checks:** ${report.checks.length} — ${(['pass', 'warn', 'fail', 'skip', 'error'] as Status[]).map((k) => `${s[k]} ${k}`).join(', ')}`);
  out.push(`- **Cluster:** context ${mdText(c.context)} (${mdText(c.server)})${c.version ? `, Kubernetes ${mdText(c.version)}` : ''}`);
  out.push(`- **Run:** ${mdText(report.startedAt)}, ${(report.durationMs / 1000).toFixed(1)} s`);
  out.push('');

  if (report.diagnosis && report.diagnosis.length > 0) {
    out.push(`### ${report.diagnosis.length === 1 ? 'Most likely root cause' : 'Most likely root causes'}`);
    out.push('');
    report.diagnosis.forEach((d, i) => {
      out.push(`${i + 1}. ${mdText(d.cause)}`);
      out.push(`   *First step:* ${mdText(d.firstStep)}`);
      if (d.explains.length > 1) out.push(`   *Explains:* ${d.explains.map(mdText).join(', ')}`);
    });
    out.push('');
  }

  out.push('### Checks');
  out.push('');
  out.push('| Status | Check | Result |');
  out.push('| --- | --- | --- |');
  for (const cat of CATEGORIES) {
    for (const r of report.checks.filter((x) => x.category === cat)) out.push(`| ${MARK[r.status]} | ${mdText(r.id)} | ${resultCell(r)} |`);
  }
  out.push('');

  const fixes = report.checks.filter((r) => r.remedy && (r.status === 'fail' || r.status === 'warn'));
  if (fixes.length > 0) {
    out.push('### How to fix');
    out.push('');
    const seen = new Map<string, string[]>();
    for (const r of fixes) {
      const key = r.remedy!.commands.join('\n');
      const ids = seen.get(key);
      if (ids) ids.push(r.id);
      else seen.set(key, [r.id]);
    }
    for (const [key, ids] of seen) {
      const r = fixes.find((x) => x.id === ids[0])!;
      out.push(`**${ids.map(mdText).join(', ')}** — ${mdText(r.remedy!.summary)}`);
      out.push('');
      if (key) out.push(mdFence(key, 'sh'), '');
    }
  }

  if (report.fixes) {
    out.push(report.fixMode === 'dry-run' ? '### Fixes (dry run: nothing changed)' : '### Fixes');
    out.push('');
    if (report.fixes.length === 0) out.push('Nothing to fix automatically.', '');
    for (const f of report.fixes) {
      out.push(`- **${mdText(f.id)}** \`${f.outcome}\`${f.reason ? ` (${mdText(f.reason)})` : ''} — ${mdText(f.summary)}${f.message ? `: ${mdText(f.message)}` : ''}`);
    }
    const commands = report.fixes.flatMap((f) => [...f.steps.map((st) => st.command), ...(f.commands ?? [])]);
    if (commands.length) out.push('', mdFence(commands.join('\n'), 'sh'));
    out.push('');
  }

  const evidence = report.checks.filter((r) => r.status !== 'pass' && r.details && Object.keys(r.details).length > 0);
  if (evidence.length > 0) {
    const doc = Object.fromEntries(evidence.map((r) => [r.id, sanitizeDeep(redact(r.details))]));
    out.push('<details><summary>Details of the checks that did not pass (secrets redacted)</summary>');
    out.push('');
    out.push(mdFence(JSON.stringify(doc, null, 2), 'json'));
    out.push('');
    out.push('</details>');
    out.push('');
  }
  return out.join('\n');
}
