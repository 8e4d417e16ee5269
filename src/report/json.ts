/**
 * JSON renderer (contract, schema v1): exactly one JSON document. Details are
 * redacted; C0 controls are escaped by JSON.stringify, and C1 controls (U+009B CSI),
 * DEL and bidi overrides are escaped here, so `cat report.json` is as safe as the table.
 */
import type { Report } from '../core/types.js';
import { escapeJsonText, redact } from './sanitize.js';

export function renderJson(report: Report): string {
  const safe: Report = { ...report, checks: report.checks.map((c) => (c.details ? { ...c, details: redact(c.details) as Record<string, unknown> } : c)) };
  return escapeJsonText(JSON.stringify(safe, null, 2)) + '\n';
}
