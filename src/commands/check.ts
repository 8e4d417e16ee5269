/**
 * `check`: diagnose the cluster of a kubeconfig context. The client, the checks and the
 * renderers are loaded here, on the path that needs them, not when the CLI starts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import type { DoctorOptions } from '../core/engine.js';
import type { Report } from '../core/types.js';
import { addCheckOptions, CliConfigError, fixArgsFrom, runOptionsFrom, useColor, type CheckArgs, type CommandContext, type FixArgs } from './shared.js';

/** Progress on stderr, only on a terminal. */
function progressHooks(ctx: CommandContext, total: number): DoctorOptions['hooks'] {
  if (!ctx.io.stderrIsTTY) return undefined;
  let done = 0;
  return {
    onFinish: () => {
      done++;
      ctx.io.stderr(`\r\u001b[Kchecking… ${done}/${total}`);
      if (done === total) ctx.io.stderr('\r\u001b[K');
    },
  };
}

/** Text without YAML content: only blanks, comments and document markers. */
function isEmptyYaml(text: string): boolean {
  return text.split('\n').every((l) => /^\s*(#.*)?$/.test(l) || /^(---|\.\.\.)\s*$/.test(l));
}

/**
 * The kubeconfig files the client will read (--kubeconfig, else $KUBECONFIG, else
 * ~/.kube/config): an empty one is a configuration error with its own clear line.
 */
export function checkKubeconfigNotEmpty(kubeconfig: string | undefined, env: NodeJS.ProcessEnv): void {
  const files =
    kubeconfig !== undefined ? [kubeconfig] : env.KUBECONFIG ? env.KUBECONFIG.split(path.delimiter).filter(Boolean) : [path.join(homedir(), '.kube', 'config')];
  for (const f of files) {
    if (!existsSync(f)) continue;
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue; // unreadable: the client names the problem
    }
    if (isEmptyYaml(text)) throw new CliConfigError(`kubeconfig ${f} is empty: it names no cluster, user or context (pass --kubeconfig or set KUBECONFIG to a kubeconfig file)`);
  }
}

export async function renderReport(ctx: CommandContext, report: Report, a: CheckArgs): Promise<string> {
  const output = a.output ?? 'table';
  if (output === 'json') {
    const { renderJson } = await import('../report/json.js');
    return renderJson(report);
  }
  if (output === 'junit') return (await import('../report/junit.js')).renderJunit(report, { failOn: a['fail-on'] ?? 'fail' });
  if (output === 'prometheus') return (await import('../report/prometheus.js')).renderPrometheus(report);
  if (output === 'markdown') return (await import('../report/markdown.js')).renderMarkdown(report);
  const { renderTable } = await import('../report/table.js');
  return renderTable(report, { color: useColor(ctx.io), width: ctx.io.columns, verbose: !!a.verbose });
}

/** Run the diagnosis (and with --fix the fixes) and print the report; returns the exit code (0/1). */
export async function runCheck(ctx: CommandContext, a: CheckArgs, extra: Partial<DoctorOptions> = {}): Promise<{ report: Report; code: 0 | 1 }> {
  const opts: DoctorOptions = { ...runOptionsFrom(a), ...extra };
  const fix = fixArgsFrom(a, ctx.io);
  const [{ runDoctor, exitCodeFor }, { selectChecks }, { registry }] = await Promise.all([
    import('../core/engine.js'),
    import('../core/runner.js'),
    import('../checks/index.js'),
  ]);
  // selection first (a usage error), then the kubeconfig (a configuration error)
  const total = selectChecks(registry, opts.only, opts.skip).length;
  checkKubeconfigNotEmpty(opts.kubeconfig, ctx.io.env);
  const reportFile = a['report-file'];
  const file = reportFile ? await import('../report/file.js') : undefined;
  if (file && reportFile) await file.assertWritableReportPath(reportFile);
  const report = fix ? await runFixes(ctx, a, opts, fix) : (await runDoctor({ ...opts, hooks: progressHooks(ctx, total) })).report;
  // the file first: a reader that closes stdout early (`| head`) ends the process
  if (file && reportFile) await file.writeFileAtomic(reportFile, (await import('../report/json.js')).renderJson(report));
  ctx.io.stdout(await renderReport(ctx, report, a));
  return { report, code: exitCodeFor(report, a['fail-on'] ?? 'fail') };
}

/**
 * `--fix`: plan, dry-run, ask (on a terminal, without --yes), apply, re-check. On a terminal
 * the diagnosis and the plan are shown before the questions; SIGINT/SIGTERM stop before the
 * next write, release the lock and still print what was done.
 */
async function runFixes(ctx: CommandContext, a: CheckArgs, opts: DoctorOptions, fix: FixArgs): Promise<Report> {
  const { runDoctorWithFixes } = await import('../core/fixer.js');
  const interactive = fix.mode === 'apply' && !fix.yes;
  const abort = new AbortController();
  const onSignal = () => {
    ctx.io.stderr('\ninterrupted: no further change is sent; releasing the lock\n');
    abort.abort();
  };
  // only while writes may be sent: a dry run (and the demo's) keeps the default Ctrl-C
  const hook = fix.mode === 'apply';
  if (hook) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    const { report } = await runDoctorWithFixes({
      ...opts,
      mode: fix.mode,
      yes: fix.yes,
      minRestartIntervalMs: fix.minRestartIntervalMs,
      settleTimeoutMs: fix.settleTimeoutMs,
      signal: abort.signal,
      onProgress: ctx.io.stderrIsTTY || interactive ? (line) => ctx.io.stderr(`${line}\n`) : undefined,
      ...(interactive
        ? {
            confirm: async (q: string) => /^y(es)?$/i.test((await ctx.io.ask!(`${q} [y/N] `)).trim()),
            onPlan: async (before: Report, fixes: Report['fixes']) => {
              if (!fixes?.some((f) => f.outcome === 'dry-run')) return;
              // the plan is for the person at the terminal: on stderr when stdout carries a document (-o json)
              const text = await renderReport(ctx, { ...before, fixMode: 'dry-run', fixes }, { ...a, output: 'table' });
              if ((a.output ?? 'table') === 'table') ctx.io.stdout(text);
              else ctx.io.stderr(text);
            },
          }
        : {}),
    });
    return report;
  } finally {
    if (hook) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

export function checkCommand(ctx: CommandContext): CommandModule {
  return {
    command: 'check',
    describe: 'Diagnose the cluster of the current kubeconfig context',
    builder: (y: Argv) => addCheckOptions(y),
    handler: async (a) => {
      ctx.setExitCode((await runCheck(ctx, a as unknown as CheckArgs)).code);
    },
  };
}
