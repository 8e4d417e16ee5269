// test-runner: concurrent (the tests share read-only simulators at most)
/**
 * The command line. Its logic runs in-process through `main(argv, io)` (fast: no Node start-up
 * per case); the contracts a user or cron job relies on (exit codes of the real binary, JSON
 * alone on stdout, signals) run the real binary in a child process. Everything against the
 * simulated cluster over real HTTPS.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { writeFile, mkdtemp, rm, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSim, loadScenario, type SimHandle } from '../src/sim/index.js';
import { registry } from '../src/checks/index.js';
import { assertValidReport, repoRoot } from './report-schema.js';
import { bin, runBin as cli, runMain as run } from './cli-helpers.js';

const root = repoRoot;

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

  test('binary, healthy provider: JSON is the only thing on stdout, valid, exit 0', async () => {
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

  test('binary, broken provider: exit 1 with a valid JSON report; exit 2 with nothing on stdout', async () => {
    // the demo scenario's /status hangs: skip that probe so nothing waits out a budget
    const json = await cli(['check', '--kubeconfig', broken.kubeconfigPath, '--provider-url', broken.providerUrl, '-o', 'json', '--skip', 'provider.status-endpoint']);
    assert.equal(json.code, 1, json.stderr);
    const doc = JSON.parse(json.stdout);
    validateReport(doc);
    assert.equal(doc.summary.healthy, false);
    const usage = await cli(['check', '--only', '', '--kubeconfig', healthy.kubeconfigPath, '-o', 'json']);
    assert.equal(usage.code, 2, usage.stderr);
    assert.equal(usage.stdout, '');
    assert.match(usage.stderr, /no check selected/);
  });

  test('broken provider, table: exit 1, root cause named first, no colour when piped', async () => {
    const table = await run(['check', '--kubeconfig', broken.kubeconfigPath, '--provider-url', broken.providerUrl, '--skip', 'provider.status-endpoint']);
    assert.equal(table.code, 1);
    assert.match(table.stdout, /Most likely root cause/);
    assert.match(table.stdout, /checks: \d+ pass, \d+ warn, \d+ fail/);
    assert.ok(!/\u001b\[/.test(table.stdout), 'no colour when piped');
    // the root cause comes before the per-check table
    assert.ok(table.stdout.indexOf('Most likely root cause') < table.stdout.indexOf('metallb.namespace'));
  });

  test('--only narrows the run (dependencies included)', async () => {
    const r = await run(['check', '--kubeconfig', healthy.kubeconfigPath, '--provider-url', healthy.providerUrl, '-o', 'json', '--only', 'kube-proxy.strict-arp']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.checks.map((c: any) => c.id), ['cluster.api', 'kube-proxy.strict-arp']);
  });

  test('zero selected checks: exit 2 "no check selected", never a healthy report', async () => {
    const all = 'cluster,metallb,kube-proxy,provider,ip-operator';
    for (const args of [['--only', ''], ['--only', ' , '], ['--only', ',', '--only', ' '], ['--skip', all], ['--only', 'kube-proxy.strict-arp', '--skip', 'kube-proxy,cluster']]) {
      const r = await run(['check', '--kubeconfig', healthy.kubeconfigPath, '-o', 'json', ...args]);
      assert.equal(r.code, 2, `${JSON.stringify(args)}: ${r.stderr}`);
      assert.equal(r.stdout, '', JSON.stringify(args));
      assert.match(r.stderr, /no check selected/, JSON.stringify(args));
    }
  });

  test('--fail-on warn turns a warning into exit 1', async () => {
    // the restricted token makes cluster.permissions warn; nothing else selected fails
    const viewer = path.join(dir, 'viewer.yaml');
    const sim = await startSim(await loadScenario('p-restricted-token'));
    try {
      await writeFile(viewer, sim.kubeconfig.replace(/token: \S+/, 'token: doctor-viewer'), { mode: 0o600 });
      const args = ['check', '--kubeconfig', viewer, '-o', 'json', '--only', 'cluster.permissions'];
      const lenient = await run(args);
      assert.equal(lenient.code, 0, lenient.stderr);
      assert.equal(JSON.parse(lenient.stdout).checks.find((c: any) => c.id === 'cluster.permissions').status, 'warn');
      const strict = await run([...args, '--fail-on', 'warn']);
      assert.equal(strict.code, 1, strict.stderr);
    } finally {
      await sim.close();
    }
  });

  test('--verbose gives passing checks their evidence line', async () => {
    const args = ['check', '--kubeconfig', healthy.kubeconfigPath, '--provider-url', healthy.providerUrl, '--only', 'cluster.api,metallb.namespace'];
    const plain = await run(args);
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(!plain.stdout.includes('evidence:'), plain.stdout);
    const verbose = await run([...args, '--verbose']);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stdout, /evidence: .*namespace=metallb-system/);
    assert.match(verbose.stdout, /evidence: .*version=v1\./);
  });

  test('missing kubeconfig: exit 2 with one clear line', async () => {
    const r = await run(['check', '--kubeconfig', path.join(dir, 'nope.yaml')]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /kubeconfig not found: .*nope\.yaml/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  });

  test('unreadable kubeconfig: exit 2', async () => {
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, 'this: [is not: a kubeconfig');
    const r = await run(['check', '--kubeconfig', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read kubeconfig/);
    assert.ok(!/\n\s+at /.test(r.stderr));
  });

  test('empty kubeconfig (or only comments): exit 2 with one clear line', async () => {
    for (const [name, text] of [['empty.yaml', ''], ['blank.yaml', '\n  \n'], ['comments.yaml', '# nothing here\n---\n']]) {
      const f = path.join(dir, name);
      await writeFile(f, text);
      const r = await run(['check', '--kubeconfig', f]);
      assert.equal(r.code, 2, name);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`kubeconfig .*${name.replace('.', '\\.')} is empty`), r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      // the same through $KUBECONFIG
      const viaEnv = await run(['check'], { KUBECONFIG: f });
      assert.equal(viaEnv.code, 2);
      assert.match(viaEnv.stderr, /is empty/);
    }
  });

  test('unknown context: exit 2 naming the known ones', async () => {
    const r = await run(['check', '--kubeconfig', healthy.kubeconfigPath, '--context', 'prod']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /context "prod" not found .*known: sim/);
  });

  test('bad flags: exit 2', async () => {
    for (const args of [['check', '--output', 'xml'], ['check', '--only', 'nope'], ['check', '--timeout', 'soon'], ['bogus'], ['explain', 'nope.nothing'], ['check', '--timeout', '0s']]) {
      const r = await run([...args, '--kubeconfig', healthy.kubeconfigPath]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.length > 0 && !/\n\s+at /.test(r.stderr), args.join(' '));
    }
  });

  test('--timeout beyond what a timer holds (30d) or above 60m: exit 2; 60m is accepted', async () => {
    for (const t of ['30d', '25d', '61m', '2h']) {
      const r = await run(['check', '--kubeconfig', healthy.kubeconfigPath, '--timeout', t]);
      assert.equal(r.code, 2, `${t}: ${r.stderr}`);
      assert.match(r.stderr, /--timeout: at most 60m per check/);
    }
    const ok = await run(['check', '--kubeconfig', healthy.kubeconfigPath, '--provider-url', healthy.providerUrl, '--timeout', '60m', '--only', 'cluster.api', '-o', 'json']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  test('unreachable API server: exit 1 with a report where cluster.api fails', async () => {
    const closed = path.join(dir, 'closed.yaml');
    await writeFile(closed, (await readFile(healthy.kubeconfigPath, 'utf8')).replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:9'));
    const r = await run(['check', '--kubeconfig', closed, '-o', 'json', '--timeout', '10s']);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    validateReport(doc);
    const api = doc.checks.find((c: any) => c.id === 'cluster.api');
    assert.equal(api.status, 'fail');
    assert.match(api.message, /cannot reach|refused/i);
    assert.ok(doc.checks.filter((c: any) => c.id !== 'cluster.api').every((c: any) => c.status === 'skip'));
    assert.equal(doc.diagnosis[0].rule, 'api-unreachable');
  });
});

describe('light commands', () => {
  test('list, explain, --version, --help, completion', async () => {
    const list = await run(['list']);
    assert.equal(list.code, 0);
    for (const c of registry) assert.match(list.stdout, new RegExp(`^${c.id.replace(/\./g, '\\.')}\\s+${c.category}\\s+`, 'm'));
    const listJson = await run(['list', '-o', 'json']);
    assert.deepEqual(JSON.parse(listJson.stdout).map((c: any) => c.id), registry.map((c) => c.id));
    const ex = await run(['explain', 'ip-operator.barrier']);
    assert.equal(ex.code, 0);
    assert.match(ex.stdout, /What it checks:[\s\S]*Why it matters[\s\S]*How to fix:/);
    const v = await run(['--version']);
    assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+$/);
    const h = await run(['check', '--help']);
    assert.equal(h.code, 0);
    for (const flag of ['--kubeconfig', '--context', '--output', '--only', '--skip', '--timeout', '--provider-url', '--log-since', '--fail-on', '--verbose']) assert.ok(h.stdout.includes(flag), flag);
    const comp = await run(['completion']);
    assert.equal(comp.code, 0);
    assert.match(comp.stdout, /complete|compdef/);
  });

  test('binary: --version, list and explain load neither the Kubernetes client, undici, the simulator nor yargs', async () => {
    // NODE_DEBUG=esm makes Node name every module it loads on stderr
    const loaded = (args: string[]) =>
      new Promise<{ code: number | null; files: string[] }>((resolve) => {
        execFile(process.execPath, [bin, ...args], { env: { ...process.env, NODE_DEBUG: 'esm' }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, _stdout, stderr) => {
          resolve({ code: err ? ((err as any).code ?? 1) : 0, files: [...new Set([...stderr.matchAll(/file:\/\/[^\s'"]+/g)].map((m) => m[0]))] });
        });
      });
    const heavy = ['@kubernetes/client-node', '/node_modules/undici/', '/src/sim/', '/src/cluster/client.js', '/node_modules/p-retry/'];
    // the probe can see them: `check` does load the client
    const control = await loaded(['check', '--kubeconfig', '/nonexistent/kubeconfig']);
    assert.equal(control.code, 2);
    assert.ok(control.files.some((f) => f.includes('@kubernetes/client-node')), 'check loads the client (the probe works)');
    for (const args of [['--version'], ['list', '-o', 'json'], ['explain', 'cluster.api']]) {
      const { code, files } = await loaded(args);
      assert.equal(code, 0, args.join(' '));
      // the plain forms are answered without the argument parser too
      const avoid = [...heavy, '/node_modules/yargs/'];
      for (const h of avoid) assert.ok(!files.some((f) => f.includes(h)), `${args.join(' ')} loaded ${h}: ${files.filter((f) => f.includes(h)).slice(0, 3).join(', ')}`);
    }
  });
});

describe('sim serve', () => {
  test('binary: prints one JSON line when ready, serves the state, stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, 'sim', 'serve', '--state', path.join(root, 'scenarios', 'f-ipvs-no-strictarp.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const first = await firstLine(child);
      const ready = JSON.parse(first);
      assert.ok(ready.kubeconfig && /^https:\/\/127\.0\.0\.1:\d+$/.test(ready.providerUrl), first);
      // the state extends healthy-helm and overrides kube-proxy: the doctor sees exactly that
      const r = await run(['check', '--kubeconfig', ready.kubeconfig, '--provider-url', ready.providerUrl, '-o', 'json', '--only', 'kube-proxy,metallb.namespace']);
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

  test('binary: Ctrl-C (SIGINT) removes the temporary folder with the simulator\'s private keys (and no openssl on PATH)', async () => {
    // an empty PATH: the simulator makes its certificates in-process, it needs no `openssl` binary
    const child = spawn(process.execPath, [bin, 'sim', 'serve', '--scenario', 'healthy-helm'], { env: { ...process.env, PATH: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = JSON.parse(await firstLine(child));
    const folder = path.dirname(ready.kubeconfig);
    assert.ok(existsSync(folder), folder);
    assert.ok(readdirSync(folder).some((f) => f.endsWith('.key') || f === 'kubeconfig'), 'the folder holds the keys and the kubeconfig');
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.ok(!existsSync(folder), `${folder} is still there`);
  });

  test('a bad state file is exit 2 with one line', async () => {
    const r = await run(['sim', 'serve', '--state', path.join(root, 'README.md')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid state file/);
    const missing = await run(['sim', 'serve', '--state', '/nonexistent/state.yaml']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read state file/);
  });
});

describe('demo command', () => {
  test('runs the simulated provider, says so on stderr, exits 0 whatever it found', async () => {
    // the demo's /status hangs: a short budget (the probe gets it less 1 s); both formats at once
    const [r, j] = await Promise.all([run(['demo', '--timeout', '5s']), run(['demo', '-o', 'json', '--timeout', '5s'])]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /simulation/i);
    assert.match(r.stderr, /exits 0 whatever it finds/);
    assert.match(r.stdout, /Most likely root cause/);
    assert.match(r.stdout, /IP leases: NOT ready/);
    assert.equal(j.code, 0);
    const doc = JSON.parse(j.stdout);
    validateReport(doc);
    assert.equal(doc.summary.healthy, false, 'the demo scenario is broken, and still exit 0');
    const l = await run(['demo', '--list']);
    assert.match(l.stdout, /^healthy-helm\s+/m);
    assert.match(l.stdout, /^demo\s+/m);
    const bad = await run(['demo', '--scenario', 'no-such-scenario']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown scenario "no-such-scenario"/);
  });

  test('--kubeconfig, --context and --fail-on are rejected (exit 2), not silently ignored', async () => {
    for (const args of [['--kubeconfig', '/tmp/x'], ['--context', 'prod'], ['--fail-on', 'warn'], ['--fail-on', 'fail']]) {
      const r = await run(['demo', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`demo: ${args[0]} is not accepted`));
    }
  });

  test('--scenario p-restricted-token runs as the restricted user it describes', async () => {
    const r = await run(['demo', '--scenario', 'p-restricted-token', '-o', 'json', '--timeout', '30s']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    validateReport(doc);
    assert.equal(doc.cluster.context, 'doctor-viewer');
    const perm = doc.checks.find((c: any) => c.id === 'cluster.permissions');
    assert.equal(perm.status, 'warn', perm.message);
    assert.match(perm.message, /forbidden/);
    assert.equal(doc.checks.find((c: any) => c.id === 'provider.helm-release').status, 'error');
    assert.match(r.stderr, /restricted user "doctor-viewer"/);
  });

  test('binary: Ctrl-C during demo removes the temporary folder with the simulator\'s private keys', async () => {
    const tmp = await mkdtemp(path.join(tmpdir(), 'aid-demo-tmp-'));
    try {
      // f-status-hang keeps the demo busy (the provider /status never answers) until the signal
      const child = spawn(process.execPath, [bin, 'demo', '--scenario', 'f-status-hang', '--timeout', '10m'], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const simDirs = () => readdirSync(tmp).filter((f) => f.startsWith('akash-ip-doctor-sim-'));
      // wait (boundedly) until the simulator has written its kubeconfig
      for (let i = 0; i < 1200 && !simDirs().some((d) => existsSync(path.join(tmp, d, 'kubeconfig'))); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(simDirs().length, 1, 'the demo started a simulator in TMPDIR');
      await new Promise((r) => setTimeout(r, 200));
      child.kill('SIGINT');
      assert.equal(await exited, 130);
      assert.deepEqual(simDirs(), [], 'the folder with the keys is gone');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

/** The first stdout line of a child, or a rejection when it exits first. */
function firstLine(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`child exited ${code} before it was ready`)));
  });
}
