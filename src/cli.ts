/**
 * Command line: check, list, explain, demo, sim serve, completion.
 * Exit codes (contract): 0 healthy, 1 a fail or error finding, 2 usage/configuration error.
 */
import { readFile } from 'node:fs/promises';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runDoctor, exitCodeFor, DEFAULT_RUN_OPTIONS, type DoctorOptions } from './core/engine.js';
import { ConfigError } from './cluster/client.js';
import { SelectionError, selectChecks } from './core/runner.js';
import { registry, findCheck } from './checks/index.js';
import { renderJson } from './report/json.js';
import { renderTable } from './report/table.js';
import { renderCheckDoc } from './report/docs.js';
import { sanitizeLine } from './report/sanitize.js';
import { TOOL_NAME, TOOL_VERSION } from './core/version.js';
import { renderJunit } from './report/junit.js';
import { renderMarkdown } from './report/markdown.js';
import { renderPrometheus } from './report/prometheus.js';
import { assertWritableReportPath, writeFileAtomic } from './report/file.js';
import { serveCommand } from './commands/serve.js';
import { schemaCommand } from './commands/schema.js';
import type { Report } from './core/types.js';

type Output = 'table' | 'json' | 'junit' | 'prometheus' | 'markdown';

interface CheckArgs {
  kubeconfig?: string;
  context?: string;
  output?: Output;
  'report-file'?: string;
  only?: string[];
  skip?: string[];
  timeout: number;
  'provider-url'?: string;
  'log-since': string;
  'fail-on': 'fail' | 'warn';
  'pool-low-threshold': number;
  'chain-api'?: string;
  verbose?: boolean;
}

/** Parse a duration like 30m, 90s, 2h, 1h30m, or plain seconds. */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n / 1000 : m[2] === 's' ? n : m[2] === 'm' ? n * 60 : m[2] === 'h' ? n * 3600 : n * 86400;
    consumed += m[0].length;
  }
  if (consumed !== t.length || consumed === 0) throw new UsageError(`${flag}: cannot read duration "${text}" (use e.g. 90s, 30m, 2h)`);
  return total;
}

class UsageError extends Error {}

function addCheckOptions<T>(y: Argv<T>) {
  return y
    .option('kubeconfig', { type: 'string', describe: 'Path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)' })
    .option('context', { type: 'string', describe: 'Kubeconfig context to use (default: the current context)' })
    .option('output', { alias: 'o', choices: ['table', 'json', 'junit', 'prometheus', 'markdown'] as const, describe: 'Output format (default: table); the exit code is the same for all' })
    .option('report-file', { type: 'string', describe: 'Also write the JSON report to this file, atomically (whatever --output prints)' })
    .option('only', { type: 'array', string: true, describe: 'Run only these check ids or categories (comma-separated or repeated); their dependencies run too' })
    .option('skip', { type: 'array', string: true, describe: 'Do not run these check ids or categories' })
    .option('timeout', { type: 'string', default: '15s', describe: 'Time budget per check (e.g. 15s, 1m)' })
    .option('provider-url', { type: 'string', describe: 'Provider status URL base (default: https://<AKASH_CLUSTER_PUBLIC_HOSTNAME>:8443 read from the provider)' })
    .option('log-since', { type: 'string', default: '30m', describe: 'How far back to read IP-operator logs (e.g. 30m, 2h)' })
    .option('fail-on', { choices: ['fail', 'warn'] as const, default: 'fail' as const, describe: 'Exit 1 on failures only, or on warnings too' })
    .option('pool-low-threshold', { type: 'number', default: DEFAULT_RUN_OPTIONS.poolLowThreshold, describe: 'Warn when the default pool has this many free addresses or fewer' })
    .option('chain-api', { type: 'string', describe: 'Akash chain REST API (e.g. https://api.akashnet.net:443) to read on-chain provider attributes' })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'Show hints for passing checks too' });
}

function doctorOptions(a: CheckArgs): DoctorOptions {
  const timeoutSec = parseDuration(String(a.timeout), '--timeout');
  if (!(timeoutSec > 0)) throw new UsageError('--timeout must be greater than 0');
  const since = parseDuration(String(a['log-since']), '--log-since');
  if (a['provider-url'] !== undefined) validateUrl(a['provider-url'], '--provider-url');
  if (a['chain-api'] !== undefined) validateUrl(a['chain-api'], '--chain-api');
  if (!Number.isFinite(a['pool-low-threshold']) || a['pool-low-threshold'] < 0) throw new UsageError('--pool-low-threshold must be a number ≥ 0');
  return {
    kubeconfig: a.kubeconfig,
    context: a.context,
    only: a.only,
    skip: a.skip,
    timeoutMs: Math.round(timeoutSec * 1000),
    providerUrl: a['provider-url']?.replace(/\/+$/, ''),
    logSinceSeconds: Math.max(1, Math.round(since)),
    poolLowThreshold: a['pool-low-threshold'],
    chainApi: a['chain-api']?.replace(/\/+$/, ''),
  };
}

function validateUrl(value: string, flag: string): void {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${flag}: not a URL: "${value}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UsageError(`${flag}: only http(s) URLs are supported, got ${u.protocol}`);
}

function useColor(stream: NodeJS.WriteStream): boolean {
  return !!stream.isTTY && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
}

async function render(report: Report, output: Output, verbose: boolean, failOn: 'fail' | 'warn'): Promise<string> {
  if (output === 'json') return renderJson(report);
  if (output === 'junit') return renderJunit(report, { failOn });
  if (output === 'prometheus') return renderPrometheus(report);
  if (output === 'markdown') return renderMarkdown(report);
  return renderTable(report, { color: useColor(process.stdout), width: process.stdout.columns, verbose });
}

/** Progress on stderr, only on a terminal. */
function progressHooks(total: number): DoctorOptions['hooks'] {
  if (!process.stderr.isTTY) return undefined;
  let done = 0;
  return {
    onFinish: () => {
      done++;
      process.stderr.write(`\r\u001b[Kchecking… ${done}/${total}`);
      if (done === total) process.stderr.write('\r\u001b[K');
    },
  };
}

async function runCheck(a: CheckArgs, extra: Partial<DoctorOptions> = {}): Promise<{ report: Report; code: 0 | 1 }> {
  const opts = { ...doctorOptions(a), ...extra };
  const total = selectChecks(registry, opts.only, opts.skip).length;
  if (a['report-file']) await assertWritableReportPath(a['report-file']);
  const { report } = await runDoctor({ ...opts, hooks: progressHooks(total) });
  // the file first: a reader that closes stdout early (`| head`) ends the process
  if (a['report-file']) await writeFileAtomic(a['report-file'], renderJson(report));
  process.stdout.write(await render(report, a.output ?? 'table', !!a.verbose, a['fail-on']));
  return { report, code: exitCodeFor(report, a['fail-on']) };
}

async function loadStateFile(file: string) {
  const { parseState, loadScenario } = await import('./sim/index.js');
  const { resolveExtends } = await import('./sim/overlay.js');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read state file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const state = parseState(text, file);
    return await resolveExtends(text, state, loadScenario);
  } catch (err) {
    throw new ConfigError(`invalid state file ${file}: ${(err as Error).message}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const parser = yargs(argv)
    .scriptName(TOOL_NAME)
    .usage('$0 <command> [options]\n\nDiagnose IP-lease readiness of an Akash provider: MetalLB, kube-proxy, provider Helm values and the IP operator.')
    .command(
      'check',
      'Diagnose the cluster of the current kubeconfig context',
      (y) => addCheckOptions(y),
      async (a) => {
        exitCode = (await runCheck(a as unknown as CheckArgs)).code;
      },
    )
    .command(
      'list',
      'List every check: id, category, title',
      (y) => y.option('output', { alias: 'o', choices: ['table', 'json'] as const, default: 'table' as const }),
      (a) => {
        if (a.output === 'json') {
          process.stdout.write(JSON.stringify(registry.map((c) => ({ id: c.id, category: c.category, title: c.title, dependsOn: c.dependsOn ?? [] })), null, 2) + '\n');
          return;
        }
        const w = Math.max(...registry.map((c) => c.id.length));
        const cw = Math.max(...registry.map((c) => c.category.length));
        for (const c of registry) process.stdout.write(`${c.id.padEnd(w)}  ${c.category.padEnd(cw)}  ${c.title}\n`);
      },
    )
    .command(
      'explain <id>',
      'Explain a check: what it looks at, why it matters, how to fix it',
      (y) => y.positional('id', { type: 'string', demandOption: true, describe: 'Check id (see `list`)' }),
      (a) => {
        const check = findCheck(String(a.id));
        if (!check) throw new UsageError(`unknown check "${sanitizeLine(String(a.id))}" (see \`${TOOL_NAME} list\`)`);
        process.stdout.write(renderCheckDoc(check));
      },
    )
    .command(
      'demo',
      'Run `check` against a built-in simulated provider cluster',
      (y) =>
        addCheckOptions(y)
          // a simulated hang need not be waited out for the full production budget
          .option('timeout', { type: 'string', default: '5s', describe: 'Time budget per check (e.g. 5s, 1m)' })
          .option('scenario', { type: 'string', default: 'demo', describe: 'Simulated provider to diagnose (see --list)' })
          .option('list', { type: 'boolean', default: false, describe: 'List the built-in scenarios' }),
      async (a) => {
        const { listScenarios, loadScenario, startSim } = await import('./sim/index.js');
        if (a.list) {
          const all = await listScenarios();
          const w = Math.max(...all.map((s) => s.name.length));
          for (const s of all) process.stdout.write(`${s.name.padEnd(w)}  ${s.description}\n`);
          return;
        }
        let state;
        try {
          state = await loadScenario(String(a.scenario));
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        const sim = await startSim(state);
        try {
          const args = a as unknown as CheckArgs;
          await runCheck({ ...args, kubeconfig: undefined, context: undefined }, { kubeconfig: sim.kubeconfigPath, providerUrl: args['provider-url'] ?? sim.providerUrl });
          process.stderr.write(`\nThis was a simulation: scenario "${a.scenario}" (${state.description ?? ''}), served on ${sim.server}. Run \`${TOOL_NAME} check\` against your own cluster.\n`);
        } finally {
          await sim.close();
        }
        exitCode = 0;
      },
    )
    .command('sim', 'The simulated provider cluster', (y) =>
      y
        .command(
          'serve',
          'Serve a simulated cluster until SIGINT/SIGTERM; prints {"kubeconfig", "providerUrl"} when ready',
          (yy) =>
            yy
              .option('state', { type: 'string', describe: 'State file: Kubernetes YAML plus Behaviour documents' })
              .option('scenario', { type: 'string', describe: 'A built-in scenario instead of a file' })
              .check((x) => {
                if (!x.state === !x.scenario) throw new UsageError('give exactly one of --state FILE or --scenario NAME');
                return true;
              }),
          async (a) => {
            const { loadScenario, startSim } = await import('./sim/index.js');
            let state;
            try {
              state = a.state ? await loadStateFile(String(a.state)) : await loadScenario(String(a.scenario));
            } catch (err) {
              throw err instanceof ConfigError ? err : new UsageError((err as Error).message);
            }
            const sim = await startSim(state);
            process.stdout.write(JSON.stringify({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, server: sim.server }) + '\n');
            await new Promise<void>((resolve) => {
              const stop = () => resolve();
              process.once('SIGINT', stop);
              process.once('SIGTERM', stop);
            });
            await sim.close();
          },
        )
        .demandCommand(1, 'sim: give a subcommand (serve)'),
    )
    .command(serveCommand({ addCheckOptions: (y) => addCheckOptions(y), doctorOptions: (x) => doctorOptions(x as unknown as CheckArgs), parseDuration, usageError: (m) => new UsageError(m) }))
    .command(schemaCommand)
    .completion('completion', 'Print a shell completion script (bash/zsh): eval "$(akash-ip-doctor completion)"')
    .demandCommand(1, 'give a command: check, list, explain, demo, sim, serve, schema')
    .strict()
    .recommendCommands()
    .version(TOOL_VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });

  try {
    await parser.parseAsync();
    return exitCode;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof SelectionError) {
      process.stderr.write(`${TOOL_NAME}: ${sanitizeLine(err.message)}\n`);
      if (err instanceof UsageError && !/unknown check|scenario|duration|URL|timeout|state|threshold|listen|interval/.test(err.message)) process.stderr.write(`Run \`${TOOL_NAME} --help\` for usage.\n`);
      return 2;
    }
    process.stderr.write(`${TOOL_NAME}: internal error: ${sanitizeLine(err instanceof Error ? err.message : String(err))}\n`);
    if (process.env.AKASH_IP_DOCTOR_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

// a reader that stops early (`| head`) is no error worth a stack trace
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const code = await main(hideBin(process.argv));
// exit once stdout has drained (lingering keep-alive sockets must not hold the process)
process.stdout.write('', () => process.exit(code));
