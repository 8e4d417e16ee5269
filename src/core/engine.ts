/**
 * One full diagnosis: kubeconfig -> client -> snapshot -> runner -> report.
 * Used by `check`, `demo`, the tests and the benchmark alike.
 */
import { KubeClient, loadKubeConfig } from '../cluster/client.js';
import { Snapshot } from '../cluster/snapshot.js';
import { registry as defaultRegistry } from '../checks/index.js';
import { runChecks, selectChecks, type RunHooks } from './runner.js';
import { diagnose } from './diagnosis.js';
import { REPORT_SCHEMA_VERSION, STATUSES, type Check, type CheckResult, type Report, type RunOptions, type Status } from './types.js';
import { TOOL_NAME, TOOL_VERSION } from './version.js';

export interface DoctorOptions extends Partial<RunOptions> {
  kubeconfig?: string;
  context?: string;
  only?: string[];
  skip?: string[];
  /** Per-request timeout (ms); defaults to the per-check budget. */
  requestTimeoutMs?: number;
  /** Attempts for transient errors. */
  retries?: number;
  minBackoffMs?: number;
  registry?: readonly Check[];
  hooks?: RunHooks;
  /** Test hook: DNS lookup used by HTTP probes. */
  lookup?: Snapshot['lookup'];
}

export const DEFAULT_RUN_OPTIONS: RunOptions = {
  timeoutMs: 15_000,
  logSinceSeconds: 30 * 60,
  logTailLines: 20_000,
  poolLowThreshold: 2,
};

export interface DoctorRun {
  report: Report;
  /** HTTP requests the run made (including retries). */
  requestCount: number;
  /** New connections to the API server and TLS handshakes with it (one pool per run: ideally 1). */
  connections: number;
  tlsHandshakes: number;
}

/** What a run needs before it sends anything: the checks, the options and the one client. */
export interface PreparedRun {
  checks: Check[];
  options: RunOptions;
  client: KubeClient;
}

/**
 * Select the checks and resolve the kubeconfig: selection problems are usage errors and
 * kubeconfig problems configuration errors (exit 2), raised before any request.
 */
export function prepareRun(opts: DoctorOptions = {}): PreparedRun {
  const registry = opts.registry ?? defaultRegistry;
  const checks = selectChecks(registry, opts.only, opts.skip);
  const kc = loadKubeConfig({ kubeconfig: opts.kubeconfig, context: opts.context });
  const options: RunOptions = {
    timeoutMs: opts.timeoutMs ?? DEFAULT_RUN_OPTIONS.timeoutMs,
    checkTimeoutsMs: opts.checkTimeoutsMs,
    providerUrl: opts.providerUrl,
    logSinceSeconds: opts.logSinceSeconds ?? DEFAULT_RUN_OPTIONS.logSinceSeconds,
    logTailLines: opts.logTailLines ?? DEFAULT_RUN_OPTIONS.logTailLines,
    poolLowThreshold: opts.poolLowThreshold ?? DEFAULT_RUN_OPTIONS.poolLowThreshold,
    chainApi: opts.chainApi,
  };
  // the whole kubeconfig entry is resolved here (files, PEM, proxy): local problems are ConfigErrors
  const client = new KubeClient(kc, {
    requestTimeoutMs: opts.requestTimeoutMs ?? Math.min(options.timeoutMs, 10_000),
    retries: opts.retries,
    minBackoffMs: opts.minBackoffMs,
  });
  return { checks, options, client };
}

/** Run the checks on a new snapshot of `run.client` (the client stays open) and build the report. */
export async function diagnoseOnce(run: PreparedRun, opts: Pick<DoctorOptions, 'hooks' | 'lookup'> = {}): Promise<Report> {
  const snapshot = new Snapshot(run.client);
  if (opts.lookup) snapshot.lookup = opts.lookup;
  const started = Date.now();
  try {
    const results = await runChecks(run.checks, snapshot, run.options, opts.hooks);
    return buildReport(run.client, results, started);
  } finally {
    await snapshot.release();
  }
}

export function buildReport(client: KubeClient, results: CheckResult[], started: number): Report {
  const summary = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
  for (const r of results) summary[r.status]++;
  const apiResult = results.find((r) => r.id === 'cluster.api');
  const version = typeof apiResult?.details?.version === 'string' ? apiResult.details.version : null;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    cluster: { context: client.contextName, server: client.server, version },
    summary: { ...summary, healthy: summary.fail === 0 && summary.error === 0 },
    diagnosis: diagnose(results),
    checks: results,
  };
}

export async function runDoctor(opts: DoctorOptions = {}): Promise<DoctorRun> {
  const run = prepareRun(opts);
  const { client } = run;
  try {
    // credentials (exec/auth-provider plugins) are fetched once before any check: a plugin
    // that fails, hangs or prints garbage is a configuration error (exit 2), not a server problem
    await client.prepare();
    const report = await diagnoseOnce(run, opts);
    return { report, requestCount: client.requestCount, connections: client.counters.connections, tlsHandshakes: client.counters.tlsHandshakes };
  } finally {
    await client.close();
  }
}

/** Exit code contract: 0 no fail and no error (warnings allowed unless failOn=warn), 1 otherwise. */
export function exitCodeFor(report: Report, failOn: 'fail' | 'warn' = 'fail'): 0 | 1 {
  const s = report.summary;
  if (s.fail > 0 || s.error > 0) return 1;
  if (failOn === 'warn' && s.warn > 0) return 1;
  return 0;
}
