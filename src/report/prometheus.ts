/**
 * `--output prometheus`: the report as Prometheus text exposition, for
 * node_exporter's textfile collector (write it with --report-file or redirect
 * stdout to a temporary file and rename it into the collector's directory).
 * Same series as `serve` /metrics (see ./metrics.ts).
 */
import type { Report } from '../core/types.js';
import { DoctorMetrics } from './metrics.js';

export function renderPrometheus(report: Report): Promise<string> {
  const m = new DoctorMetrics();
  m.update(report);
  return m.render();
}
