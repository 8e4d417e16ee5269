// test-runner: concurrent (every test on its own simulator)
/**
 * `--fix` as a user runs it: whole processes of the real binary, and real kubectl as a second
 * client reading what the fixes changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadScenario, startSim } from '../src/sim/index.js';
import { assertValidReport, repoRoot } from './report-schema.js';
import { bin } from './cli-helpers.js';

const KUBECTL = '/usr/bin/kubectl';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('demo shows the fix plan as a dry run; demo --fix --yes heals the simulated provider by cause and effect', async () => {
  // two demos at once, each with its own simulated provider
  const [dry, applied] = await Promise.all([run(process.execPath, [bin, 'demo']), run(process.execPath, [bin, 'demo', '--fix', '--yes', '-o', 'json'])]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /Fixes \(dry run: proven by the API server, nothing changed\):/);
  for (const id of ['metallb.expose-controller', 'kube-proxy.enable-strict-arp', 'ip-operator.restart']) assert.match(dry.stdout, new RegExp(`\\[dry-run\\] ${id.replace(/\./g, '\\.')}`));
  assert.match(dry.stdout, /\$ kubectl -n kube-system rollout restart daemonset\/kube-proxy/);
  assert.match(dry.stdout, /IP leases: NOT ready/);

  assert.equal(applied.code, 0, applied.stderr);
  const report = JSON.parse(applied.stdout);
  assertValidReport(report, 'demo --fix --yes');
  assert.equal(report.fixMode, 'apply');
  assert.deepEqual(
    report.fixes.map((f: { id: string; outcome: string }) => `${f.id}:${f.outcome}`),
    ['metallb.expose-controller:applied', 'kube-proxy.enable-strict-arp:applied', 'ip-operator.restart:applied'],
  );
  assert.equal(report.before.summary.healthy, false);
  assert.equal(report.summary.healthy, true, JSON.stringify(report.checks.filter((c: { status: string }) => c.status === 'fail').map((c: { id: string; message: string }) => `${c.id}: ${c.message}`)));
  assert.equal(report.checks.find((c: { id: string }) => c.id === 'provider.status-endpoint').status, 'pass', 'the waiting provider carried on by itself');
});

test('check --fix --yes as a process; kubectl sees the repaired Service, the Events and no lock left', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not found` }, async () => {
  const state = structuredClone(await loadScenario('f-controller-port-misnamed'));
  // every component follows from the objects, the provider too (waiting for the stuck operator)
  state.behaviour.model = { fromStart: true };
  const sim = await startSim(state);
  const home = await mkdtemp(path.join(tmpdir(), 'fix-cli-kubectl-'));
  try {
    // /status hangs until the fixes: a 5 s budget per check (the demo's) instead of waiting out 15 s
    const r = await run(process.execPath, [bin, 'check', '--fix', '--yes', '--timeout', '5s', '--kubeconfig', sim.kubeconfigPath, '--provider-url', sim.providerUrl, '--fix-timeout', '30s']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /\[applied\] metallb\.expose-controller/);
    assert.match(r.stdout, /IP leases: ready/);
    const env = { KUBECONFIG: sim.kubeconfigPath, HOME: home };
    const port = await run(KUBECTL, ['-n', 'metallb-system', 'get', 'service', 'controller', '-o', 'jsonpath={.spec.ports[0].name} {.spec.ports[0].port}'], env);
    assert.equal(port.code, 0, port.stderr);
    assert.equal(port.stdout, 'monitoring 7472');
    const ev = await run(KUBECTL, ['-n', 'metallb-system', 'get', 'events', '-o', 'json'], env);
    assert.equal(ev.code, 0, ev.stderr);
    const ours = (JSON.parse(ev.stdout).items as { reason: string; involvedObject: { kind: string; name: string } }[]).filter((e) => e.reason === 'AkashIpDoctorFix');
    assert.ok(ours.some((e) => e.involvedObject.kind === 'Service' && e.involvedObject.name === 'controller'), JSON.stringify(ours));
    const leases = await run(KUBECTL, ['-n', 'akash-services', 'get', 'leases', '-o', 'name'], env);
    assert.equal(leases.code, 0, leases.stderr);
    assert.doesNotMatch(leases.stdout, /akash-ip-doctor-fix/);
    const again = await run(process.execPath, [bin, 'check', '--fix', '--yes', '-o', 'json', '--kubeconfig', sim.kubeconfigPath, '--provider-url', sim.providerUrl]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).fixes, [], 'a second --fix plans nothing');
  } finally {
    await sim.close();
    await rm(home, { recursive: true, force: true });
  }
});
