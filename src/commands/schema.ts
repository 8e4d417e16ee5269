/**
 * `akash-ip-doctor schema`: print the JSON Schema (draft 2020-12) of the JSON report
 * (`--output json`, `--report-file`). The file ships in the package as
 * schema/report.schema.json; its $id carries the schema version.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import type { CommandContext } from './shared.js';

/**
 * <package root>/schema/report.schema.json, found from this module upwards: the compiled
 * sources (dist/src/commands/) and the bundle (dist/bundle/) sit at different depths.
 */
function findSchemaFile(): URL {
  for (const up of ['../../../', '../../', '../']) {
    const u = new URL(`${up}schema/report.schema.json`, import.meta.url);
    if (existsSync(u)) return u;
  }
  return new URL('../../../schema/report.schema.json', import.meta.url);
}

export const SCHEMA_FILE = findSchemaFile();

export function schemaText(): string {
  const text = readFileSync(SCHEMA_FILE, 'utf8');
  return text.endsWith('\n') ? text : text + '\n';
}

export function schemaCommand(ctx: CommandContext): CommandModule {
  return {
    command: 'schema',
    describe: 'Print the JSON Schema of the JSON report (--output json, --report-file)',
    handler: () => {
      ctx.io.stdout(schemaText());
    },
  };
}
