/**
 * `akash-ip-doctor serve --listen ADDR:PORT --interval 5m [check flags]`: a small
 * Prometheus exporter, one per cluster. It runs the checks at once and then every
 * interval (never two runs at once: the next run is scheduled when one ends) and serves
 *
 *   GET /metrics  the series of src/report/metrics.ts for the last completed run
 *                 (an empty exposition until the first run completes)
 *   GET /healthz  200 "ok" while the server runs (liveness/readiness)
 *   GET /report   the last JSON report (redacted, schema v1); 503 until the first run
 *
 * A run that cannot start (e.g. the kubeconfig vanished) is logged to stderr and keeps
 * the previous values, so akash_ip_doctor_last_run_timestamp_seconds goes stale and the
 * "not run" alert fires. SIGINT/SIGTERM stop it gracefully (exit 0).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Argv, CommandModule } from 'yargs';
import type { Registry } from 'prom-client';
import { runDoctor, type DoctorOptions, type DoctorRun } from '../core/engine.js';
import { loadKubeConfig } from '../cluster/client.js';
import { selectChecks } from '../core/runner.js';
import { registry } from '../checks/index.js';
import type { Report } from '../core/types.js';
import type { DoctorMetrics } from '../report/metrics.js';
import { renderJson } from '../report/json.js';
import { assertWritableReportPath, writeFileAtomic } from '../report/file.js';
import { sanitizeLine } from '../report/sanitize.js';

export interface ListenAddress {
  /** undefined: every interface (`:PORT`), IPv6 and IPv4 where available */
  host?: string;
  port: number;
}

/** `127.0.0.1:9477`, `0.0.0.0:9477`, `[::1]:9477`, `:9477`. Throws a plain Error on bad input. */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new Error(`--listen: expected ADDR:PORT (e.g. 127.0.0.1:9477, :9477, [::]:9477), got "${text}"`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`--listen: port ${port} is out of range`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

/** prom-client's Registry.PROMETHEUS_CONTENT_TYPE, for a /metrics asked before the first run. */
const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface ExporterOptions {
  doctor: DoctorOptions;
  intervalMs: number;
  listen: ListenAddress;
  /** Also write each report atomically to this file (--report-file). */
  reportFile?: string;
  /** One line per event (stderr by default). */
  log?: (line: string) => void;
  /** The run itself (tests may wrap it); runDoctor by default. */
  run?: (opts: DoctorOptions) => Promise<DoctorRun>;
}

export class Exporter {
  private server?: Server;
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private stopped = false;
  private metrics?: DoctorMetrics;
  /** prom-client is loaded by the first run, not by every command of the CLI (which registers this one). */
  private registry?: Registry;
  /** Last completed report, if any. */
  lastReport?: Report;
  /** Completed runs, and runs that could not produce a report. */
  runs = 0;
  failedRuns = 0;
  /** Highest number of runs seen at the same time (stays 1). */
  maxConcurrentRuns = 0;
  private active = 0;

  constructor(private readonly opts: ExporterOptions) {}

  private log(line: string): void {
    (this.opts.log ?? ((l: string) => process.stderr.write(l + '\n')))(line);
  }

  /** Listen, start the first run, and return the base URL. */
  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`internal error: ${sanitizeLine(err instanceof Error ? err.message : String(err))}\n`);
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.listen.host, port: this.opts.listen.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    const url = `http://${host}:${a.port}`;
    this.log(`serving /metrics, /healthz and /report on ${url}; a run every ${Math.round(this.opts.intervalMs / 1000)}s`);
    void this.runNow();
    return url;
  }

  /** Run the checks now unless a run is in flight (then wait for that one). */
  runNow(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const started = Date.now();
    this.inFlight = this.runOnce().finally(() => {
      this.inFlight = undefined;
      if (this.stopped) return;
      const wait = Math.max(0, started + this.opts.intervalMs - Date.now());
      this.timer = setTimeout(() => void this.runNow(), wait);
    });
    return this.inFlight;
  }

  private async runOnce(): Promise<void> {
    this.active++;
    this.maxConcurrentRuns = Math.max(this.maxConcurrentRuns, this.active);
    try {
      const { report } = await (this.opts.run ?? runDoctor)(this.opts.doctor);
      if (this.stopped) return;
      if (!this.metrics) {
        const [{ Registry }, { DoctorMetrics }] = await Promise.all([import('prom-client'), import('../report/metrics.js')]);
        if (this.stopped) return;
        this.registry = new Registry();
        this.metrics = new DoctorMetrics(this.registry);
      }
      this.metrics.update(report);
      this.lastReport = report;
      this.runs++;
      const s = report.summary;
      this.log(`run ${this.runs}: ${s.healthy ? 'IP leases: ready' : 'IP leases: NOT ready'} (${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip, ${s.error} error) in ${(report.durationMs / 1000).toFixed(1)}s`);
      if (this.opts.reportFile) {
        try {
          await writeFileAtomic(this.opts.reportFile, renderJson(report));
        } catch (err) {
          this.log(sanitizeLine((err as Error).message));
        }
      }
    } catch (err) {
      this.failedRuns++;
      this.log(`run failed: ${sanitizeLine(err instanceof Error ? err.message : String(err))} (the previous values stay; the next run is in ${Math.round(this.opts.intervalMs / 1000)}s)`);
    } finally {
      this.active--;
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      const body = this.metrics ? await this.metrics.render() : '';
      res.writeHead(200, { 'Content-Type': this.registry?.contentType ?? PROMETHEUS_CONTENT_TYPE });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : 'ok\n');
      return;
    }
    if (path === '/report') {
      if (!this.lastReport) {
        res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '10' });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ error: 'no run has completed yet' }) + '\n');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(req.method === 'HEAD' ? undefined : renderJson(this.lastReport));
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<html><body><h1>akash-ip-doctor</h1><ul><li><a href="metrics">/metrics</a></li><li><a href="report">/report</a></li><li><a href="healthz">/healthz</a></li></ul></body></html>\n');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('not found: try /metrics, /healthz or /report\n');
  }

  /** Stop scheduling, close the listener and its connections. A run in flight is abandoned (it only reads). */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2000).unref();
    });
  }
}

/** What `serve` needs from the CLI's shared check options (passed in, so this file does not import cli.ts). */
export interface ServeDeps {
  addCheckOptions: (y: Argv) => Argv;
  doctorOptions: (args: Record<string, unknown>) => DoctorOptions;
  parseDuration: (text: string, flag: string) => number;
  usageError: (message: string) => Error;
}

export function serveCommand(deps: ServeDeps): CommandModule {
  return {
    command: 'serve',
    describe: 'Run the checks every --interval and serve Prometheus /metrics, /healthz and the last /report',
    builder: (y) =>
      deps
        .addCheckOptions(y)
        .option('listen', { type: 'string', default: '127.0.0.1:9477', describe: 'Address to serve on: ADDR:PORT (:9477 for every interface)' })
        .option('interval', { type: 'string', default: '5m', describe: 'Time between the starts of two runs (e.g. 5m, 90s); runs never overlap' })
        .hide('output'),
    handler: async (a) => {
      const args = a as Record<string, unknown>;
      let listen: ListenAddress;
      try {
        listen = parseListen(String(args.listen));
      } catch (err) {
        throw deps.usageError((err as Error).message);
      }
      const intervalSec = deps.parseDuration(String(args.interval), '--interval');
      if (!(intervalSec >= 1)) throw deps.usageError('--interval must be at least 1s');
      const doctor = deps.doctorOptions(args);
      // configuration errors (selection, kubeconfig) stop `serve` at once with exit 2, not at every run
      selectChecks(registry, doctor.only, doctor.skip);
      loadKubeConfig({ kubeconfig: doctor.kubeconfig, context: doctor.context });
      const reportFile = typeof args['report-file'] === 'string' ? (args['report-file'] as string) : undefined;
      if (reportFile) await assertWritableReportPath(reportFile);
      const exporter = new Exporter({ doctor, intervalMs: Math.round(intervalSec * 1000), listen, reportFile });
      try {
        await exporter.start();
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw deps.usageError(`--listen ${String(args.listen)}: cannot listen: ${e.code ?? e.message}`);
      }
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          process.stderr.write(`${sig}: stopping\n`);
          resolve();
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      await exporter.close();
    },
  };
}
