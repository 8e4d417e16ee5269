/**
 * Check documentation, generated from the registry: docs/checks.md and
 * `explain <id>` print the same text, so the two cannot drift.
 */
import type { Check } from '../core/types.js';
import type { Fix } from '../fixes/types.js';

export function renderCheckDoc(check: Check): string {
  const lines = [
    `${check.id} — ${check.title}`,
    `category: ${check.category}${check.dependsOn?.length ? `; runs after: ${check.dependsOn.join(', ')}` : ''}`,
    '',
    'What it checks:',
    indent(check.doc.what),
    '',
    'Why it matters for IP leases:',
    indent(check.doc.why),
    '',
    'How to fix:',
    indent(check.doc.fix),
  ];
  return lines.join('\n') + '\n';
}

function indent(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((l) => (l ? `  ${l}` : ''))
    .join('\n');
}

export function renderChecksMarkdown(checks: readonly Check[]): string {
  const out: string[] = [
    '# Checks',
    '',
    '<!-- Generated from the check registry by `npm run docs`; do not edit by hand. -->',
    '',
    'Every check `akash-ip-doctor check` runs, in report order. `akash-ip-doctor explain <id>` prints the same text.',
    '',
    '| id | category | title |',
    '|---|---|---|',
    ...checks.map((c) => `| [\`${c.id}\`](#${anchor(c.id)}) | ${c.category} | ${c.title} |`),
    '',
  ];
  for (const c of checks) {
    out.push(`## ${c.id}`, '', `**${c.title}** (category \`${c.category}\`${c.dependsOn?.length ? `; runs after ${c.dependsOn.map((d) => `\`${d}\``).join(', ')}` : ''})`, '');
    out.push('**What it checks.** ' + c.doc.what.trim(), '');
    out.push('**Why it matters for IP leases.** ' + c.doc.why.trim(), '');
    out.push('**How to fix.** ' + c.doc.fix.trim(), '');
  }
  return out.join('\n');
}

/** GitHub-style heading anchor of a check id. */
export function anchor(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9 -]/g, '');
}

/** Documentation of a fix (docs/fixes.md and `explain <fix-id>`). */
export function renderFixDoc(fix: Fix): string {
  const lines = [
    `${fix.id} — ${fix.title}`,
    `risk: ${fix.risk}; runs in order ${fix.order}; makes pass: ${fix.addresses.join(', ') || '-'}`,
    '',
    fix.risk === 'manual' ? 'What to run (printed by `check --fix`, never run by it):' : 'What `check --fix` does:',
    indent(fix.doc),
  ];
  return lines.join('\n') + '\n';
}

export function renderFixesMarkdown(fixes: readonly Fix[]): string {
  const out: string[] = [
    '# Fixes',
    '',
    '<!-- Generated from the fix registry by `npm run docs`; do not edit by hand. -->',
    '',
    'What `akash-ip-doctor check --fix` can do, in the order it runs. A fix is planned when a failed check names it in its remedy;',
    'every write is first proven by a server dry run. `safe` fixes change configuration, `restart` fixes restart pods (asked for one by one),',
    '`manual` fixes print exact commands and never run them. `akash-ip-doctor explain <fix-id>` prints the same text.',
    '',
    '| id | risk | makes pass |',
    '|---|---|---|',
    ...[...fixes].sort((a, b) => a.order - b.order).map((f) => `| [\`${f.id}\`](#${f.id.replace(/\./g, '')}) | ${f.risk} | ${f.addresses.map((a) => `\`${a}\``).join(', ')} |`),
    '',
  ];
  for (const f of [...fixes].sort((a, b) => a.order - b.order)) {
    out.push(`## ${f.id}`, '', `**${f.title}** — risk \`${f.risk}\`, makes pass ${f.addresses.map((a) => `\`${a}\``).join(', ') || '-'}.`, '', f.doc.trim(), '');
  }
  return out.join('\n');
}
