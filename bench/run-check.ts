/**
 * Child process of the benchmark: one full `check` run, reporting its own wall
 * time, request count and peak memory as one JSON line (the simulated cluster
 * runs in the parent, so its memory does not count here).
 */
import { runDoctor } from '../src/core/engine.js';

const [kubeconfig, providerUrl, timeoutMs] = process.argv.slice(2);
const started = performance.now();
const { report, requestCount } = await runDoctor({ kubeconfig, providerUrl, timeoutMs: Number(timeoutMs ?? 60_000), logTailLines: 0 });
const wallMs = performance.now() - started;
process.stdout.write(
  JSON.stringify({
    wallMs,
    requestCount,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    summary: report.summary,
    logLinesRead: ((report.checks.find((c) => c.id === 'ip-operator.barrier')?.details as any)?.pods ?? []).reduce((n: number, p: any) => n + (p.linesRead ?? 0), 0),
    bad: report.checks.filter((c) => c.status === 'fail' || c.status === 'error').map((c) => `${c.id}: ${c.message}`),
  }) + '\n',
);
process.exit(0);
