/**
 * Check documentation, generated from the registry: docs/checks.md and
 * `explain <id>` print the same text, so the two cannot drift.
 */
import type { Check } from '../core/types.js';

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
