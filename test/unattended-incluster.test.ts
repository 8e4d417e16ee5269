/**
 * In-cluster configuration, as a CronJob's pod sees it: no kubeconfig, only
 * KUBERNETES_SERVICE_HOST/PORT and the service account's token, CA and namespace at
 * /var/run/secrets/kubernetes.io/serviceaccount (fixed paths in client-node's
 * loadFromCluster). The real binary runs in a private mount namespace (`unshare`) where a
 * tmpfs over /run (/var/run) holds those files, so the host is untouched; the token is
 * the simulator's token for the service account with deploy/rbac's rules. Skipped with
 * the reason where unprivileged mount namespaces are not available.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startSim, loadScenario, type SimHandle } from '../src/sim/index.js';
import { grantsOf, manifests, RBAC_DIR, SA_USER } from './rbac-manifests.js';
import { assertValidReport, repoRoot } from './report-schema.js';
import { bin } from './cli-helpers.js';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function unshareWorks(): string | undefined {
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs tmpfs /run && mkdir -p /run/x && test -d /var/run/x'], { encoding: 'utf8' });
  if (r.error) return `unshare is not available (${r.error.message})`;
  if (r.status !== 0) return `cannot make a private mount namespace with a tmpfs on /run: ${(r.stderr || '').trim()}`;
  return undefined;
}

function inCluster(env: Record<string, string>, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // copy the files into the fixed path inside the namespace, then exec the doctor there
  const script = `mount -t tmpfs tmpfs /run && mkdir -p ${SA_DIR} && cp "$SA_SRC"/* ${SA_DIR}/ && exec "$NODE" "$BIN" "$@"`;
  return new Promise((resolve) => {
    execFile('unshare', ['-rm', 'sh', '-c', script, 'sh', ...args], { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as unknown as { code: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('in-cluster service account (no kubeconfig)', () => {
  const skip = unshareWorks();
  let sim: SimHandle;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    if (skip) return;
    sim = await startSim(await loadScenario('healthy-helm'));
    dir = await mkdtemp(path.join(tmpdir(), 'aid-incluster-'));
    const { rules } = grantsOf(await manifests(RBAC_DIR));
    const kc = parseYaml(await readFile(await sim.addUser(SA_USER, rules), 'utf8')) as { users: { user: { token: string } }[]; clusters: { cluster: { 'certificate-authority-data': string } }[] };
    const src = path.join(dir, 'sa');
    await import('node:fs/promises').then((fs) => fs.mkdir(src));
    await writeFile(path.join(src, 'token'), kc.users[0]!.user.token);
    await writeFile(path.join(src, 'ca.crt'), Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64'));
    await writeFile(path.join(src, 'namespace'), 'akash-ip-doctor');
    const home = path.join(dir, 'home'); // no ~/.kube/config
    await import('node:fs/promises').then((fs) => fs.mkdir(home));
    const port = new URL(sim.server).port;
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NODE: process.execPath, BIN: bin, SA_SRC: src, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port, NO_COLOR: '' };
  });
  after(async () => {
    if (skip) return;
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('check finds the service account by itself and reports as it', { skip }, async () => {
    const r = await inCluster(env, ['check', '-o', 'json', '--timeout', '30s', '--provider-url', sim.providerUrl]);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(0, 2000));
    const doc = JSON.parse(r.stdout);
    assertValidReport(doc, 'in-cluster report');
    assert.equal(doc.cluster.context, 'inClusterContext');
    assert.equal(doc.cluster.server, sim.server);
    assert.equal(doc.summary.healthy, true, JSON.stringify(doc.checks.filter((c: { status: string }) => c.status !== 'pass')));
    assert.equal(doc.checks.find((c: { id: string }) => c.id === 'cluster.permissions').status, 'pass');
    // every API request carried the service account's token (read from the file) and the CA verified the server
    const mine = sim.requests.filter((q) => q.user === SA_USER);
    assert.ok(mine.length > 10, `requests as ${SA_USER}: ${mine.length}`);
    assert.equal(sim.requests.filter((q) => q.user === '' && q.path !== '/version').length, 0, 'no unauthenticated request');
    assert.deepEqual(mine.filter((q) => q.status === 403).map((q) => q.path), []);
  });

  test('service account files not mounted (automountServiceAccountToken: false): exit 2, one line naming the missing file', { skip }, async () => {
    const empty = path.join(dir, 'empty');
    await import('node:fs/promises').then((fs) => fs.mkdir(empty, { recursive: true }));
    await writeFile(path.join(empty, 'unrelated'), '');
    const r = await inCluster({ ...env, SA_SRC: empty }, ['check', '-o', 'json', '--timeout', '30s']);
    // a missing CA or token file is a local configuration problem, not a cluster finding
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /\/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/(ca\.crt|token)/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});
