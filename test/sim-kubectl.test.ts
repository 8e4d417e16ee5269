/**
 * Real kubectl against the simulated cluster: the guide's own commands must work.
 * Each test is skipped (with a message) only when /usr/bin/kubectl is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario, startSim, type SimHandle } from '../src/sim/index.js';

const KUBECTL = '/usr/bin/kubectl';
const skip = existsSync(KUBECTL) ? false : `${KUBECTL} not found: install kubectl v1.32 to run the kubectl conformance tests`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

let home: string | undefined;

async function kubectl(kubeconfig: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Run> {
  home ??= await mkdtemp(join(tmpdir(), 'sim-kubectl-home-'));
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home!, KUBECACHEDIR: join(home!, 'cache') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
    child.stdin.end(opts.input ?? '');
  });
}

async function withSim(fn: (sim: SimHandle) => Promise<void>): Promise<void> {
  const sim = await startSim(await loadScenario('_sim-selftest'));
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

test.after(async () => {
  if (home) await rm(home, { recursive: true, force: true });
});

test('kubectl get ns / -o yaml of the provider StatefulSet and the kube-proxy ConfigMap', { skip }, async () => {
  await withSim(async (sim) => {
    const k = sim.kubeconfigPath;
    const ns = await kubectl(k, ['get', 'ns']);
    assert.equal(ns.code, 0, ns.stderr);
    assert.match(ns.stdout, /^NAME\s+STATUS\s+AGE/m);
    assert.match(ns.stdout, /^metallb-system\s+Active/m);
    assert.equal(ns.stderr, '');

    const sts = await kubectl(k, ['-n', 'akash-services', 'get', 'statefulsets', 'akash-provider', '-o', 'yaml']);
    assert.equal(sts.code, 0, sts.stderr);
    assert.match(sts.stdout, /- name: AKASH_IP_OPERATOR\n\s+value: "true"/);

    const kp = await kubectl(k, ['get', 'configmap', 'kube-proxy', '-n', 'kube-system', '-o', 'yaml']);
    assert.equal(kp.code, 0, kp.stderr);
    assert.match(kp.stdout, /strictARP: false/);
    assert.match(kp.stdout, /mode: ipvs/);

    const pods = await kubectl(k, ['get', 'pods', '-A', '-o', 'wide']);
    assert.equal(pods.code, 0, pods.stderr);
    assert.match(pods.stdout, /akash-services\s+operator-ip-6f9c7b-x2x9k\s+1\/1\s+Running\s+0/);

    const missing = await kubectl(k, ['get', 'cm', 'nope', '-n', 'kube-system']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Error from server \(NotFound\): configmaps "nope" not found/);
  });
});

test('kubectl logs -l prints the last 10 lines', { skip }, async () => {
  await withSim(async (sim) => {
    const r = await kubectl(sim.kubeconfigPath, ['logs', '-l', 'app.kubernetes.io/name=ip', '-n', 'akash-services']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 10);
    assert.equal(lines[0], 'line-03');
    assert.match(lines[9]!, /barrier is locked, can't service request\s+operator=ip path=\/health/);
    const last = sim.requests.find((q) => q.path.endsWith('/log'));
    assert.match(last?.query ?? '', /tailLines=10/);
  });
});

test('kubectl delete pod -l returns quickly and the Deployment brings a new pod', { skip }, async () => {
  await withSim(async (sim) => {
    const k = sim.kubeconfigPath;
    const r = await kubectl(k, ['delete', 'pod', '-l', 'app.kubernetes.io/name=ip', '-n', 'akash-services'], { timeoutMs: 15_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pod "operator-ip-6f9c7b-x2x9k" deleted/);
    let name = '';
    for (let i = 0; i < 40 && !name; i++) {
      const g = await kubectl(k, ['get', 'pods', '-n', 'akash-services', '-l', 'app.kubernetes.io/name=ip', '-o', 'jsonpath={.items[*].metadata.name}']);
      name = g.stdout.trim();
      if (!name) await new Promise((res) => setTimeout(res, 50));
    }
    assert.match(name, /^operator-ip-6f9c7b-\w{5}$/);
    assert.notEqual(name, 'operator-ip-6f9c7b-x2x9k');
    const logs = await kubectl(k, ['logs', '-n', 'akash-services', name]);
    assert.match(logs.stdout, /barrier can now be passed/);
  });
});

const METALLB_CONFIG = `---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: default
  namespace: metallb-system
spec:
  addresses:
  - 144.217.30.192/28
  - 198.50.185.112/28
  - 194.28.98.219-194.28.98.222
  autoAssign: true
  avoidBuggyIPs: false
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  creationTimestamp: null
  name: l2advertisement1
  namespace: metallb-system
spec:
  ipAddressPools:
  - default
`;

test('kubectl apply -f of an IPAddressPool and L2Advertisement (with validation on)', { skip }, async () => {
  await withSim(async (sim) => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-apply-'));
    try {
      const file = join(dir, 'metallb-config.yaml');
      await writeFile(file, METALLB_CONFIG);
      const k = sim.kubeconfigPath;
      const a = await kubectl(k, ['apply', '-f', file]);
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout, /ipaddresspool.metallb.io\/default created/);
      assert.match(a.stdout, /l2advertisement.metallb.io\/l2advertisement1 created/);
      const again = await kubectl(k, ['apply', '-f', file]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /ipaddresspool.metallb.io\/default unchanged/);
      await writeFile(file, METALLB_CONFIG.replace('autoAssign: true', 'autoAssign: false'));
      const changed = await kubectl(k, ['apply', '-f', file]);
      assert.equal(changed.code, 0, changed.stderr);
      assert.match(changed.stdout, /ipaddresspool.metallb.io\/default configured/);
      const pool = sim.objects().find((o) => o.kind === 'IPAddressPool' && o.metadata.name === 'default');
      assert.equal((pool?.spec as { autoAssign?: boolean }).autoAssign, false);
      assert.ok(pool?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']);
      const got = await kubectl(k, ['get', 'ipaddresspools', '-n', 'metallb-system', '-o', 'name']);
      assert.equal(got.stdout.trim(), 'ipaddresspool.metallb.io/default');
      assert.ok(sim.requests.some((r) => r.path === '/openapi/v3' && r.status === 200));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('the guide strictARP pipeline: kubectl diff -f - then kubectl apply -f -', { skip }, async () => {
  await withSim(async (sim) => {
    const k = sim.kubeconfigPath;
    const get = await kubectl(k, ['get', 'configmap', 'kube-proxy', '-n', 'kube-system', '-o', 'yaml']);
    const edited = get.stdout.replace('strictARP: false', 'strictARP: true');
    const diff = await kubectl(k, ['diff', '-f', '-', '-n', 'kube-system'], { input: edited });
    assert.equal(diff.code, 1, `diff exits 1 when different: ${diff.stderr}`);
    assert.match(diff.stdout, /^-\s+strictARP: false$/m);
    assert.match(diff.stdout, /^\+\s+strictARP: true$/m);
    assert.ok(sim.requests.some((r) => r.method === 'PATCH' && /dryRun=All/.test(r.query)));
    const unchanged = (sim.objects().find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'kube-proxy')?.data as Record<string, string>)['config.conf'];
    assert.match(unchanged!, /strictARP: false/);
    const apply = await kubectl(k, ['apply', '-f', '-', '-n', 'kube-system'], { input: edited });
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /configmap\/kube-proxy configured/);
    const after = await kubectl(k, ['get', 'configmap', 'kube-proxy', '-n', 'kube-system', '-o', 'jsonpath={.data.config\\.conf}']);
    assert.match(after.stdout, /strictARP: true/);
    const again = await kubectl(k, ['get', 'configmap', 'kube-proxy', '-n', 'kube-system', '-o', 'yaml']);
    const noDiff = await kubectl(k, ['diff', '-f', '-', '-n', 'kube-system'], { input: again.stdout });
    assert.equal(noDiff.code, 0, noDiff.stdout + noDiff.stderr);
    // then the guide restarts kube-proxy
    const rr = await kubectl(k, ['-n', 'kube-system', 'rollout', 'restart', 'ds/kube-proxy']);
    assert.equal(rr.code, 0, rr.stderr);
    assert.match(rr.stdout, /daemonset.apps\/kube-proxy restarted/);
    const status = await kubectl(k, ['-n', 'kube-system', 'rollout', 'status', 'ds/kube-proxy', '--timeout=10s']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /successfully rolled out/);
    const kp = await kubectl(k, ['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=kube-proxy', '-o', 'jsonpath={.items[*].metadata.name}']);
    assert.match(kp.stdout.trim(), /^kube-proxy-\w{5}$/);
    assert.notEqual(kp.stdout.trim(), 'kube-proxy-7xk2p');
  });
});

test('kubectl expose deployment metallb-controller --name=controller with the guide overrides', { skip }, async () => {
  await withSim(async (sim) => {
    const k = sim.kubeconfigPath;
    const r = await kubectl(k, [
      '-n',
      'metallb-system',
      'expose',
      'deployment',
      'metallb-controller',
      '--name=controller',
      '--overrides={"spec":{"ports":[{"protocol":"TCP","name":"monitoring","port":7472}]}}',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /service\/controller exposed/);
    const svc = sim.objects().find((o) => o.kind === 'Service' && o.metadata.name === 'controller');
    const spec = svc?.spec as { selector?: Record<string, string>; ports?: { name?: string; port?: number; targetPort?: number }[] };
    assert.deepEqual(spec.selector, { 'app.kubernetes.io/name': 'metallb', 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/instance': 'metallb' });
    assert.deepEqual(spec.ports?.map((p) => [p.name, p.port, p.targetPort]), [['monitoring', 7472, 7472]]);
    // what the IP operator reads through the API server
    const metrics = await kubectl(k, ['get', '--raw', '/api/v1/namespaces/metallb-system/services/controller:monitoring/proxy/metrics']);
    assert.equal(metrics.code, 0, metrics.stderr);
    assert.match(metrics.stdout, /metallb_allocator_addresses_total\{pool="default"\} 16/);
    const dup = await kubectl(k, ['-n', 'metallb-system', 'expose', 'deployment', 'metallb-controller', '--name=controller', '--port=7472']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /AlreadyExists|already exists/);
  });
});

test('kubectl with a restricted token: Forbidden, and auth can-i through SelfSubjectAccessReview', { skip }, async () => {
  await withSim(async (sim) => {
    const kc = await sim.addUser('viewer', [{ verbs: ['get', 'list'], resources: ['pods'], namespaces: ['akash-services'] }]);
    const pods = await kubectl(kc, ['get', 'pods', '-n', 'akash-services']);
    assert.equal(pods.code, 0, pods.stderr);
    const logs = await kubectl(kc, ['logs', '-n', 'akash-services', 'operator-ip-6f9c7b-x2x9k']);
    assert.equal(logs.code, 1);
    assert.match(logs.stderr, /Error from server \(Forbidden\): pods "operator-ip-6f9c7b-x2x9k" is forbidden: User "viewer" cannot get resource "pods\/log"/);
    const yes = await kubectl(kc, ['auth', 'can-i', 'list', 'pods', '-n', 'akash-services']);
    assert.equal(yes.stdout.trim(), 'yes');
    const no = await kubectl(kc, ['auth', 'can-i', 'delete', 'pods', '-n', 'akash-services']);
    assert.equal(no.stdout.trim(), 'no');
    assert.equal(no.code, 1);
  });
});
