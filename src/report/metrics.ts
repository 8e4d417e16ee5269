/**
 * Prometheus series of a report, shared by `--output prometheus` (a textfile for
 * node_exporter's textfile collector) and `serve` (/metrics). The series, exactly:
 *
 *   akash_ip_doctor_check_status{check, category, status}  1 for the current status, 0 for the others
 *   akash_ip_doctor_healthy                                 1 when no check failed or errored
 *   akash_ip_doctor_last_run_timestamp_seconds              end of the last completed run (Unix time)
 *   akash_ip_doctor_check_duration_seconds{check}           how long each check took
 *   akash_ip_doctor_ip_pool_free_addresses{pool}            free addresses, where a check could count them
 *
 * The exposition is rendered by prom-client. No timestamps are attached to samples
 * (the textfile collector rejects them).
 */
import { Gauge, Registry } from 'prom-client';
import { STATUSES, type Report } from '../core/types.js';

export const METRIC = {
  checkStatus: 'akash_ip_doctor_check_status',
  healthy: 'akash_ip_doctor_healthy',
  lastRun: 'akash_ip_doctor_last_run_timestamp_seconds',
  checkDuration: 'akash_ip_doctor_check_duration_seconds',
  poolFree: 'akash_ip_doctor_ip_pool_free_addresses',
} as const;

export interface PoolFree {
  pool: string;
  free: number;
  /** The check the count comes from. */
  source: string;
}

function count(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  // very large IPv6 pools are reported as decimal strings
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

/**
 * Free addresses per pool, from the findings that count them (the one place that
 * knows which details carry the numbers):
 *  - metallb.pool-capacity: details {pool, free} (MetalLB's own count);
 *  - ip-operator.usage: details {pool, free?, available} — the operator's view, used
 *    for a pool the MetalLB check did not count, and only when the finding names the
 *    pool (the operator may be started with --metal-lb-pool); `free` wins over
 *    `available` (free = max(0, Available − InUse) where the finding reports it).
 * Findings that could not count (error, skip, or no number) contribute nothing.
 */
export function poolFreeAddresses(report: Report): PoolFree[] {
  const out = new Map<string, PoolFree>();
  const usable = (id: string) => report.checks.find((c) => c.id === id && (c.status === 'pass' || c.status === 'warn' || c.status === 'fail'));

  const cap = usable('metallb.pool-capacity');
  if (cap?.details) {
    const pool = cap.details.pool;
    const free = count(cap.details.free);
    if (typeof pool === 'string' && pool && free !== undefined) out.set(pool, { pool, free, source: cap.id });
  }

  const usage = usable('ip-operator.usage');
  if (usage?.details) {
    const pool = usage.details.pool;
    const free = count(usage.details.free);
    if (typeof pool === 'string' && pool && free !== undefined && !out.has(pool)) out.set(pool, { pool, free, source: usage.id });
  }
  return [...out.values()].sort((a, b) => a.pool.localeCompare(b.pool));
}

/** The doctor's gauges on a registry; `update` replaces every value with those of a report. */
export class DoctorMetrics {
  readonly registry: Registry;
  private readonly checkStatus: Gauge<'check' | 'category' | 'status'>;
  private readonly healthy: Gauge;
  private readonly lastRun: Gauge;
  private readonly checkDuration: Gauge<'check'>;
  private readonly poolFree: Gauge<'pool'>;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.checkStatus = new Gauge({ name: METRIC.checkStatus, help: 'Status of each check: 1 for the current status, 0 for the others (pass, warn, fail, skip, error).', labelNames: ['check', 'category', 'status'], registers });
    this.healthy = new Gauge({ name: METRIC.healthy, help: 'Whether the provider is ready for IP leases: 1 when no check failed or errored.', registers });
    this.lastRun = new Gauge({ name: METRIC.lastRun, help: 'Unix time at which the last completed run of the checks ended.', registers });
    this.checkDuration = new Gauge({ name: METRIC.checkDuration, help: 'How long each check took in the last run, in seconds.', labelNames: ['check'], registers });
    this.poolFree = new Gauge({ name: METRIC.poolFree, help: 'Free addresses of a MetalLB pool as counted by the last run (only pools a check could count).', labelNames: ['pool'], registers });
  }

  /** Replace all values with the report's (synchronous: a scrape sees the old or the new run, never a mix). */
  update(report: Report): void {
    this.checkStatus.reset();
    this.checkDuration.reset();
    this.poolFree.reset();
    for (const c of report.checks) {
      for (const s of STATUSES) this.checkStatus.set({ check: c.id, category: c.category, status: s }, c.status === s ? 1 : 0);
      this.checkDuration.set({ check: c.id }, c.durationMs / 1000);
    }
    this.healthy.set(report.summary.healthy ? 1 : 0);
    const ended = Date.parse(report.startedAt) + report.durationMs;
    this.lastRun.set(Math.round(ended) / 1000);
    for (const p of poolFreeAddresses(report)) this.poolFree.set({ pool: p.pool }, p.free);
  }

  /** The text exposition format (version 0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
