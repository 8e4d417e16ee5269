/**
 * `demo`: run `check --fix --dry-run` against a built-in simulated provider (its fixes are
 * planned and proven by the simulated API server's dry run; nothing is applied unless --fix is given). It always exits 0 (unless the
 * flags are wrong: 2): a demo that finds problems worked. It runs against its own cluster, so
 * --kubeconfig, --context and --fail-on are rejected rather than silently ignored.
 */
import type { Argv, CommandModule } from 'yargs';
import { TOOL_NAME } from '../core/version.js';
import { addCheckOptions, UsageError, type CheckArgs, type CommandContext } from './shared.js';
import { runCheck } from './check.js';

/** Flags of `check` that make no sense against the built-in simulator. */
const REJECTED = ['kubeconfig', 'context', 'fail-on'] as const;

export function demoCommand(ctx: CommandContext): CommandModule {
  return {
    command: 'demo',
    describe: 'Run `check` against a built-in simulated provider cluster (always exits 0)',
    builder: (y: Argv) =>
      addCheckOptions(y, { timeoutDefault: '5s' }) // a simulated hang need not be waited out for the full production budget
        .option('scenario', { type: 'string', default: 'demo', describe: 'Simulated provider to diagnose (see --list)' })
        .option('list', { type: 'boolean', default: false, describe: 'List the built-in scenarios' }),
    handler: async (a) => {
      const args = a as unknown as CheckArgs & { scenario: string; list: boolean };
      for (const flag of REJECTED) {
        if (args[flag] !== undefined) throw new UsageError(`demo: --${flag} is not accepted: the demo diagnoses its own simulated cluster and always exits 0 (use \`${TOOL_NAME} check --${flag} …\` for a real one)`);
      }
      const { listScenarios, loadScenario, startSim, kubeconfigForUser } = await import('../sim/index.js');
      if (args.list) {
        const all = await listScenarios();
        const w = Math.max(...all.map((s) => s.name.length));
        ctx.io.stdout(all.map((s) => `${s.name.padEnd(w)}  ${s.description}\n`).join(''));
        return;
      }
      let state;
      try {
        state = await loadScenario(String(args.scenario));
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const sim = await startSim(state);
      try {
        // a scenario that declares restricted users (tokens) is about them: run as the first one
        const user = Object.keys(state.behaviour.users ?? {})[0];
        const kubeconfig = user ? await kubeconfigForUser(sim, user) : sim.kubeconfigPath;
        // the demo shows the fix flow too: without --fix of its own it plans and dry-runs the fixes
        const withFix: CheckArgs = args.fix ? args : { ...args, fix: true, 'dry-run': true };
        await runCheck(ctx, withFix, { kubeconfig, context: undefined, providerUrl: args['provider-url'] ?? sim.providerUrl });
        ctx.io.stderr(
          `\nThis was a simulation: scenario "${args.scenario}" (${state.description ?? ''}), served on ${sim.server}${user ? `, read as the restricted user "${user}"` : ''}. ` +
            `The demo exits 0 whatever it finds; run \`${TOOL_NAME} check\` against your own cluster, and \`${TOOL_NAME} check --fix\` to apply the fixes after a dry run and your confirmation.\n`,
        );
      } finally {
        await sim.close();
      }
      ctx.setExitCode(0);
    },
  };
}
