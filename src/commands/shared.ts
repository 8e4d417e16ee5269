/**
 * What every command shares: the I/O the CLI writes to (process streams, or buffers in
 * tests), usage errors, duration parsing and the `check` flags. Nothing heavy is imported
 * here: commands load the client, the checks and the simulator only on the paths that
 * need them, so `--version`, `list`, `explain` and `completion` start fast.
 */
import type { Argv } from 'yargs';

/** Where the CLI writes; `main()` takes one so tests can run it in-process. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stdout is a terminal (table colour, width). */
  stdoutIsTTY: boolean;
  /** stderr is a terminal (progress line). */
  stderrIsTTY: boolean;
  /** Terminal width, when known. */
  columns?: number;
  env: NodeJS.ProcessEnv;
  /** stdin is a terminal: `check --fix` may ask before changing the cluster. */
  stdinIsTTY?: boolean;
  /** Ask a question on the terminal and return the answer line (absent: nobody to ask). */
  ask?: (question: string) => Promise<string>;
}

/** Shared by the command handlers of one `main()` call. */
export interface CommandContext {
  io: CliIO;
  setExitCode(code: number): void;
}

/** A usage problem: exit code 2, one clear line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A configuration problem found by the CLI itself (state file, empty kubeconfig): exit 2.
 * Same name as the client's ConfigError so one test covers both without loading the client.
 */
export class CliConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Errors that mean exit 2 (usage or configuration), recognised by name so no heavy module is loaded to test them. */
export function isExit2Error(err: unknown): err is Error {
  return err instanceof Error && (err.name === 'UsageError' || err.name === 'ConfigError' || err.name === 'SelectionError');
}

/** Parse a duration like 30m, 90s, 2h, 1h30m, or plain seconds; returns seconds. */
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

/**
 * The longest per-check budget accepted. Node's timers overflow past 2^31-1 ms (24.8 days;
 * a longer delay fires at once), and no single check needs more than an hour: a larger
 * --timeout is a usage error (exit 2), not silently capped.
 */
export const MAX_TIMEOUT_SECONDS = 3600;

export function validateUrl(value: string, flag: string): void {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${flag}: not a URL: "${value}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UsageError(`${flag}: only http(s) URLs are supported, got ${u.protocol}`);
}

export type Output = 'table' | 'json' | 'junit' | 'prometheus' | 'markdown';

export interface CheckArgs {
  kubeconfig?: string;
  context?: string;
  output?: Output;
  'report-file'?: string;
  only?: string[];
  skip?: string[];
  timeout: string;
  'provider-url'?: string;
  'log-since': string;
  'fail-on'?: 'fail' | 'warn';
  'pool-low-threshold': number;
  'chain-api'?: string;
  verbose?: boolean;
  fix?: boolean;
  yes?: boolean;
  'dry-run'?: boolean;
  'min-restart-interval'?: string;
  'fix-timeout'?: string;
}

/** Default of --pool-low-threshold (the same as the engine's; kept here so the flags load nothing heavy). */
export const DEFAULT_POOL_LOW_THRESHOLD = 2;

/** The flags of `check` (and `demo`, which rejects the cluster-selecting ones). */
export function addCheckOptions<T>(y: Argv<T>, opts: { timeoutDefault?: string } = {}) {
  return y
    .option('kubeconfig', { type: 'string', describe: 'Path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)' })
    .option('context', { type: 'string', describe: 'Kubeconfig context to use (default: the current context)' })
    .option('output', { alias: 'o', choices: ['table', 'json', 'junit', 'prometheus', 'markdown'] as const, describe: 'Output format (default: table); the exit code is the same for all' })
    .option('report-file', { type: 'string', describe: 'Also write the JSON report to this file, atomically (whatever --output prints)' })
    .option('only', { type: 'array', string: true, describe: 'Run only these check ids or categories (comma-separated or repeated); their dependencies run too' })
    .option('skip', { type: 'array', string: true, describe: 'Do not run these check ids or categories' })
    .option('timeout', { type: 'string', default: opts.timeoutDefault ?? '15s', describe: `Time budget per check (e.g. 15s, 1m; at most ${MAX_TIMEOUT_SECONDS / 60}m)` })
    .option('provider-url', { type: 'string', describe: 'Provider status URL base (default: https://<AKASH_CLUSTER_PUBLIC_HOSTNAME>:8443 read from the provider)' })
    .option('log-since', { type: 'string', default: '30m', describe: 'How far back to read IP-operator logs (e.g. 30m, 2h)' })
    .option('fail-on', { choices: ['fail', 'warn'] as const, describe: 'Exit 1 on failures only, or on warnings too (default: fail)' })
    .option('pool-low-threshold', { type: 'number', default: DEFAULT_POOL_LOW_THRESHOLD, describe: 'Warn when the default pool has this many free addresses or fewer' })
    .option('chain-api', { type: 'string', describe: 'Akash chain REST API (e.g. https://api.akashnet.net:443) to read on-chain provider attributes' })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'Show the evidence line of passing checks too' })
    .option('fix', { type: 'boolean', describe: 'Plan the fixes of the failed checks, prove them with a server dry run, ask, apply, and check again' })
    .option('yes', { alias: 'y', type: 'boolean', describe: 'With --fix: apply without asking (needed without a terminal)' })
    .option('dry-run', { type: 'boolean', describe: 'With --fix: plan and dry-run every write on the server (dryRun=All); change nothing' })
    .option('min-restart-interval', { type: 'string', describe: 'With --fix: refuse to restart a workload restarted by --fix less than this ago (default 15m)' })
    .option('fix-timeout', { type: 'string', describe: 'With --fix: how long to wait for a fix to take effect, e.g. a restarted pod Ready (default 2m)' });
}

export interface FixArgs {
  mode: 'apply' | 'dry-run';
  yes: boolean;
  minRestartIntervalMs: number;
  settleTimeoutMs: number;
}

/**
 * The --fix flags; usage errors (exit 2) before anything is sent. Without a terminal to ask on
 * and without --yes, an apply is refused here, so nothing is written.
 */
export function fixArgsFrom(a: CheckArgs, io: CliIO): FixArgs | undefined {
  if (!a.fix) {
    for (const f of ['yes', 'dry-run', 'min-restart-interval', 'fix-timeout'] as const) {
      if (a[f] !== undefined && a[f] !== false) throw new UsageError(`--${f} needs --fix`);
    }
    return undefined;
  }
  const minRestart = a['min-restart-interval'] !== undefined ? parseDuration(a['min-restart-interval'], '--min-restart-interval') : 15 * 60;
  const settle = a['fix-timeout'] !== undefined ? parseDuration(a['fix-timeout'], '--fix-timeout') : 120;
  if (!(settle > 0) || settle > MAX_TIMEOUT_SECONDS) throw new UsageError(`--fix-timeout must be greater than 0 and at most ${MAX_TIMEOUT_SECONDS / 60}m`);
  const mode = a['dry-run'] ? 'dry-run' : 'apply';
  if (mode === 'apply' && !a.yes && !(io.stdinIsTTY && io.ask)) throw new UsageError('refusing to change the cluster without --yes (no terminal to ask on); use --fix --dry-run to see the plan');
  return { mode, yes: !!a.yes, minRestartIntervalMs: Math.round(minRestart * 1000), settleTimeoutMs: Math.round(settle * 1000) };
}

/** Run options from the flags; every problem is a UsageError (exit 2). */
export function runOptionsFrom(a: CheckArgs) {
  const timeoutSec = parseDuration(String(a.timeout), '--timeout');
  if (!(timeoutSec > 0)) throw new UsageError('--timeout must be greater than 0');
  if (timeoutSec > MAX_TIMEOUT_SECONDS) throw new UsageError(`--timeout: at most ${MAX_TIMEOUT_SECONDS / 60}m per check, got "${a.timeout}"`);
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

export function useColor(io: CliIO): boolean {
  return io.stdoutIsTTY && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
}
