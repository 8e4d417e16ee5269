/**
 * JSON renderer (contract, schema v1): exactly one JSON document. Details are
 * redacted; JSON string escaping keeps control characters harmless.
 */
import type { Report } from '../core/types.js';
import { redact } from './sanitize.js';

export function renderJson(report: Report): string {
  const safe: Report = { ...report, checks: report.checks.map((c) => (c.details ? { ...c, details: redact(c.details) as Record<string, unknown> } : c)) };
  return JSON.stringify(safe, null, 2) + '\n';
}
