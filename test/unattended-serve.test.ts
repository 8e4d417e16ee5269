// test-runner: concurrent (the tests share a read-only simulator at most)
/**
 * `serve`: the real binary in a child process against the simulated cluster, scraped
 * twice over real HTTP on 127.0.0.1 with a run in between (the cluster changes between
 * the scrapes and the second scrape shows it); /healthz, /report (schema-valid);
 * graceful stop on SIGTERM and SIGINT. The scheduler never runs two at once.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import parsePrometheus from 'parse-prometheus-text-format';
import { startSim, loadScenario, type SimHandle } from '../src/sim/index.js';
import { Exporter, parseListen } from '../src/commands/serve.js';
import type { DoctorRun } from '../src/core/engine.js';
import type { Report } from '../src/core/types.js';
import { METRIC } from '../src/report/metrics.js';
import { assertValidReport, repoRoot } from './report-schema.js';
import { bin, runMain } from './cli-helpers.js';
import { runScenario } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `fn` returns a value (a hang guard, not a speed assertion). */
async function until<T>(what: string, fn: () => Promise<T | undefined>, limitMs = 120_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(200);
  }
}

interface Scrape {
  status: number;
  contentType: string;
  series: Map<string, { labels: Record<string, string>; value: number }[]>;
}

async function scrape(base: string): Promise<Scrape> {
  const res = await fetch(`${base}/metrics`);
  const text = await res.text();
  const series = new Map(parsePrometheus(text).map((f) => [f.name, f.metrics.map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) }))]));
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', series };
}

function value(s: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  return s.series.get(name)?.find((m) => Object.entries(labels).every(([k, v]) => m.labels[k] === v))?.value;
}

function startServe(args: string[]): { child: ChildProcess; url: Promise<string>; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '' } });
  let err = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error(`serve exited early: ${err}`)));
  });
  url.catch(() => undefined);
  // 'close', not 'exit': only then has everything the child wrote to stderr been read
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, url, stderr: () => err, exit };
}

describe('serve', () => {
  let sim: SimHandle;
  before(async () => {
    sim = await startSim(await loadScenario('healthy-helm'));
  });
  after(async () => {
    await sim.close();
  });

  test('scraped twice over HTTP with a run in between; /healthz, /report; SIGTERM stops it with exit 0', async () => {
    const s = startServe(['--listen', '127.0.0.1:0', '--interval', '2s', '--timeout', '30s', '--kubeconfig', sim.kubeconfigPath, '--provider-url', sim.providerUrl]);
    try {
      const base = await s.url;
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 200);
      assert.equal(await health.text(), 'ok\n');

      // first scrape: a completed run of a healthy provider
      const first = await until('the first run', async () => {
        const sc = await scrape(base);
        return value(sc, METRIC.lastRun) !== undefined ? sc : undefined;
      });
      assert.equal(first.status, 200);
      assert.match(first.contentType, /^text\/plain; version=0\.0\.4/);
      assert.equal(value(first, METRIC.healthy), 1);
      assert.equal(value(first, METRIC.checkStatus, { check: 'metallb.controller-service', status: 'pass' }), 1);
      assert.equal(value(first, METRIC.poolFree, { pool: 'default' }), 15);
      const t1 = value(first, METRIC.lastRun)!;
      const report1 = (await (await fetch(`${base}/report`)).json()) as Report;
      assertValidReport(report1, '/report');
      assert.equal(report1.summary.healthy, true);

      // break the cluster: the MetalLB controller Service the IP operator needs is gone
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(sim.kubeconfigPath);
      await kc.makeApiClient(k8s.CoreV1Api).deleteNamespacedService({ name: 'controller', namespace: 'metallb-system' });
      const deletedAt = Date.now() / 1000;

      // second scrape: a run that started after the change
      const second = await until('a run after the change', async () => {
        const sc = await scrape(base);
        const t = value(sc, METRIC.lastRun);
        return t !== undefined && t > t1 && value(sc, METRIC.checkStatus, { check: 'metallb.controller-service', status: 'fail' }) === 1 ? sc : undefined;
      });
      assert.ok(value(second, METRIC.lastRun)! > t1);
      assert.ok(value(second, METRIC.lastRun)! >= deletedAt - 10, 'the run ended after the change');
      assert.equal(value(second, METRIC.healthy), 0);
      assert.equal(value(second, METRIC.checkStatus, { check: 'metallb.controller-service', status: 'pass' }), 0);
      const report2 = (await (await fetch(`${base}/report`)).json()) as Report;
      assertValidReport(report2, '/report after the change');
      assert.equal(report2.summary.healthy, false);
      assert.ok(Date.parse(report2.startedAt) > Date.parse(report1.startedAt));

      assert.equal((await fetch(`${base}/nope`)).status, 404);
      assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);

      s.child.kill('SIGTERM');
      assert.equal(await s.exit, 0, s.stderr());
      assert.match(s.stderr(), /SIGTERM: stopping/);
      assert.match(s.stderr(), /run \d+: IP leases: NOT ready/);
    } finally {
      s.child.kill('SIGKILL');
    }
  });

  test('SIGINT also stops it gracefully', async () => {
    const s = startServe(['--listen', '127.0.0.1:0', '--interval', '1h', '--timeout', '30s', '--kubeconfig', sim.kubeconfigPath, '--provider-url', sim.providerUrl, '--only', 'cluster.api']);
    try {
      const base = await s.url;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      s.child.kill('SIGINT');
      assert.equal(await s.exit, 0, s.stderr());
      assert.match(s.stderr(), /SIGINT: stopping/);
    } finally {
      s.child.kill('SIGKILL');
    }
  });

  test('bad --listen / --interval: exit 2 with one clear line', async () => {
    // in-process: each fails before listening (the binary's exit codes are test/cli.test.ts's)
    for (const [args, re] of [
      [['--listen', 'localhost'], /--listen: expected ADDR:PORT/],
      [['--listen', '127.0.0.1:99999'], /port 99999 is out of range/],
      [['--interval', 'soon'], /--interval: cannot read duration/],
      [['--interval', '0s'], /--interval must be at least 1s/],
      [['--kubeconfig', '/nonexistent/kubeconfig'], /kubeconfig not found/],
    ] as const) {
      const r = await runMain(['serve', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
    }
  });
});

describe('serve internals', () => {
  test('parseListen', () => {
    assert.deepEqual(parseListen('127.0.0.1:9477'), { host: '127.0.0.1', port: 9477 });
    assert.deepEqual(parseListen(':9477'), { host: undefined, port: 9477 });
    assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseListen('0.0.0.0:80'), { host: '0.0.0.0', port: 80 });
    for (const bad of ['9477', 'host', '[::1]', '1.2.3.4:x', '::1:80']) assert.throws(() => parseListen(bad), /--listen/, bad);
  });

  test('never two runs at once: a run that outlasts the interval delays the next one', async () => {
    const { report } = await runScenario('healthy-helm', { only: ['cluster.api'] });
    const gates: (() => void)[] = [];
    let started = 0;
    const exporter = new Exporter({
      doctor: {},
      intervalMs: 1000,
      listen: { host: '127.0.0.1', port: 0 },
      log: () => undefined,
      run: async (): Promise<DoctorRun> => {
        started++;
        await new Promise<void>((r) => gates.push(r));
        return { report: { ...report, startedAt: new Date().toISOString() }, requestCount: 0, connections: 0, tlsHandshakes: 0 };
      },
    });
    const base = await exporter.start();
    try {
      await until('the first run to start', async () => (started === 1 ? true : undefined));
      // before the first run completes: /report is 503, /metrics has no series (no zero "healthy")
      const r = await fetch(`${base}/report`);
      assert.equal(r.status, 503);
      assert.deepEqual(await r.json(), { error: 'no run has completed yet' });
      const m = await fetch(`${base}/metrics`);
      assert.equal(m.status, 200);
      assert.equal(await m.text(), '');
      // asking again while a run is in flight joins it
      const again = exporter.runNow();
      await sleep(2500); // well past the 1 s interval
      assert.equal(started, 1, 'no second run while the first is in flight');
      gates.shift()!();
      await again;
      assert.equal(exporter.runs, 1);
      // /metrics now has the run
      const body = await (await fetch(`${base}/metrics`)).text();
      assert.match(body, /akash_ip_doctor_healthy 1/);
      await until('the next scheduled run', async () => (started === 2 ? true : undefined));
      gates.shift()!();
      await until('the second run to complete', async () => (exporter.runs === 2 ? true : undefined));
      assert.equal(exporter.maxConcurrentRuns, 1);
    } finally {
      await exporter.close();
      for (const g of gates) g();
    }
  });

  test('a run that fails keeps the previous values and is logged', async () => {
    const { report } = await runScenario('healthy-helm', { only: ['cluster.api'] });
    const lines: string[] = [];
    let n = 0;
    const exporter = new Exporter({
      doctor: {},
      intervalMs: 1000,
      listen: { host: '127.0.0.1', port: 0 },
      log: (l) => lines.push(l),
      run: async () => {
        n++;
        if (n === 2) throw new Error('kubeconfig not found: /gone');
        return { report, requestCount: 0, connections: 0, tlsHandshakes: 0 };
      },
    });
    const base = await exporter.start();
    try {
      await until('a failed and a later run', async () => (exporter.failedRuns >= 1 && exporter.runs >= 2 ? true : undefined));
      assert.ok(lines.some((l) => /run failed: kubeconfig not found: \/gone/.test(l)), lines.join('\n'));
      const r = await fetch(`${base}/report`);
      assert.equal(r.status, 200);
    } finally {
      await exporter.close();
    }
  });
});
