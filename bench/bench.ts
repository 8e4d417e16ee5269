/**
 * npm run bench
 *
 * 1. Doctor vs. the guide: a full `check` against the simulated provider with
 *    added latency per request, against the guide's manual verification done as
 *    a sequence of real `kubectl` commands (and one curl-like /status GET) on the
 *    same simulator. Prints wall time and request count of both, and the ratios.
 * 2. Scale: a large provider (10,000 pods in 500 namespaces, 2,000 LoadBalancer
 *    services, a 200 MB IP-operator log): wall time, peak memory and request count
 *    of a full `check` (run in a child process so the simulator's memory does not
 *    count), with a 20 MB log for comparison, and a look at the request log for
 *    any list of all pods of the cluster.
 *
 * Measures only; asserts nothing about time.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Agent, request } from 'undici';
import { loadScenario, startSim, type SimHandle, type SimState, type KubeObject } from '../src/sim/index.js';
import { runDoctor } from '../src/core/engine.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 20);
const args = new Set(process.argv.slice(2));

function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

async function hasKubectl(): Promise<boolean> {
  try {
    await run('kubectl', ['version', '--client'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** The guide's manual verification, command by command (both operator layouts' selectors, as an operator would try them). */
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

async function manualGuide(sim: SimHandle): Promise<{ wallMs: number; requests: number; commands: number }> {
  sim.clearRequests();
  const started = performance.now();
  const cmds = guideCommands();
  for (const c of cmds) {
    await run('kubectl', ['--kubeconfig', sim.kubeconfigPath, ...c], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }).catch((e) => e);
  }
  // curl -ks https://provider:8443/status
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  await request(`${sim.providerUrl}/status`, { dispatcher: agent }).then((r) => r.body.text()).catch(() => undefined);
  await agent.close();
  return { wallMs: performance.now() - started, requests: sim.requests.length + 1, commands: cmds.length + 1 };
}

async function doctorVsGuide(): Promise<void> {
  const state = await loadScenario('healthy-helm');
  const sim = await startSim(state, { latencyMs: LATENCY });
  try {
    // warm-up (TLS, module loading) outside the measurement
    await runDoctor({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl });
    sim.clearRequests();
    const t0 = performance.now();
    const { report, requestCount } = await runDoctor({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl });
    const doctorMs = performance.now() - t0;
    const doctorApi = sim.requests.length;
    console.log(`\n== Doctor vs. the guide's manual kubectl sequence (healthy-helm, ${LATENCY} ms latency per API request) ==`);
    console.log(`doctor: ${report.checks.length} checks in ${fmt(doctorMs)}, ${requestCount} HTTP requests (${doctorApi} to the API server), summary ${JSON.stringify(report.summary)}`);
    if (!(await hasKubectl())) {
      console.log('guide: kubectl not installed; skipped');
      return;
    }
    const g = await manualGuide(sim);
    console.log(`guide:  ${g.commands} commands in ${fmt(g.wallMs)}, ${g.requests} HTTP requests (kubectl caches discovery between runs; reading their output is left to the operator)`);
    console.log(`ratio:  wall time guide/doctor = ${(g.wallMs / doctorMs).toFixed(1)}x, requests guide/doctor = ${(g.requests / requestCount).toFixed(2)}x`);
  } finally {
    await sim.close();
  }
}

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
    if (o.kind === 'IPAddressPool' && o.metadata.name === 'default') (o as any).spec = { addresses: ['198.18.0.0/20'], autoAssign: true };
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
  const behaviour: any = structuredClone(base.behaviour);
  const text = 'E[2026-11-26|08:06:01.431] barrier is locked, can\'t service request     operator=ip path=/health   request-id=0123456789abcdef';
  const lines = Math.round((logMiB * 1024 * 1024) / (text.length + 1));
  behaviour.logs['akash-services/operator-ip-6f9c7b-x2x9k'] = { generate: { lines, text, lastLines: ['I[2026-11-26|09:00:00.000] barrier can now be passed    operator=ip'] } };
  const metrics = `metallb_allocator_addresses_total{pool="default"} 4096\nmetallb_allocator_addresses_in_use_total{pool="default"} ${LB}\n`;
  behaviour.proxy['metallb-system/controller:monitoring/metrics'] = { status: 200, body: metrics, contentType: 'text/plain; version=0.0.4' };
  behaviour.proxy['akash-services/operator-ip:rest/usage'] = { status: 200, body: { Available: 4096 - LB, InUse: LB } };
  return { ...base, objects, behaviour };
}

async function childCheck(sim: SimHandle): Promise<{ wallMs: number; requestCount: number; maxRssMiB: number; logLinesRead: number; bad: string[] }> {
  const child = spawn(process.execPath, [path.join(here, 'run-check.js'), sim.kubeconfigPath, sim.providerUrl, '600000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((r) => child.on('close', r));
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function scale(): Promise<void> {
  const base = await loadScenario('healthy-helm');
  console.log('\n== Scale: 10,000 pods in 500 namespaces, 2,000 LoadBalancer services, full IP-operator log read as a stream ==');
  for (const logMiB of [20, 200]) {
    const state = largeState(base, logMiB);
    const t0 = performance.now();
    const sim = await startSim(state);
    const loadMs = performance.now() - t0;
    try {
      const r = await childCheck(sim);
      const allPods = sim.requests.filter((q) => q.method === 'GET' && q.path === '/api/v1/pods');
      console.log(
        `log ${String(logMiB).padStart(3)} MiB (${r.logLinesRead.toLocaleString('en')} lines scanned): check ${fmt(r.wallMs)}, peak RSS ${r.maxRssMiB.toFixed(0)} MiB, ${r.requestCount} requests` +
          ` (sim load ${fmt(loadMs)}; lists of all pods: ${allPods.length}; fail/error: ${r.bad.length ? r.bad.join(' | ') : 'none'})`,
      );
    } finally {
      await sim.close();
    }
  }
}

if (!args.has('--scale-only')) await doctorVsGuide();
if (!args.has('--quick')) await scale();
process.exit(0);
