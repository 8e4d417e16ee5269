/**
 * One full diagnosis: kubeconfig -> client -> snapshot -> runner -> report.
 * Used by `check`, `demo`, the tests and the benchmark alike.
 */
import { KubeClient, loadKubeConfig } from '../cluster/client.js';
import { Snapshot } from '../cluster/snapshot.js';
import { registry as defaultRegistry } from '../checks/index.js';
import { runChecks, selectChecks, type RunHooks } from './runner.js';
import { diagnose } from './diagnosis.js';
import { STATUSES, type Check, type Report, type RunOptions, type Status } from './types.js';
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

export async function runDoctor(opts: DoctorOptions = {}): Promise<DoctorRun> {
  const registry = opts.registry ?? defaultRegistry;
  // selection and kubeconfig problems are configuration errors (exit 2), raised before any request
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
  const snapshot = new Snapshot(client);
  if (opts.lookup) snapshot.lookup = opts.lookup;
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  try {
    // credentials (exec/auth-provider plugins) are fetched once before any check: a plugin
    // that fails, hangs or prints garbage is a configuration error (exit 2), not a server problem
    await client.prepare();
    const results = await runChecks(checks, snapshot, options, opts.hooks);
    const summary = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
    for (const r of results) summary[r.status]++;
    const apiResult = results.find((r) => r.id === 'cluster.api');
    const version = typeof apiResult?.details?.version === 'string' ? apiResult.details.version : null;
    const report: Report = {
      schemaVersion: 1,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      startedAt,
      durationMs: Date.now() - started,
      cluster: { context: client.contextName, server: client.server, version },
      summary: { ...summary, healthy: summary.fail === 0 && summary.error === 0 },
      diagnosis: diagnose(results),
      checks: results,
    };
    return { report, requestCount: client.requestCount, connections: client.counters.connections, tlsHandshakes: client.counters.tlsHandshakes };
  } finally {
    await snapshot.close();
  }
}

/** Exit code contract: 0 no fail and no error (warnings allowed unless failOn=warn), 1 otherwise. */
export function exitCodeFor(report: Report, failOn: 'fail' | 'warn' = 'fail'): 0 | 1 {
  const s = report.summary;
  if (s.fail > 0 || s.error > 0) return 1;
  if (failOn === 'warn' && s.warn > 0) return 1;
  return 0;
}
