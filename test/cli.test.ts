/**
 * The command line as a user and a cron job see it: the real binary in a child
 * process against the simulated cluster over HTTPS.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSim, loadScenario, type SimHandle } from '../src/sim/index.js';
import { registry } from '../src/checks/index.js';
import { assertValidReport } from './report-schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'akash-ip-doctor.js');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '', ...env }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Validates the report against schema/report.schema.json (ajv, draft 2020-12). */
export function validateReport(doc: any): void {
  assertValidReport(doc);
}

describe('check command', () => {
  let healthy: SimHandle;
  let broken: SimHandle;
  let dir: string;
  before(async () => {
    healthy = await startSim(await loadScenario('healthy-helm'));
    broken = await startSim(await loadScenario('demo'));
    dir = await mkdtemp(path.join(tmpdir(), 'aid-cli-'));
  });
  after(async () => {
    await healthy.close();
    await broken.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('healthy provider: JSON is the only thing on stdout, valid, exit 0', async () => {
    const r = await cli(['check', '--kubeconfig', healthy.kubeconfigPath, '--provider-url', healthy.providerUrl, '--output', 'json']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(0, 2000));
    const doc = JSON.parse(r.stdout); // throws if anything else is on stdout
    validateReport(doc);
    assert.equal(doc.checks.length, registry.length);
    assert.deepEqual(doc.checks.map((c: any) => c.id), registry.map((c) => c.id), 'registry order');
    assert.equal(doc.summary.healthy, true, JSON.stringify(doc.checks.filter((c: any) => c.status !== 'pass').map((c: any) => [c.id, c.status, c.message])));
    assert.equal(doc.cluster.context, 'sim');
    assert.match(doc.cluster.version, /^v1\./);
  });

  test('broken provider: exit 1 in both formats, root cause named first', async () => {
    const json = await cli(['check', '--kubeconfig', broken.kubeconfigPath, '--provider-url', broken.providerUrl, '-o', 'json', '--timeout', '3s']);
    assert.equal(json.code, 1, json.stderr);
    const doc = JSON.parse(json.stdout);
    validateReport(doc);
    assert.equal(doc.summary.healthy, false);
    assert.ok(doc.diagnosis.length >= 1);
    const table = await cli(['check', '--kubeconfig', broken.kubeconfigPath, '--provider-url', broken.providerUrl, '--timeout', '3s']);
    assert.equal(table.code, 1);
    assert.match(table.stdout, /Most likely root cause/);
    assert.match(table.stdout, /checks: \d+ pass, \d+ warn, \d+ fail/);
    assert.ok(!/\u001b\[/.test(table.stdout), 'no colour when piped');
    // the root cause comes before the per-check table
    assert.ok(table.stdout.indexOf('Most likely root cause') < table.stdout.indexOf('metallb.namespace'));
  });

  test('--fail-on warn turns warnings into exit 1; --only narrows the run', async () => {
    const r = await cli(['check', '--kubeconfig', healthy.kubeconfigPath, '--provider-url', healthy.providerUrl, '-o', 'json', '--only', 'kube-proxy.strict-arp']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.checks.map((c: any) => c.id), ['cluster.api', 'kube-proxy.strict-arp']);
  });

  test('missing kubeconfig: exit 2 with one clear line', async () => {
    const r = await cli(['check', '--kubeconfig', path.join(dir, 'nope.yaml')]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /kubeconfig not found: .*nope\.yaml/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  });

  test('unreadable kubeconfig: exit 2', async () => {
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, 'this: [is not: a kubeconfig');
    const r = await cli(['check', '--kubeconfig', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read kubeconfig/);
    assert.ok(!/\n\s+at /.test(r.stderr));
  });

  test('unknown context: exit 2 naming the known ones', async () => {
    const r = await cli(['check', '--kubeconfig', healthy.kubeconfigPath, '--context', 'prod']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /context "prod" not found .*known: sim/);
  });

  test('bad flags: exit 2', async () => {
    for (const args of [['check', '--output', 'xml'], ['check', '--only', 'nope'], ['check', '--timeout', 'soon'], ['bogus'], ['explain', 'nope.nothing']]) {
      const r = await cli([...args, '--kubeconfig', healthy.kubeconfigPath]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.length > 0 && !/\n\s+at /.test(r.stderr), args.join(' '));
    }
  });

  test('unreachable API server: exit 1 with a report where cluster.api fails', async () => {
    const kc = (await import('node:fs/promises')).readFile(healthy.kubeconfigPath, 'utf8');
    const closed = path.join(dir, 'closed.yaml');
    await writeFile(closed, (await kc).replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:9'));
    const r = await cli(['check', '--kubeconfig', closed, '-o', 'json', '--timeout', '5s']);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    validateReport(doc);
    const api = doc.checks.find((c: any) => c.id === 'cluster.api');
    assert.equal(api.status, 'fail');
    assert.match(api.message, /cannot reach|refused/i);
    assert.ok(doc.checks.filter((c: any) => c.id !== 'cluster.api').every((c: any) => c.status === 'skip'));
    assert.equal(doc.diagnosis[0].rule, 'api-unreachable');
  });

  test('list, explain, --version, --help', async () => {
    const list = await cli(['list']);
    assert.equal(list.code, 0);
    for (const c of registry) assert.match(list.stdout, new RegExp(`^${c.id.replace(/\./g, '\\.')}\\s+${c.category}\\s+`, 'm'));
    const ex = await cli(['explain', 'ip-operator.barrier']);
    assert.equal(ex.code, 0);
    assert.match(ex.stdout, /What it checks:[\s\S]*Why it matters[\s\S]*How to fix:/);
    const v = await cli(['--version']);
    assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+$/);
    const h = await cli(['check', '--help']);
    for (const flag of ['--kubeconfig', '--context', '--output', '--only', '--skip', '--timeout', '--provider-url', '--log-since', '--fail-on']) assert.ok(h.stdout.includes(flag), flag);
    const comp = await cli(['completion']);
    assert.equal(comp.code, 0);
    assert.match(comp.stdout, /complete|compdef/);
  });
});

describe('sim serve', () => {
  test('prints one JSON line when ready, serves the state, stops on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { createInterface } = await import('node:readline');
    const child = spawn(process.execPath, [bin, 'sim', 'serve', '--state', path.join(root, 'scenarios', 'f-ipvs-no-strictarp.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`sim serve exited ${code}`)));
      });
      const ready = JSON.parse(first);
      assert.ok(ready.kubeconfig && /^https:\/\/127\.0\.0\.1:\d+$/.test(ready.providerUrl), first);
      // the state extends healthy-helm and overrides kube-proxy: the doctor sees exactly that
      const r = await cli(['check', '--kubeconfig', ready.kubeconfig, '--provider-url', ready.providerUrl, '-o', 'json', '--only', 'kube-proxy,metallb.namespace']);
      assert.equal(r.code, 1, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.checks.find((c: any) => c.id === 'kube-proxy.strict-arp').status, 'fail');
      assert.equal(doc.checks.find((c: any) => c.id === 'metallb.namespace').status, 'pass');
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
  });

  test('a bad state file is exit 2 with one line', async () => {
    const r = await cli(['sim', 'serve', '--state', path.join(root, 'README.md')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid state file/);
    const missing = await cli(['sim', 'serve', '--state', '/nonexistent/state.yaml']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read state file/);
  });
});

describe('demo command', () => {
  test('runs the simulated provider, says so on stderr, exits 0 whatever it found', async () => {
    const r = await cli(['demo', '--timeout', '3s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /simulation/i);
    assert.match(r.stdout, /Most likely root cause/);
    const j = await cli(['demo', '-o', 'json', '--timeout', '3s']);
    assert.equal(j.code, 0);
    validateReport(JSON.parse(j.stdout));
    const l = await cli(['demo', '--list']);
    assert.match(l.stdout, /^healthy-helm\s+/m);
    assert.match(l.stdout, /^demo\s+/m);
    const bad = await cli(['demo', '--scenario', 'no-such-scenario']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown scenario "no-such-scenario"/);
  });
});
