/** `sim serve`: serve a simulated cluster until SIGINT/SIGTERM. */
import { readFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { CliConfigError, UsageError, type CommandContext } from './shared.js';

async function loadStateFile(file: string) {
  const { parseState, loadScenario } = await import('../sim/index.js');
  const { resolveExtends } = await import('../sim/overlay.js');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliConfigError(`cannot read state file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const state = parseState(text, file);
    return await resolveExtends(text, state, loadScenario);
  } catch (err) {
    throw new CliConfigError(`invalid state file ${file}: ${(err as Error).message}`);
  }
}

export function simCommand(ctx: CommandContext): CommandModule {
  return {
    command: 'sim',
    describe: 'The simulated provider cluster',
    builder: (y: Argv) =>
      y
        .command(
          'serve',
          'Serve a simulated cluster until SIGINT/SIGTERM; prints {"kubeconfig", "providerUrl", "server"} when ready',
          (yy) =>
            yy
              .option('state', { type: 'string', describe: 'State file: Kubernetes YAML plus Behaviour documents' })
              .option('scenario', { type: 'string', describe: 'A built-in scenario instead of a file' })
              .check((x) => {
                if (!x.state === !x.scenario) throw new UsageError('give exactly one of --state FILE or --scenario NAME');
                return true;
              }),
          async (a) => {
            const { loadScenario, startSim } = await import('../sim/index.js');
            let state;
            try {
              state = a.state ? await loadStateFile(String(a.state)) : await loadScenario(String(a.scenario));
            } catch (err) {
              throw err instanceof CliConfigError ? err : new UsageError((err as Error).message);
            }
            // listen before the simulator starts: a signal during start-up still stops it cleanly
            let stop!: () => void;
            const stopped = new Promise<void>((resolve) => (stop = resolve));
            process.on('SIGINT', stop);
            process.on('SIGTERM', stop);
            try {
              const sim = await startSim(state);
              try {
                ctx.io.stdout(JSON.stringify({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, server: sim.server }) + '\n');
                await stopped;
              } finally {
                await sim.close();
              }
            } finally {
              process.removeListener('SIGINT', stop);
              process.removeListener('SIGTERM', stop);
            }
          },
        )
        .demandCommand(1, 'sim: give a subcommand (serve)'),
    handler: () => {},
  };
}
