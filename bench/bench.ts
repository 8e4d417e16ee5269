/**
 * npm run bench [-- --pairs N] [--quick] [--http1] [--only p1,p2,p3,p4,bundle,scale,profile]
 *
 * Measures whole processes as a user runs them; asserts nothing. Every figure is a median.
 *
 * P1  `akash-ip-doctor check -o json` against the guide's manual sequence (real `kubectl` and
 *     `curl` processes, see guideCommands()), both against one simulated cluster served by
 *     `akash-ip-doctor sim serve` in a separate process, with 20 ms (then 100 ms) added to
 *     every API request. Runs are interleaved A B A B (after one warm-up pair); the ratio is
 *     the median of the pairwise ratios doctor/guide.
 * P2  `--version`, `list`, `explain ip-operator.barrier` against a bare `node -e 0`,
 *     interleaved; medians and the median pairwise difference.
 * P3  peak RSS of a healthy `check` process, read by a preloaded hook (bench/rss-hook.cjs:
 *     process.resourceUsage().maxRSS at exit), and the scale bench: a large provider (10,000
 *     pods, 2,000 LoadBalancer Services, an operator log of 20 MiB and 200 MiB read in full).
 * P4  TLS handshakes per `check` at the API server and at the provider's :8443 (new TLS
 *     connections counted by the simulator), and the critical path depth (see criticalPath()).
 * bundle  `--version` and `check` with the bundle (dist/bundle), with node_modules left
 *     external (dist/bundle-external, built here), and from the compiled sources (dist/src).
 * profile  a CPU profile of one healthy `check` (node --cpu-prof), summarised by package.
 *
 * The simulated API server offers HTTP/2 like kube-apiserver (--http1: HTTP/1.1 only).
 * --quick: 3 pairs, no 100 ms run, no bundle comparison, scale with the 20 MiB log only.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { loadScenario, startSim, type KubeObject, type RequestRecord, type SimState } from '../src/sim/index.js';
import { summariseProfile } from './profile.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(root, 'bin', 'akash-ip-doctor.js');
const RSS_HOOK = path.join(root, 'bench', 'rss-hook.cjs');
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const PAIRS = Math.max(1, Number(flag('--pairs') ?? (QUICK ? 3 : 5)));
const ONLY = new Set((flag('--only') ?? 'p1,p2,p3,p4,bundle,scale,profile').split(','));
if (QUICK) ONLY.delete('bundle');
const work = mkdtempSync(path.join(tmpdir(), 'akash-ip-doctor-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

// ------------------------------------------------------------------ small helpers

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

interface Ran {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
  /** from the rss hook, when preloaded */
  maxRssKiB?: number;
  cpuMs?: number;
}

/** Run one process to its end; wall time from spawn to exit. */
function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - t0, code: code ?? -1, stdout, stderr }));
  });
}

/** A node process with the rss hook preloaded: adds maxRssKiB and cpuMs. */
async function runNode(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  const file = path.join(work, `rss-${process.hrtime.bigint()}.json`);
  const r = await run(process.execPath, ['--require', RSS_HOOK, ...args], { ...env, BENCH_RSS_FILE: file });
  if (existsSync(file)) {
    const u = JSON.parse(readFileSync(file, 'utf8')) as { maxRssKiB: number; cpuMs: number };
    r.maxRssKiB = u.maxRssKiB;
    r.cpuMs = u.cpuMs;
    rmSync(file, { force: true });
  }
  return r;
}

function checkArgs(sim: Served): string[] {
  return ['check', '-o', 'json', '--kubeconfig', sim.kubeconfig, '--provider-url', sim.providerUrl];
}

function summary(r: Ran): string {
  try {
    const rep = JSON.parse(r.stdout) as { summary: Record<string, number>; checks: { id: string; status: string; message: string }[] };
    const bad = rep.checks.filter((c) => c.status === 'fail' || c.status === 'error').map((c) => `${c.id}: ${c.message}`);
    return `exit ${r.code}, ${JSON.stringify(rep.summary)}${bad.length ? `; fail/error: ${bad.join(' | ')}` : ''}`;
  } catch {
    return `exit ${r.code}, no JSON report (${r.stderr.trim().split('\n').pop() ?? ''})`;
  }
}

// ------------------------------------------------------------------ the simulated cluster in its own process

interface Served {
  kubeconfig: string;
  providerUrl: string;
  server: string;
  stats(): Promise<{ tlsHandshakes: { api: number; provider: number }; requests: RequestRecord[]; providerRequests: RequestRecord[] }>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}

function stateFile(latencyMs: number): string {
  const f = path.join(work, `healthy-helm-${latencyMs}ms.yaml`);
  writeFileSync(
    f,
    [
      'apiVersion: sim.akash-ip-doctor/v1',
      'kind: Behaviour',
      `metadata: {name: bench-${latencyMs}ms, description: "healthy-helm with ${latencyMs} ms added to every API request"}`,
      'extends: healthy-helm',
      `faults: {latencyMs: ${latencyMs}}`,
      // kube-apiserver offers HTTP/2 (kubectl uses it); --http1 serves HTTP/1.1 only
      `http2: ${!argv.includes('--http1')}`,
      '',
    ].join('\n'),
  );
  return f;
}

/** `akash-ip-doctor sim serve --state FILE` in a child process; control through /sim/v1/requests. */
async function serve(latencyMs: number): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'sim', 'serve', '--state', stateFile(latencyMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  // never leave a simulator behind, even when the bench fails or is interrupted
  const reap = () => child.kill('SIGTERM');
  process.once('exit', reap);
  const first = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.on('exit', (code) => reject(new Error(`sim serve exited ${code}`)));
  });
  const info = JSON.parse(first) as { kubeconfig: string; providerUrl: string; server: string };
  const kc = parseYaml(readFileSync(info.kubeconfig, 'utf8'));
  const ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
  const headers = { authorization: `Bearer ${kc.users[0].user.token}` };
  const agent = new Agent({ connect: { ca }, connections: 1 });
  const url = `${info.server}/sim/v1/requests`;
  return {
    ...info,
    async stats() {
      const r = await request(url, { dispatcher: agent, headers });
      return (await r.body.json()) as Awaited<ReturnType<Served['stats']>>;
    },
    async clear() {
      await (await request(url, { dispatcher: agent, headers, method: 'DELETE' })).body.text();
    },
    async stop() {
      await agent.close();
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
      process.off('exit', reap);
    },
  };
}

// ------------------------------------------------------------------ the guide's manual sequence

function hasCmd(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * The verification an operator does by hand following /work/shared/seed/ip-leases-enablement.md
 * (MetalLB namespace, controller and speaker, the monitoring Service and its metrics, the
 * pools and advertisements, kube-proxy's strictARP, the provider's ip-operator flag, the
 * operator's pods, logs and health, and `curl -ks https://<provider>:8443/status`); the
 * operator's pods are looked up with both chart layouts' selectors, as an operator would try
 * them. kubectl keeps its discovery cache (a per-run --cache-dir, warmed by the warm-up pair).
 */
function guideCommands(): string[][] {
  return [
    ['get', 'ns', 'metallb-system'],
    ['-n', 'metallb-system', 'get', 'deployments'],
    ['-n', 'metallb-system', 'get', 'pods'],
    ['-n', 'metallb-system', 'get', 'service', 'controller', '-o', 'yaml'],
    ['-n', 'metallb-system', 'get', 'ipaddresspools.metallb.io', '-o', 'yaml'],
    ['-n', 'metallb-system', 'get', 'l2advertisements.metallb.io', '-o', 'yaml'],
    ['get', '--raw', '/api/v1/namespaces/metallb-system/services/controller:monitoring/proxy/metrics'],
    ['get', 'configmap', 'kube-proxy', '-n', 'kube-system', '-o', 'yaml'],
    ['-n', 'akash-services', 'get', 'statefulsets', 'akash-provider', '-o', 'yaml'],
    ['-n', 'akash-services', 'get', 'configmap', 'akash-provider-main', '-o', 'yaml'],
    ['-n', 'akash-services', 'get', 'pods', '-l', 'app=akash-ip-operator'],
    ['-n', 'akash-services', 'get', 'pods', '-l', 'app.kubernetes.io/name=ip'],
    ['-n', 'akash-services', 'logs', '-l', 'app.kubernetes.io/name=ip', '--tail=200'],
    ['get', '--raw', '/api/v1/namespaces/akash-services/services/operator-ip:rest/proxy/health'],
  ];
}

async function guide(sim: Served, cacheDir: string): Promise<Ran> {
  const t0 = performance.now();
  for (const c of guideCommands()) await run('kubectl', ['--kubeconfig', sim.kubeconfig, '--cache-dir', cacheDir, ...c]);
  const curl = await run('curl', ['-ks', '--max-time', '10', `${sim.providerUrl}/status`]);
  return { ms: performance.now() - t0, code: curl.code, stdout: '', stderr: '' };
}

// ------------------------------------------------------------------ critical path

interface Timed {
  rec: RequestRecord;
  where: 'api' | 'provider';
}

/**
 * The critical path depth of a run: the longest chain r1, r2, ..., rk of logged requests
 * (API server and provider together) in which every request started at the server after the
 * previous one's answer had been sent in full (r[i+1].startMs >= r[i].endMs). A request that
 * needed an earlier answer can only start after it, so the true dependency depth is at most
 * this; requests that merely happened to start later (the client was busy) count too, so the
 * figure is an upper bound for the depth that latency multiplies.
 */
export function criticalPath(reqs: Timed[]): Timed[] {
  const rs = reqs.filter((r) => r.rec.startMs !== undefined && r.rec.endMs !== undefined).sort((a, b) => a.rec.startMs! - b.rec.startMs!);
  const depth: number[] = [];
  const prev: number[] = [];
  let best = -1;
  for (let i = 0; i < rs.length; i++) {
    depth[i] = 1;
    prev[i] = -1;
    for (let j = 0; j < i; j++) {
      if (rs[j]!.rec.endMs! <= rs[i]!.rec.startMs! && depth[j]! + 1 > depth[i]!) {
        depth[i] = depth[j]! + 1;
        prev[i] = j;
      }
    }
    if (best < 0 || depth[i]! > depth[best]!) best = i;
  }
  const chain: Timed[] = [];
  for (let i = best; i >= 0; i = prev[i]!) chain.unshift(rs[i]!);
  return chain;
}

function describeRun(stats: Awaited<ReturnType<Served['stats']>>): string[] {
  const all: Timed[] = [...stats.requests.map((rec) => ({ rec, where: 'api' as const })), ...stats.providerRequests.map((rec) => ({ rec, where: 'provider' as const }))];
  const t0 = Math.min(...all.map((r) => r.rec.startMs ?? Infinity));
  const chain = criticalPath(all);
  const conns = (rs: RequestRecord[]) => new Set(rs.map((r) => r.conn)).size;
  const lines = [
    `TLS handshakes: API server ${stats.tlsHandshakes.api}, provider :8443 ${stats.tlsHandshakes.provider} ` +
      `(requests: ${stats.requests.length} to the API server over ${conns(stats.requests)} connections, ${stats.providerRequests.length} to the provider)`,
    `critical path: ${chain.length} requests deep (longest chain of requests each started after the previous one was answered):`,
  ];
  for (const c of chain) {
    const q = c.rec.query ? `?${c.rec.query.length > 60 ? c.rec.query.slice(0, 57) + '...' : c.rec.query}` : '';
    lines.push(`  +${(c.rec.startMs! - t0).toFixed(0).padStart(5)} ms ${(c.rec.endMs! - c.rec.startMs!).toFixed(0).padStart(4)} ms  ${c.where === 'provider' ? 'provider ' : ''}${c.rec.method} ${c.rec.path}${q}`);
  }
  return lines;
}

// ------------------------------------------------------------------ P1 and P4

async function doctorVsGuide(latencyMs: number, pairs: number, withP4: boolean): Promise<void> {
  console.log(`\n== P1: check vs. the guide's manual sequence, healthy-helm, ${latencyMs} ms per API request, ${pairs} interleaved pairs ==`);
  const sim = await serve(latencyMs);
  const cache = path.join(work, `kubectl-cache-${latencyMs}`);
  try {
    const haveKubectl = hasCmd('kubectl', ['version', '--client']) && hasCmd('curl', ['--version']);
    if (!haveKubectl) console.log('guide: kubectl or curl not installed; only the doctor is timed');
    // warm-up pair: page cache, kubectl's discovery cache
    await runNode([BIN, ...checkArgs(sim)]);
    if (haveKubectl) await guide(sim, cache);
    const A: Ran[] = [];
    const B: Ran[] = [];
    const ratios: number[] = [];
    for (let i = 0; i < pairs; i++) {
      if (withP4 && i === 0) await sim.clear();
      const a = await runNode([BIN, ...checkArgs(sim)]);
      A.push(a);
      if (withP4 && i === 0) {
        console.log(`doctor run 1: ${summary(a)}`);
        console.log(`\n== P4: connections and critical path of one check (${latencyMs} ms per API request) ==`);
        for (const l of describeRun(await sim.stats())) console.log(l);
        console.log('');
      }
      if (!haveKubectl) continue;
      const b = await guide(sim, cache);
      B.push(b);
      ratios.push(a.ms / b.ms);
    }
    const bad = A.filter((a) => a.code !== 0);
    console.log(
      `doctor: median ${ms(median(A.map((a) => a.ms)))} wall, ${ms(median(A.map((a) => a.cpuMs ?? 0)))} CPU (user+sys), peak RSS ${mib(median(A.map((a) => a.maxRssKiB ?? 0)))}` +
        ` [runs: ${A.map((a) => a.ms.toFixed(0)).join(', ')} ms]${bad.length ? `; ${bad.length} run(s) not exit 0: ${summary(bad[0]!)}` : ''}`,
    );
    if (haveKubectl) {
      console.log(`guide:  median ${ms(median(B.map((b) => b.ms)))} wall for ${guideCommands().length} kubectl + 1 curl processes [runs: ${B.map((b) => b.ms.toFixed(0)).join(', ')} ms]`);
      console.log(`P1 ratio doctor/guide at ${latencyMs} ms per request: ${median(ratios).toFixed(2)} (median of pairwise ratios: ${ratios.map((r) => r.toFixed(2)).join(', ')})`);
    }
  } finally {
    await sim.stop();
  }
}

// ------------------------------------------------------------------ P2

async function startup(rounds: number): Promise<void> {
  console.log(`\n== P2: start-up commands vs. a bare \`node -e 0\`, ${rounds} interleaved rounds ==`);
  const cmds: [string, string[]][] = [
    ['--version', ['--version']],
    ['list', ['list']],
    ['explain ip-operator.barrier', ['explain', 'ip-operator.barrier']],
  ];
  const base: number[] = [];
  const t: number[][] = cmds.map(() => []);
  await run(process.execPath, [BIN, '--version']); // warm-up
  for (let i = 0; i < rounds; i++) {
    base.push((await run(process.execPath, ['-e', '0'])).ms);
    for (let k = 0; k < cmds.length; k++) {
      const r = await run(process.execPath, [BIN, ...cmds[k]![1]]);
      if (r.code !== 0) console.log(`  ${cmds[k]![0]}: exit ${r.code}: ${r.stderr.trim().split('\n').pop()}`);
      t[k]!.push(r.ms);
    }
  }
  console.log(`node -e 0: median ${ms(median(base))}`);
  for (let k = 0; k < cmds.length; k++) {
    const diffs = t[k]!.map((x, i) => x - base[i]!);
    console.log(`${cmds[k]![0].padEnd(28)} median ${ms(median(t[k]!)).padStart(7)}, +${ms(median(diffs))} over node -e 0 (median of pairwise differences)`);
  }
}

// ------------------------------------------------------------------ P3: memory of a healthy check

async function memory(rounds: number): Promise<void> {
  console.log(`\n== P3: peak RSS of a healthy check (healthy-helm, no added latency), ${rounds} runs ==`);
  const sim = await serve(0);
  try {
    const rss: number[] = [];
    let last: Ran | undefined;
    for (let i = 0; i < rounds; i++) {
      last = await runNode([BIN, ...checkArgs(sim)]);
      rss.push(last.maxRssKiB ?? 0);
    }
    console.log(`peak RSS: median ${mib(median(rss))} [${rss.map(mib).join(', ')}] (process.resourceUsage().maxRSS at exit, preloaded hook); ${summary(last!)}`);
    if (existsSync('/usr/bin/time')) {
      const r = await run('/usr/bin/time', ['-v', process.execPath, BIN, ...checkArgs(sim)]);
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
      if (m) console.log(`cross-check with /usr/bin/time -v: ${mib(Number(m[1]))}`);
    }
  } finally {
    await sim.stop();
  }
}

// ------------------------------------------------------------------ bundle comparison

async function bundleCompare(rounds: number): Promise<void> {
  console.log(`\n== Bundle: whole processes as shipped (bin), with Node's source maps on, with node_modules external, and from dist/src (${rounds} interleaved rounds) ==`);
  const ext = path.join(root, 'dist', 'bundle-external');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'bundle.mjs'), '--external', '--outdir', ext, '--quiet'], { stdio: 'inherit' });
  // a cli.js runs when its runAsProcess() is called (as bin does), not on import
  const direct = (cli: string): string[] => [
    '--enable-source-maps',
    '--input-type=module',
    '-e',
    "import { pathToFileURL } from 'node:url'; const cli = await import(pathToFileURL(process.argv[1]).href); await cli.runAsProcess(process.argv.slice(2));",
    cli,
  ];
  // [label, node arguments before the CLI's, env]
  const variants: [string, string[], Record<string, string>][] = [
    ['bin: bundle, stacks mapped on a crash', [BIN], {}],
    ['bundle, --enable-source-maps', direct(path.join(root, 'dist', 'bundle', 'cli.js')), {}],
    ['bundle, node_modules external, maps', direct(path.join(ext, 'cli.js')), {}],
    ['bin: compiled sources (dist/src), maps', [BIN], { AKASH_IP_DOCTOR_NO_BUNDLE: '1' }],
  ];
  const sim = await serve(20);
  try {
    for (const [what, args] of [
      ['--version', ['--version']],
      ['check (20 ms per request)', checkArgs(sim)],
    ] as [string, string[]][]) {
      const t: Ran[][] = variants.map(() => []);
      for (const [, pre, env] of variants) await run(process.execPath, [...pre, ...args], env); // warm-up
      for (let i = 0; i < rounds; i++) {
        for (const [k, [, pre, env]] of variants.entries()) t[k]!.push(await runNode([...pre, ...args], env));
      }
      console.log(`${what}:`);
      for (let k = 0; k < variants.length; k++) {
        const rs = t[k]!;
        console.log(`  ${variants[k]![0].padEnd(40)} median ${ms(median(rs.map((r) => r.ms))).padStart(7)} wall, ${ms(median(rs.map((r) => r.cpuMs ?? 0))).padStart(7)} CPU, peak RSS ${mib(median(rs.map((r) => r.maxRssKiB ?? 0)))}`);
      }
    }
  } finally {
    await sim.stop();
    rmSync(ext, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ scale

/** Grow the healthy provider into a large one. */
function largeState(base: SimState, logMiB: number): SimState {
  const objects: KubeObject[] = [...base.objects];
  const NS = 500;
  const PODS = 10_000;
  const LB = 2_000;
  for (let n = 0; n < NS; n++) {
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `lease-${n.toString(36).padStart(6, '0')}`, labels: { 'akash.network': 'true' } } });
  }
  for (let i = 0; i < PODS; i++) {
    const ns = `lease-${(i % NS).toString(36).padStart(6, '0')}`;
    objects.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `web-${i}`, namespace: ns, labels: { 'akash.network': 'true', 'akash.network/manifest-service': 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], nodeName: i % 2 ? 'node1' : 'node2' },
      status: { phase: 'Running' },
    });
  }
  // a /20 default pool so 2,000 leases fit
  for (const o of objects) {
    if (o.kind === 'IPAddressPool' && o.metadata.name === 'default') (o as { spec?: unknown }).spec = { addresses: ['198.18.0.0/20'], autoAssign: true };
  }
  for (let i = 0; i < LB; i++) {
    const ns = `lease-${(i % NS).toString(36).padStart(6, '0')}`;
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `web-ip-${i}`, namespace: ns, labels: { 'akash.network': 'true', 'akash.network/service-target': 'metal-lb' } },
      spec: { type: 'LoadBalancer', ports: [{ name: 'tcp-80', port: 80, protocol: 'TCP' }] },
      status: { loadBalancer: { ingress: [{ ip: `198.18.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}` }] } },
    });
  }
  const behaviour = structuredClone(base.behaviour);
  const text = "E[2026-11-26|08:06:01.431] barrier is locked, can't service request     operator=ip path=/health   request-id=0123456789abcdef";
  const lines = Math.round((logMiB * 1024 * 1024) / (text.length + 1));
  behaviour.logs['akash-services/operator-ip-6f9c7b-x2x9k'] = { generate: { lines, text, lastLines: ['I[2026-11-26|09:00:00.000] barrier can now be passed    operator=ip'] } };
  const metrics = `metallb_allocator_addresses_total{pool="default"} 4096\nmetallb_allocator_addresses_in_use_total{pool="default"} ${LB}\n`;
  behaviour.proxy['metallb-system/controller:monitoring/metrics'] = { status: 200, body: metrics, contentType: 'text/plain; version=0.0.4' };
  behaviour.proxy['akash-services/operator-ip:rest/usage'] = { status: 200, body: { Available: 4096 - LB, InUse: LB } };
  return { ...base, objects, behaviour };
}

async function scale(logSizes: number[]): Promise<void> {
  console.log('\n== P3 scale: 10,000 pods in 500 namespaces, 2,000 LoadBalancer Services, the IP-operator log read in full ==');
  console.log('(the simulator runs in the bench process; the check is its own process)');
  const base = await loadScenario('healthy-helm');
  const rss: number[] = [];
  const fullRead: string[] = [];
  const fullRss: number[] = [];
  for (const logMiB of logSizes) {
    const t0 = performance.now();
    const state = largeState(base, logMiB);
    state.behaviour.http2 = !argv.includes('--http1');
    const sim = await startSim(state);
    const loadMs = performance.now() - t0;
    try {
      const r = await runNode([BIN, 'check', '-o', 'json', '--kubeconfig', sim.kubeconfigPath, '--provider-url', sim.providerUrl, '--timeout', '60s']);
      rss.push(r.maxRssKiB ?? 0);
      let linesRead = 0;
      try {
        const rep = JSON.parse(r.stdout) as { checks: { id: string; details?: { pods?: { linesRead?: number }[] } }[] };
        linesRead = (rep.checks.find((c) => c.id === 'ip-operator.barrier')?.details?.pods ?? []).reduce((n, p) => n + (p.linesRead ?? 0), 0);
      } catch {
        /* reported by summary() */
      }
      const allPods = sim.requests.filter((q) => q.method === 'GET' && q.path === '/api/v1/pods').length;
      const hs = sim.tlsHandshakes();
      console.log(
        `log ${String(logMiB).padStart(3)} MiB (${linesRead.toLocaleString('en')} lines scanned): check ${ms(r.ms)} wall, ${ms(r.cpuMs ?? 0)} CPU, peak RSS ${mib(r.maxRssKiB ?? 0)}, ` +
          `${sim.requests.length} API requests (${allPods} lists of all pods), TLS handshakes ${hs.api}+${hs.provider}; sim load ${ms(loadMs)}; ${summary(r)}`,
      );
      const full = await runNode([path.join(root, 'dist', 'bench', 'run-check.js'), sim.kubeconfigPath, sim.providerUrl, '600000']);
      try {
        const f = JSON.parse(full.stdout.trim().split('\n').pop()!) as { wallMs: number; logLinesRead: number };
        fullRead.push(`log ${logMiB} MiB read in full (${f.logLinesRead.toLocaleString('en')} lines): ${ms(f.wallMs)} in runDoctor, peak RSS ${mib(full.maxRssKiB ?? 0)}`);
        fullRss.push(full.maxRssKiB ?? 0);
      } catch {
        fullRead.push(`log ${logMiB} MiB read in full: no result (exit ${full.code}: ${full.stderr.trim().split('\n').pop()})`);
      }
    } finally {
      await sim.close();
    }
  }
  if (rss.length === 2) console.log(`peak RSS of check, ${logSizes[1]} MiB log / ${logSizes[0]} MiB log: ${(rss[1]! / rss[0]!).toFixed(2)}x`);
  console.log('`check` reads the last 20,000 lines of the operator log (the engine default); to show that reading a whole log streams, the same run with logTailLines 0 (bench/run-check.ts, runDoctor in a child process):');
  for (const l of fullRead) console.log(`  ${l}`);
  if (fullRss.length === 2) console.log(`  peak RSS ${logSizes[1]} MiB / ${logSizes[0]} MiB: ${(fullRss[1]! / fullRss[0]!).toFixed(2)}x`);
}

// ------------------------------------------------------------------ CPU profile

async function profile(): Promise<void> {
  console.log('\n== CPU profile of one healthy check (node --cpu-prof, 20 ms per API request) ==');
  const sim = await serve(20);
  const dir = path.join(work, 'cpuprof');
  try {
    await run(process.execPath, [BIN, ...checkArgs(sim)]); // warm-up
    const r = await run(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, BIN, ...checkArgs(sim)]);
    const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
    if (!f) {
      console.log(`no profile written (${summary(r)})`);
      return;
    }
    for (const l of summariseProfile(path.join(dir, f), 12)) console.log(l);
  } finally {
    await sim.stop();
  }
}

// ------------------------------------------------------------------ main

console.log(`akash-ip-doctor bench: node ${process.version}, ${readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU'}, ${(await import('node:os')).availableParallelism()} CPUs, load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`bin: ${existsSync(path.join(root, 'dist', 'bundle', 'cli.js')) ? 'dist/bundle/cli.js (bundle)' : 'dist/src/cli.js (no bundle built)'}; pairs: ${PAIRS}${QUICK ? ' (--quick)' : ''}; simulated API server: ${argv.includes('--http1') ? 'HTTP/1.1 only' : 'HTTP/2 and HTTP/1.1'}`);
if (ONLY.has('p1') || ONLY.has('p4')) await doctorVsGuide(20, PAIRS, ONLY.has('p4'));
if (ONLY.has('p1') && !QUICK) await doctorVsGuide(100, PAIRS, false);
if (ONLY.has('p2')) await startup(PAIRS);
if (ONLY.has('p3')) await memory(PAIRS);
if (ONLY.has('bundle')) await bundleCompare(PAIRS);
if (ONLY.has('scale')) await scale(QUICK ? [20] : [20, 200]);
if (ONLY.has('profile')) await profile();
console.log(`\nload average at the end: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
process.exit(0);
