// test-runner: serial (changes process-wide state: see scripts/run-tests.mjs)
/**
 * Kubeconfig loading as kubectl does it: relative certificate paths, several
 * files in $KUBECONFIG, and clear configuration errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { withSim, result } from './helpers.js';
import { loadKubeConfig, ConfigError } from '../src/cluster/client.js';
import { runDoctor } from '../src/core/engine.js';

async function splitKubeconfig(simPath: string, dir: string) {
  const kc = parse(await readFile(simPath, 'utf8'));
  const cluster = kc.clusters[0];
  // CA as a file next to the kubeconfig, referenced by a relative path
  await writeFile(path.join(dir, 'ca.crt'), Buffer.from(cluster.cluster['certificate-authority-data'], 'base64'));
  delete cluster.cluster['certificate-authority-data'];
  cluster.cluster['certificate-authority'] = 'ca.crt';
  return kc;
}

test('a relative certificate-authority path resolves against the kubeconfig folder', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'aid-kc-'));
  try {
    await withSim('healthy-helm', async (sim) => {
      const kc = await splitKubeconfig(sim.kubeconfigPath, dir);
      const file = path.join(dir, 'config');
      await writeFile(file, stringify(kc));
      const cwd = process.cwd();
      process.chdir(tmpdir()); // not the kubeconfig's folder
      try {
        const { report } = await runDoctor({ kubeconfig: file, only: ['cluster.api'] });
        assert.equal(result(report, 'cluster.api').status, 'pass', result(report, 'cluster.api').message);
      } finally {
        process.chdir(cwd);
      }
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('$KUBECONFIG with several files is merged; the first current-context wins', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'aid-kc-'));
  const saved = process.env.KUBECONFIG;
  try {
    await withSim('healthy-helm', async (sim) => {
      const kc = parse(await readFile(sim.kubeconfigPath, 'utf8'));
      // file 1: only the user and a current-context naming a context defined in file 2
      const a = { apiVersion: 'v1', kind: 'Config', 'current-context': 'sim', users: kc.users, clusters: [], contexts: [] };
      const b = { apiVersion: 'v1', kind: 'Config', 'current-context': 'elsewhere', users: [], clusters: kc.clusters, contexts: kc.contexts };
      await writeFile(path.join(dir, 'a'), stringify(a));
      await writeFile(path.join(dir, 'b'), stringify(b));
      process.env.KUBECONFIG = [path.join(dir, 'missing'), path.join(dir, 'a'), path.join(dir, 'b')].join(path.delimiter);
      const loaded = loadKubeConfig({});
      assert.equal(loaded.getCurrentContext(), 'sim');
      assert.equal(loaded.getCurrentCluster()?.server, sim.server);
      const { report } = await runDoctor({ only: ['cluster.api'] });
      assert.equal(result(report, 'cluster.api').status, 'pass');
    });
  } finally {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
    await rm(dir, { recursive: true, force: true });
  }
});

test('configuration errors are ConfigErrors with one clear line', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'aid-kc-'));
  try {
    assert.throws(() => loadKubeConfig({ kubeconfig: path.join(dir, 'nope') }), (e: unknown) => e instanceof ConfigError && /kubeconfig not found/.test(e.message));
    await writeFile(path.join(dir, 'empty'), 'apiVersion: v1\nkind: Config\n');
    assert.throws(() => loadKubeConfig({ kubeconfig: path.join(dir, 'empty') }), /has no contexts/);
    await writeFile(path.join(dir, 'dangling'), stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'c', contexts: [{ name: 'c', context: { cluster: 'gone', user: 'u' } }], users: [{ name: 'u', user: { token: 't' } }], clusters: [] }));
    assert.throws(() => loadKubeConfig({ kubeconfig: path.join(dir, 'dangling') }), /refers to cluster "gone"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
