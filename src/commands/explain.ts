/** `explain ID`: what a check looks at, why it matters, how to fix it (the text of docs/checks.md). */
import type { Argv, CommandModule } from 'yargs';
import { sanitizeLine } from '../report/sanitize.js';
import { TOOL_NAME } from '../core/version.js';
import { UsageError, type CommandContext } from './shared.js';

export function explainCommand(ctx: CommandContext): CommandModule {
  return {
    command: 'explain <id>',
    describe: 'Explain a check (what it looks at, why it matters, how to fix it) or a fix of check --fix',
    builder: (y: Argv) => y.positional('id', { type: 'string', demandOption: true, describe: 'Check id (see `list`) or fix id (see docs/fixes.md)' }),
    handler: (a) => runExplain(ctx, String(a.id)),
  };
}

export async function runExplain(ctx: CommandContext, id: string): Promise<void> {
  const [{ findCheck }, { renderCheckDoc, renderFixDoc }] = await Promise.all([import('../checks/index.js'), import('../report/docs.js')]);
  const check = findCheck(id);
  if (check) {
    ctx.io.stdout(renderCheckDoc(check));
    return;
  }
  const { findFix } = await import('../fixes/index.js');
  const fix = findFix(id);
  if (!fix) throw new UsageError(`unknown check or fix "${sanitizeLine(id)}" (see \`${TOOL_NAME} list\` and docs/fixes.md)`);
  ctx.io.stdout(renderFixDoc(fix));
}
