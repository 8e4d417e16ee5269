/**
 * Command line: yargs wiring only; one file per command in src/commands/.
 * Exit codes (contract): 0 healthy, 1 a fail or error finding, 2 usage/configuration error.
 *
 * `main(argv, io)` returns the exit code and never calls process.exit, so tests run it
 * in-process; `runAsProcess()` (bin/akash-ip-doctor.js) wires it to the real streams.
 * Start-up stays light: yargs is loaded only when there is something to parse, and the
 * Kubernetes client, undici, the checks and the simulator only by the commands that need them.
 */
import { sanitizeLine } from './report/sanitize.js';
import { TOOL_NAME, TOOL_VERSION } from './core/version.js';
import { isExit2Error, type CliIO, type CommandContext } from './commands/shared.js';

export type { CliIO } from './commands/shared.js';

function processIO(): CliIO {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stdoutIsTTY: !!process.stdout.isTTY,
    stderrIsTTY: !!process.stderr.isTTY,
    columns: process.stdout.columns,
    env: process.env,
  };
}

export async function main(argv: string[], ioIn: Partial<CliIO> = {}): Promise<number> {
  const io: CliIO = { ...processIO(), ...ioIn };
  // the fastest path: nothing to parse
  if (argv.length === 1 && argv[0] === '--version') {
    io.stdout(`${TOOL_VERSION}\n`);
    return 0;
  }
  let exitCode = 0;
  const ctx: CommandContext = { io, setExitCode: (c) => (exitCode = c) };
  const [{ default: yargs }, { checkCommand }, { listCommand }, { explainCommand }, { demoCommand }, { simCommand }] = await Promise.all([
    import('yargs'),
    import('./commands/check.js'),
    import('./commands/list.js'),
    import('./commands/explain.js'),
    import('./commands/demo.js'),
    import('./commands/sim.js'),
  ]);
  const { UsageError } = await import('./commands/shared.js');
  const parser = yargs(argv)
    .scriptName(TOOL_NAME)
    .usage('$0 <command> [options]\n\nDiagnose IP-lease readiness of an Akash provider: MetalLB, kube-proxy, provider Helm values and the IP operator.')
    .command(checkCommand(ctx))
    .command(listCommand(ctx))
    .command(explainCommand(ctx))
    .command(demoCommand(ctx))
    .command(simCommand(ctx))
    .completion('completion', 'Print a shell completion script (bash/zsh): eval "$(akash-ip-doctor completion)"')
    .demandCommand(1, 'give a command: check, list, explain, demo, sim')
    .strict()
    .recommendCommands()
    .version(TOOL_VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, io.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });

  try {
    // help, version and completion text come back as `output` instead of being printed
    let output = '';
    await parser.parseAsync(argv, {}, (_err, _argv, out) => {
      output = out;
    });
    if (output) io.stdout(output.endsWith('\n') ? output : output + '\n');
    return exitCode;
  } catch (err) {
    if (isExit2Error(err)) {
      io.stderr(`${TOOL_NAME}: ${sanitizeLine(err.message)}\n`);
      if (err.name === 'UsageError' && !/unknown check|scenario|duration|URL|timeout|state|threshold|demo:/.test(err.message)) io.stderr(`Run \`${TOOL_NAME} --help\` for usage.\n`);
      return 2;
    }
    io.stderr(`${TOOL_NAME}: internal error: ${sanitizeLine(err instanceof Error ? err.message : String(err))}\n`);
    if (io.env.AKASH_IP_DOCTOR_DEBUG && err instanceof Error) io.stderr(`${err.stack}\n`);
    return 1;
  }
}

/** The binary: real streams, then exit once stdout has drained. */
export async function runAsProcess(argv: string[] = process.argv.slice(2)): Promise<void> {
  // a reader that stops early (`| head`) is no error worth a stack trace
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const code = await main(argv);
  // lingering keep-alive sockets must not hold the process
  process.stdout.write('', () => process.exit(code));
}
