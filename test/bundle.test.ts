/**
 * The bundled build that bin/akash-ip-doctor.js prefers (dist/bundle, `npm run build`): the
 * same CLI as the compiled sources. Skipped when no bundle was built (esbuild absent).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadScenario, startSim } from '../src/sim/index.js';
import { repoRoot } from './report-schema.js';
import { runBin as cli } from './cli-helpers.js';

const root = repoRoot;
const bundled = existsSync(path.join(root, 'dist', 'bundle', 'cli.js'));
const skip = bundled ? false : 'no dist/bundle (esbuild not installed)';


test('the bundle answers --version, list and check like the compiled sources', { skip }, async () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const viaBundle = { AKASH_IP_DOCTOR_NO_BUNDLE: undefined };
  const viaSources = { AKASH_IP_DOCTOR_NO_BUNDLE: '1' };
  assert.equal((await cli(['--version'], viaBundle)).stdout.trim(), pkg.version);
  const [lb, ls] = await Promise.all([cli(['list'], viaBundle), cli(['list'], viaSources)]);
  assert.equal(lb.code, 0);
  assert.equal(lb.stdout, ls.stdout);

  const sim = await startSim(await loadScenario('healthy-helm'));
  try {
    const args = ['check', '-o', 'json', '--kubeconfig', sim.kubeconfigPath, '--provider-url', sim.providerUrl, '--timeout', '30s'];
    const [b, s] = await Promise.all([cli(args, viaBundle), cli(args, viaSources)]);
    assert.equal(b.code, s.code, b.stderr);
    const strip = (o: string) => {
      const r = JSON.parse(o) as { checks: { id: string; status: string; details?: { reason?: string } }[]; summary: unknown };
      return { summary: r.summary, checks: r.checks.map((c) => [c.id, c.status, c.details?.reason]) };
    };
    assert.deepEqual(strip(b.stdout), strip(s.stdout));
  } finally {
    await sim.close();
  }
});

test('the bundle applies fixes like the compiled sources (demo --fix --yes: the write path, the fixer and the fixes are in it)', { skip }, async () => {
  const viaBundle = { AKASH_IP_DOCTOR_NO_BUNDLE: undefined };
  const r = await cli(['demo', '--fix', '--yes', '-o', 'json'], viaBundle);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { fixes: { id: string; outcome: string }[]; summary: { healthy: boolean } };
  assert.deepEqual(
    report.fixes.map((f) => `${f.id}:${f.outcome}`),
    ['metallb.expose-controller:applied', 'kube-proxy.enable-strict-arp:applied', 'ip-operator.restart:applied'],
  );
  assert.equal(report.summary.healthy, true);
});
