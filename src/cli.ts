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
    stdinIsTTY: !!process.stdin.isTTY,
    ask: askOnTerminal,
  };
}

/** One question on the terminal (prompt on stderr, so stdout stays the report). */
async function askOnTerminal(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

/**
 * The plain forms of the light commands, answered without loading the parser (yargs costs
 * more start-up than the command itself): `--version`, `list`, `list -o json`, `explain ID`.
 * Anything else, including any extra flag, goes through yargs as usual.
 */
async function fastPath(argv: string[], ctx: CommandContext): Promise<boolean> {
  const [cmd, ...rest] = argv;
  if (cmd === '--version' && rest.length === 0) {
    ctx.io.stdout(`${TOOL_VERSION}\n`);
    return true;
  }
  if (cmd === 'list') {
    const output = rest.length === 0 ? 'table' : ['-o=json', '--output=json'].includes(rest.join('=')) ? 'json' : ['-o=table', '--output=table'].includes(rest.join('=')) ? 'table' : undefined;
    if (rest.length > 2 || !output) return false;
    const { runList } = await import('./commands/list.js');
    await runList(ctx, output);
    return true;
  }
  if (cmd === 'explain' && rest.length === 1 && /^[a-z][a-z0-9.-]*$/.test(rest[0]!)) {
    const { runExplain } = await import('./commands/explain.js');
    await runExplain(ctx, rest[0]!);
    return true;
  }
  return false;
}

export async function main(argv: string[], ioIn: Partial<CliIO> = {}): Promise<number> {
  const io: CliIO = { ...processIO(), ...ioIn };
  let exitCode = 0;
  const ctx: CommandContext = { io, setExitCode: (c) => (exitCode = c) };
  try {
    if (await fastPath(argv, ctx)) return exitCode;
    return await parseAndRun(argv, ctx, () => exitCode);
  } catch (err) {
    return reportError(io, err);
  }
}

function reportError(io: CliIO, err: unknown): number {
  if (isExit2Error(err)) {
    io.stderr(`${TOOL_NAME}: ${sanitizeLine(err.message)}\n`);
    if (err.name === 'UsageError' && !/unknown check|scenario|duration|URL|timeout|state|threshold|demo:/.test(err.message)) io.stderr(`Run \`${TOOL_NAME} --help\` for usage.\n`);
    return 2;
  }
  io.stderr(`${TOOL_NAME}: internal error: ${sanitizeLine(err instanceof Error ? err.message : String(err))}\n`);
  if (io.env.AKASH_IP_DOCTOR_DEBUG && err instanceof Error) io.stderr(`${err.stack}\n`);
  return 1;
}

async function parseAndRun(argv: string[], ctx: CommandContext, exitCode: () => number): Promise<number> {
  const { io } = ctx;
  const [{ default: yargs }, { checkCommand }, { listCommand }, { explainCommand }, { demoCommand }, { simCommand }] = await Promise.all([
    import('yargs'),
    import('./commands/check.js'),
    import('./commands/list.js'),
    import('./commands/explain.js'),
    import('./commands/demo.js'),
    import('./commands/sim.js'),
  ]);
  const [{ serveCommand }, { schemaCommand }] = await Promise.all([import('./commands/serve.js'), import('./commands/schema.js')]);
  const { UsageError, addCheckOptions, parseDuration, runOptionsFrom } = await import('./commands/shared.js');
  const parser = yargs(argv)
    .scriptName(TOOL_NAME)
    .usage('$0 <command> [options]\n\nDiagnose IP-lease readiness of an Akash provider: MetalLB, kube-proxy, provider Helm values and the IP operator.')
    .command(checkCommand(ctx))
    .command(listCommand(ctx))
    .command(explainCommand(ctx))
    .command(demoCommand(ctx))
    .command(simCommand(ctx))
    .command(serveCommand({ addCheckOptions: (y) => addCheckOptions(y), doctorOptions: (x) => runOptionsFrom(x as never), parseDuration, usageError: (m) => new UsageError(m) }))
    .command(schemaCommand(ctx))
    .completion('completion', 'Print a shell completion script (bash/zsh): eval "$(akash-ip-doctor completion)"')
    .demandCommand(1, 'give a command: check, list, explain, demo, sim, serve, schema')
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

  // yargs renders the whole help text as soon as a command's handler has started, in case the
  // handler asks for help later (showHelp/getHelp: no command here does; --help renders its own
  // text): ~15 ms of CPU on every run for nothing
  const usage = (parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.().getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;

  // help, version and completion text come back as `output` instead of being printed
  let output = '';
  await parser.parseAsync(argv, {}, (_err, _argv, out) => {
    output = out;
  });
  if (output) io.stdout(output.endsWith('\n') ? output : output + '\n');
  return exitCode();
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
