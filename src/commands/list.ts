/** `list`: every check with id, category and title (table or JSON). */
import type { Argv, CommandModule } from 'yargs';
import type { CommandContext } from './shared.js';

export function listCommand(ctx: CommandContext): CommandModule {
  return {
    command: 'list',
    describe: 'List every check: id, category, title',
    builder: (y: Argv) => y.option('output', { alias: 'o', choices: ['table', 'json'] as const, default: 'table' as const }),
    handler: (a) => runList(ctx, a.output === 'json' ? 'json' : 'table'),
  };
}

export async function runList(ctx: CommandContext, output: 'table' | 'json'): Promise<void> {
  const { registry } = await import('../checks/index.js');
  if (output === 'json') {
    ctx.io.stdout(JSON.stringify(registry.map((c) => ({ id: c.id, category: c.category, title: c.title, dependsOn: c.dependsOn ?? [] })), null, 2) + '\n');
    return;
  }
  const w = Math.max(...registry.map((c) => c.id.length));
  const cw = Math.max(...registry.map((c) => c.category.length));
  ctx.io.stdout(registry.map((c) => `${c.id.padEnd(w)}  ${c.category.padEnd(cw)}  ${c.title}\n`).join(''));
}
