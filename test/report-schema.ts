/**
 * The report's JSON Schema (schema/report.schema.json, draft 2020-12) as a test
 * assertion: every report a test produces is validated with ajv, plus the one
 * invariant a schema cannot say (the summary counts add up to the checks).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { STATUSES, type Report } from '../src/core/types.js';
import { renderJson } from '../src/report/json.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const schemaPath = path.join(repoRoot, 'schema', 'report.schema.json');

let validator: ValidateFunction | undefined;

/** The compiled validator (strict mode: an unknown keyword or format in the schema is an error). */
export function reportValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    const mod = addFormatsModule as unknown as { default?: (a: Ajv2020) => void } & ((a: Ajv2020) => void);
    (mod.default ?? mod)(ajv);
    validator = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));
  }
  return validator;
}

/** Assert a parsed JSON report document is valid against the schema. */
export function assertValidReport(doc: unknown, label = 'report'): void {
  const validate = reportValidator();
  const ok = validate(doc);
  assert.ok(ok, `${label} does not match schema/report.schema.json:\n${(validate.errors ?? []).map((e) => `  ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('\n')}`);
  const d = doc as Report;
  assert.equal(STATUSES.reduce((n, s) => n + d.summary[s], 0), d.checks.length, `${label}: summary counts add up to the checks`);
  assert.equal(d.summary.healthy, d.summary.fail === 0 && d.summary.error === 0, `${label}: healthy means no fail and no error`);
}

/** Validate a report object as the JSON renderer prints it. */
export function assertValidReportObject(report: Report, label?: string): void {
  assertValidReport(JSON.parse(renderJson(report)), label);
}
