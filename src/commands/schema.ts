/**
 * `akash-ip-doctor schema`: print the JSON Schema (draft 2020-12) of the JSON report
 * (`--output json`, `--report-file`). The file ships in the package as
 * schema/report.schema.json; its $id carries the schema version.
 */
import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';

/** dist/src/commands/schema.js -> <package root>/schema/report.schema.json */
export const SCHEMA_FILE = new URL('../../../schema/report.schema.json', import.meta.url);

export function schemaText(): string {
  const text = readFileSync(SCHEMA_FILE, 'utf8');
  return text.endsWith('\n') ? text : text + '\n';
}

export const schemaCommand: CommandModule = {
  command: 'schema',
  describe: 'Print the JSON Schema of the JSON report (--output json, --report-file)',
  handler: () => {
    process.stdout.write(schemaText());
  },
};
