// test-runner: serial (changes process-wide state: see scripts/run-tests.mjs)
/**
 * The one transport to the API server, against hand-made endpoints on 127.0.0.1:
 * servers that are not Kubernetes, a CONNECT and a SOCKS5 proxy, exec plugins that
 * count, fail, hang and print garbage, configuration mistakes, a plain-HTTP port, a
 * server demanding a client certificate, and bodies cut off mid-stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { withSim, result } from './helpers.js';
import { runDoctor as runDoctorUnchecked, type DoctorOptions } from '../src/core/engine.js';
import { assertValidReportObject } from './report-schema.js';
import { registry } from '../src/checks/index.js';
import { ConfigError, KubeClient, loadKubeConfig } from '../src/cluster/client.js';
import { Snapshot } from '../src/cluster/snapshot.js';
import { ClusterError } from '../src/cluster/errors.js';
import { noProxyMatches, chooseProxy } from '../src/cluster/transport.js';
import { generateCerts } from '../src/sim/certs.js';
import type { Report } from '../src/core/types.js';

/** The doctor, and the report it gives in every fault case still matches schema/report.schema.json. */
async function runDoctor(opts: DoctorOptions) {
  const run = await runDoctorUnchecked(opts);
  assertValidReportObject(run.report, 'report');
  return run;
}

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'aid-transport-'));
}

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown> = { token: 't0ken' }, extra: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c1', cluster }],
    users: [{ name: 'u1', user }],
    contexts: [{ name: 'ctx1', context: { cluster: 'c1', user: 'u1' } }],
    'current-context': 'ctx1',
    ...extra,
  });
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

async function close(server: net.Server): Promise<void> {
  (server as http.Server).closeAllConnections?.();
  await new Promise<void>((r) => server.close(() => r()));
}

// ---- 1. an endpoint that is not a Kubernetes API server -----------------------

const NOT_KUBERNETES: Record<string, http.RequestListener> = {
  'an nginx page': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>\u001b[31mWelcome</body></html>');
  },
  'an SSO login redirect': (_req, res) => {
    res.writeHead(302, { location: 'https://sso.example.com/login?state=SECRETSTATE123&next=/version' });
    res.end();
  },
  '{} for every path': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  },
};

function assertOnlyNotKubernetes(report: Report): void {
  const api = result(report, 'cluster.api');
  assert.equal(api.status, 'fail', api.message);
  assert.equal((api.details as any).reason, 'not-kubernetes');
  assert.match(api.message, /this endpoint is not a Kubernetes API server/);
  for (const c of report.checks) if (c.id !== 'cluster.api') assert.equal(c.status, 'skip', `${c.id} should be skipped, is ${c.status}: ${c.message}`);
  assert.equal(report.diagnosis?.length, 1, JSON.stringify(report.diagnosis));
  assert.equal(report.diagnosis![0]!.rule, 'api-unreachable');
  assert.match(report.diagnosis![0]!.cause, /this endpoint is not a Kubernetes API server/);
  const text = JSON.stringify(report);
  assert.doesNotMatch(text, /delete/i, 'no delete command for a non-Kubernetes endpoint');
  assert.doesNotMatch(text, /SECRETSTATE/, 'a redirect target is printed without its query');
  assert.doesNotMatch(text, /\u001b/, 'escape sequences are stripped');
  assert.doesNotMatch(text, /vundefined/);
}

for (const [name, handler] of Object.entries(NOT_KUBERNETES)) {
  test(`cluster.api: ${name} is not a Kubernetes API server; every other check is skipped`, async () => {
    const dir = await tempDir();
    const server = http.createServer(handler);
    const port = await listen(server);
    try {
      const file = path.join(dir, 'config');
      await writeFile(file, kubeconfig({ server: `http://127.0.0.1:${port}` }));
      const { report } = await runDoctor({ kubeconfig: file, timeoutMs: 8_000, minBackoffMs: 10 });
      assertOnlyNotKubernetes(report);
      if (name.includes('redirect')) assert.match(result(report, 'cluster.api').message, /redirect \(HTTP 302\) to https:\/\/sso\.example\.com\/login/);
    } finally {
      await close(server);
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('cluster.api: {} over HTTPS (a verified certificate) is not a Kubernetes API server either', async () => {
  const dir = await tempDir();
  const certs = await generateCerts(dir);
  const server = https.createServer({ cert: certs.serverCert, key: certs.serverKey }, NOT_KUBERNETES['{} for every path']!);
  const port = await listen(server);
  try {
    const file = path.join(dir, 'config');
    await writeFile(file, kubeconfig({ server: `https://127.0.0.1:${port}`, 'certificate-authority-data': Buffer.from(certs.caCert).toString('base64') }));
    const { report } = await runDoctor({ kubeconfig: file, timeoutMs: 8_000, minBackoffMs: 10 });
    assertOnlyNotKubernetes(report);
    assert.match(result(report, 'cluster.api').message, /no Kubernetes gitVersion/);
  } finally {
    await close(server);
    await rm(dir, { recursive: true, force: true });
  }
});

test('every check depends on cluster.api, directly or through other checks', () => {
  const byId = new Map(registry.map((c) => [c.id, c]));
  const reaches = (id: string, seen = new Set<string>()): boolean => {
    if (id === 'cluster.api') return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return (byId.get(id)?.dependsOn ?? []).some((d) => reaches(d, seen));
  };
  for (const c of registry) if (c.id !== 'cluster.api') assert.ok(reaches(c.id), `${c.id} does not depend on cluster.api`);
});

// ---- 2. every request through the kubeconfig's proxy ----------------------------

/** A CONNECT proxy that maps the unresolvable host kube.invalid to 127.0.0.1 and counts tunnels. */
async function connectProxy(): Promise<{ port: number; tunnels: string[]; server: http.Server }> {
  const tunnels: string[] = [];
  const server = http.createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host === 'kube.invalid' ? '127.0.0.1' : host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  return { port: await listen(server), tunnels, server };
}

/** A minimal SOCKS5 proxy (no authentication, CONNECT only) with the same mapping. */
async function socksProxy(): Promise<{ port: number; tunnels: string[]; server: net.Server }> {
  const tunnels: string[] = [];
  const server = net.createServer((client) => {
    client.once('data', (greeting) => {
      if (greeting[0] !== 5) return client.destroy();
      client.write(Buffer.from([5, 0]));
      client.once('data', (req) => {
        let host: string;
        let off: number;
        if (req[3] === 3) {
          host = req.subarray(5, 5 + req[4]!).toString();
          off = 5 + req[4]!;
        } else {
          host = [...req.subarray(4, 8)].join('.');
          off = 8;
        }
        const port = req.readUInt16BE(off);
        tunnels.push(`${host}:${port}`);
        const upstream = net.connect(port, host === 'kube.invalid' ? '127.0.0.1' : host, () => {
          client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
          upstream.pipe(client);
          client.pipe(upstream);
        });
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      });
    });
  });
  return { port: await listen(server), tunnels, server };
}

/** The sim's kubeconfig with the server at kube.invalid (only a proxy can reach it) and tls-server-name localhost. */
async function proxiedKubeconfig(simPath: string, dir: string, proxyUrl?: string): Promise<string> {
  const kc = parse(await readFile(simPath, 'utf8'));
  const c = kc.clusters[0].cluster;
  c.server = c.server.replace('127.0.0.1', 'kube.invalid');
  c['tls-server-name'] = 'localhost';
  if (proxyUrl) c['proxy-url'] = proxyUrl;
  const file = path.join(dir, 'config');
  await writeFile(file, stringify(kc));
  return file;
}

function assertHealthyThroughProxy(report: Report, requestCount: number, simRequests: number, tunnels: string[]): void {
  assert.equal(report.summary.fail + report.summary.error, 0, JSON.stringify(report.checks.filter((c) => c.status === 'fail' || c.status === 'error').map((c) => [c.id, c.message])));
  assert.equal(result(report, 'metallb.metrics').status, 'pass', 'the service-proxy read went through the proxy');
  assert.ok(tunnels.length >= 1 && tunnels.every((t) => t.startsWith('kube.invalid:')), JSON.stringify(tunnels));
  // kube.invalid resolves nowhere: every request the sim saw came through the proxy
  assert.equal(simRequests, requestCount);
}

test('a whole run through the kubeconfig proxy-url (HTTP CONNECT): every API request goes through it', async () => {
  const dir = await tempDir();
  const proxy = await connectProxy();
  try {
    await withSim('healthy-helm', async (sim) => {
      const file = await proxiedKubeconfig(sim.kubeconfigPath, dir, `http://127.0.0.1:${proxy.port}`);
      const run = await runDoctor({ kubeconfig: file, providerUrl: sim.providerUrl, timeoutMs: 10_000, minBackoffMs: 10 });
      assertHealthyThroughProxy(run.report, run.requestCount, sim.requests.length, proxy.tunnels);
      assert.ok(run.tlsHandshakes >= 1 && run.tlsHandshakes === proxy.tunnels.length, `${run.tlsHandshakes} handshakes, ${proxy.tunnels.length} tunnels`);
    });
  } finally {
    await close(proxy.server);
    await rm(dir, { recursive: true, force: true });
  }
});

test('HTTPS_PROXY is used when the kubeconfig names no proxy; NO_PROXY exempts the server', async () => {
  const dir = await tempDir();
  const proxy = await connectProxy();
  const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };
  try {
    await withSim('healthy-helm', async (sim) => {
      const file = await proxiedKubeconfig(sim.kubeconfigPath, dir);
      process.env.HTTPS_PROXY = `127.0.0.1:${proxy.port}`;
      delete process.env.NO_PROXY;
      const run = await runDoctor({ kubeconfig: file, providerUrl: sim.providerUrl, only: ['cluster.api'], timeoutMs: 10_000, minBackoffMs: 10 });
      assert.equal(result(run.report, 'cluster.api').status, 'pass', result(run.report, 'cluster.api').message);
      assert.ok(proxy.tunnels.length >= 1);
      process.env.NO_PROXY = 'example.com,.invalid';
      const direct = await runDoctor({ kubeconfig: file, only: ['cluster.api'], timeoutMs: 10_000, minBackoffMs: 10, retries: 1 });
      assert.equal(result(direct.report, 'cluster.api').status, 'fail', 'kube.invalid cannot be resolved without the proxy');
    });
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
    await close(proxy.server);
    await rm(dir, { recursive: true, force: true });
  }
});

test('a whole run through a socks5 proxy-url', async () => {
  const dir = await tempDir();
  const proxy = await socksProxy();
  try {
    await withSim('healthy-helm', async (sim) => {
      const file = await proxiedKubeconfig(sim.kubeconfigPath, dir, `socks5://127.0.0.1:${proxy.port}`);
      const run = await runDoctor({ kubeconfig: file, providerUrl: sim.providerUrl, timeoutMs: 10_000, minBackoffMs: 10 });
      assertHealthyThroughProxy(run.report, run.requestCount, sim.requests.length, proxy.tunnels);
    });
  } finally {
    await close(proxy.server);
    await rm(dir, { recursive: true, force: true });
  }
});

test('proxy choice follows Go: loopback never through the environment, NO_PROXY forms', () => {
  const env = { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: '10.0.0.0/8,.corp.example,api.example.org:6443' };
  assert.equal(chooseProxy(new URL('https://127.0.0.1:6443'), undefined, 'c', env), undefined);
  assert.equal(chooseProxy(new URL('https://localhost:6443'), undefined, 'c', env), undefined);
  assert.equal(chooseProxy(new URL('https://10.1.2.3:6443'), undefined, 'c', env), undefined);
  assert.equal(chooseProxy(new URL('https://k8s.corp.example:6443'), undefined, 'c', env), undefined);
  assert.equal(chooseProxy(new URL('https://api.example.org:6443'), undefined, 'c', env), undefined);
  assert.equal(chooseProxy(new URL('https://api.example.org:443'), undefined, 'c', env)?.url.host, 'proxy:3128');
  assert.equal(chooseProxy(new URL('https://127.0.0.1:6443'), 'socks5://p:1080', 'c', env)?.url.protocol, 'socks5:');
  assert.throws(() => chooseProxy(new URL('https://a:1'), 'ftp://p', 'c', {}), (e: unknown) => e instanceof ConfigError && /cluster "c": proxy-url scheme "ftp"/.test(e.message));
  assert.ok(noProxyMatches('*', 'anything', '1'));
  assert.ok(!noProxyMatches('', 'anything', '1'));
});

// ---- 3 and 4. configuration errors and exec plugins ----------------------------

/** A node script as an exec plugin; it appends a line to `counter` on every run. */
async function plugin(dir: string, name: string, body: string): Promise<{ command: string; args: string[] }> {
  const file = path.join(dir, `${name}.mjs`);
  await writeFile(file, `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(path.join(dir, `${name}.count`))}, 'x\\n');\n${body}\n`);
  return { command: process.execPath, args: [file] };
}

async function runs(dir: string, name: string): Promise<number> {
  try {
    return (await readFile(path.join(dir, `${name}.count`), 'utf8')).split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

async function expectConfigError(file: string, pattern: RegExp, opts: { requestTimeoutMs?: number } = {}): Promise<string> {
  let message = '';
  await assert.rejects(
    runDoctor({ kubeconfig: file, timeoutMs: 8_000, minBackoffMs: 10, ...opts }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
      message = e.message;
      assert.match(e.message, pattern);
      assert.doesNotMatch(e.message, /\n|\u001b/, 'one sanitised line');
      return true;
    },
  );
  return message;
}

test('an exec plugin without expirationTimestamp runs once per run, not once per request', async () => {
  const dir = await tempDir();
  try {
    await withSim('healthy-helm', async (sim) => {
      const kc = parse(await readFile(sim.kubeconfigPath, 'utf8'));
      const token = kc.users[0].user.token;
      const exec = await plugin(dir, 'good', `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: ${JSON.stringify(token)} } }));`);
      kc.users[0].user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: exec.command, args: exec.args, interactiveMode: 'Never' } };
      const file = path.join(dir, 'config');
      await writeFile(file, stringify(kc));
      const run = await runDoctor({ kubeconfig: file, providerUrl: sim.providerUrl, timeoutMs: 10_000, minBackoffMs: 10 });
      assert.equal(run.report.summary.fail + run.report.summary.error, 0, JSON.stringify(run.report.checks.filter((c) => c.status === 'error' || c.status === 'fail').map((c) => c.message)));
      assert.ok(run.requestCount > 20);
      assert.equal(await runs(dir, 'good'), 1, 'the plugin ran once for the whole run');
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('exec plugins that fail, are missing, hang or print garbage are configuration errors naming the user', async () => {
  const dir = await tempDir();
  const server = http.createServer((_req, res) => res.end('{}'));
  const port = await listen(server);
  try {
    const cases: [string, { command: string; args: string[] }, RegExp, number?][] = [
      ['fail', await plugin(dir, 'fail', `process.stderr.write('error: token for alice expired\\u001b[31m\\nsecond line\\n'); process.exit(3);`), /user "u1": exec plugin ".*" failed \(exit 3\): error: token for alice expired/],
      ['garbage', await plugin(dir, 'garbage', `process.stdout.write('<html>not a credential</html>');`), /user "u1": exec plugin .* printed no valid ExecCredential: not JSON/],
      ['no-token', await plugin(dir, 'notoken', `process.stdout.write(JSON.stringify({ kind: 'ExecCredential', status: {} }));`), /neither a token nor a client certificate/],
      ['hang', await plugin(dir, 'hang', `setInterval(() => {}, 1000);`), /user "u1": exec plugin .* did not finish within 1\.5s and was stopped/, 1_500],
      ['missing', { command: path.join(dir, 'no-such-plugin'), args: [] }, /user "u1": exec plugin ".*no-such-plugin" not found/],
    ];
    for (const [name, exec, pattern, requestTimeoutMs] of cases) {
      const file = path.join(dir, `config-${name}`);
      await writeFile(file, kubeconfig({ server: `http://127.0.0.1:${port}` }, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: exec.command, args: exec.args } }));
      await expectConfigError(file, pattern, requestTimeoutMs ? { requestTimeoutMs } : {});
    }
    assert.equal(await runs(dir, 'fail'), 1, 'a failing plugin is not retried per request');
  } finally {
    await close(server);
    await rm(dir, { recursive: true, force: true });
  }
});

test('missing files, a server that is not a URL, a missing user are configuration errors naming the entry', async () => {
  const dir = await tempDir();
  try {
    const cases: [string, string, RegExp][] = [
      ['ca', kubeconfig({ server: 'https://127.0.0.1:1', 'certificate-authority': 'nope/ca.crt' }), /cluster "c1": certificate-authority file .*nope\/ca\.crt cannot be read \(ENOENT\)/],
      ['key', kubeconfig({ server: 'https://127.0.0.1:1' }, { 'client-certificate': 'client.crt', 'client-key': 'client.key' }), /user "u1": client-certificate file .*client\.crt cannot be read/],
      ['badca', kubeconfig({ server: 'https://127.0.0.1:1', 'certificate-authority-data': Buffer.from('not a pem').toString('base64') }), /cluster "c1": certificate-authority/],
      ['url', kubeconfig({ server: '127.0.0.1:6443' }), /cluster "c1": server "127\.0\.0\.1:6443" is not an https:\/\/ URL/],
      ['nouser', stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c1', cluster: { server: 'https://127.0.0.1:1' } }], users: [], contexts: [{ name: 'ctx1', context: { cluster: 'c1', user: 'ghost' } }], 'current-context': 'ctx1' }), /context "ctx1" refers to user "ghost", which is not in/],
    ];
    for (const [name, text, pattern] of cases) {
      const file = path.join(dir, `config-${name}`);
      await writeFile(file, text);
      await expectConfigError(file, pattern);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('https:// to a plain-HTTP port and a server demanding a client certificate get their own messages', async () => {
  const dir = await tempDir();
  const plain = http.createServer((_req, res) => res.end('{}'));
  const certs = await generateCerts(dir);
  const mtls = https.createServer({ cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert, requestCert: true, rejectUnauthorized: true }, (_req, res) => res.end('{}'));
  const plainPort = await listen(plain);
  const mtlsPort = await listen(mtls);
  try {
    const ca = Buffer.from(certs.caCert).toString('base64');
    const f1 = path.join(dir, 'plain');
    await writeFile(f1, kubeconfig({ server: `https://127.0.0.1:${plainPort}`, 'certificate-authority-data': ca }));
    const r1 = await runDoctor({ kubeconfig: f1, only: ['cluster.api'], timeoutMs: 8_000, minBackoffMs: 10 });
    const a1 = result(r1.report, 'cluster.api');
    assert.equal((a1.details as any).reason, 'plain-http', a1.message);
    assert.doesNotMatch(a1.message, /certificate authority/);
    const f2 = path.join(dir, 'mtls');
    await writeFile(f2, kubeconfig({ server: `https://127.0.0.1:${mtlsPort}`, 'certificate-authority-data': ca }));
    const r2 = await runDoctor({ kubeconfig: f2, only: ['cluster.api'], timeoutMs: 8_000, minBackoffMs: 10 });
    const a2 = result(r2.report, 'cluster.api');
    assert.equal((a2.details as any).reason, 'client-cert-required', a2.message);
    assert.doesNotMatch(a2.message, /certificate authority/);
  } finally {
    await close(plain);
    await close(mtls);
    await rm(dir, { recursive: true, force: true });
  }
});

// ---- 5. bodies cut off mid-stream -----------------------------------------------

/**
 * A raw TCP server speaking just enough HTTP/1.1: /version and /api answer properly;
 * every other path gets its headers (Content-Length 4096) and half a body, then the
 * socket is destroyed (or reset, for paths containing "reset").
 */
async function cuttingServer(): Promise<{ port: number; server: net.Server }> {
  const server = net.createServer((socket) => {
    let buf = '';
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, i);
        buf = buf.slice(i + 4);
        const p = head.split(' ')[1] ?? '/';
        if (p === '/version' || p === '/api') {
          const body = p === '/version' ? JSON.stringify({ major: '1', minor: '30', gitVersion: 'v1.30.0' }) : JSON.stringify({ kind: 'APIVersions', versions: ['v1'] });
          socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
          continue;
        }
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: ${p.includes('/log') ? 'text/plain' : 'application/json'}\r\ncontent-length: 4096\r\n\r\n` + (p.includes('/log') ? 'line one\nline two\n' : '{"kind":"List","items":['));
        setTimeout(() => (p.includes('reset') ? socket.resetAndDestroy() : socket.destroy()), 20);
        return;
      }
    });
  });
  return { port: await listen(server), server };
}

test('a body cut off mid-stream is reported at once as truncated or reset (reads, proxy GETs, logs)', async () => {
  const dir = await tempDir();
  const { port, server } = await cuttingServer();
  try {
    const file = path.join(dir, 'config');
    await writeFile(file, kubeconfig({ server: `http://127.0.0.1:${port}` }));
    // a long request timeout: waiting it out would fail the runner's per-test timeout
    const client = new KubeClient(loadKubeConfig({ kubeconfig: file }), { requestTimeoutMs: 120_000, retries: 2, minBackoffMs: 10 });
    const snap = new Snapshot(client);
    try {
      assert.equal((await snap.version()).gitVersion, 'v1.30.0');
      const kindOf = async (p: Promise<unknown>) => {
        try {
          await p;
          return 'ok';
        } catch (e) {
          assert.ok(e instanceof ClusterError, String(e));
          return e.kind;
        }
      };
      assert.equal(await kindOf(snap.listPods('akash-services', { labelSelector: 'app=x' })), 'truncated');
      assert.equal(await kindOf(snap.proxyGet('metallb-system', 'controller', 'monitoring', 'metrics')), 'truncated');
      assert.equal(await kindOf(snap.scanLog('k', 'akash-services', 'pod-1', {}, () => ({ line() {}, result: () => 0 }))), 'truncated');
      assert.equal(await kindOf(snap.getConfigMap('reset', 'reset')), 'connection-reset');
      const truncated = await kindOf(snap.getDeployment('ns', 'd'));
      assert.equal(truncated, 'truncated');
      assert.ok(client.requestCount >= 2);
    } finally {
      await snap.close();
    }
  } finally {
    await close(server);
    await rm(dir, { recursive: true, force: true });
  }
});

// ---- one pool, few handshakes ----------------------------------------------------

test('one pool per run: an HTTP/2 API server gets one connection and one TLS handshake for many concurrent requests', async () => {
  const dir = await tempDir();
  const certs = await generateCerts(dir);
  const { createSecureServer } = await import('node:http2');
  let sessions = 0;
  const server = createSecureServer({ cert: certs.serverCert, key: certs.serverKey, allowHTTP1: true }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/version') return res.end(JSON.stringify({ major: '1', minor: '30', gitVersion: 'v1.30.0' }));
    if (req.url === '/api') return res.end(JSON.stringify({ kind: 'APIVersions', versions: ['v1'] }));
    res.end(JSON.stringify({ kind: 'ConfigMapList', metadata: {}, items: [{ metadata: { name: String(req.url) } }] }));
  });
  server.on('session', () => sessions++);
  const port = await listen(server as unknown as net.Server);
  try {
    const file = path.join(dir, 'config');
    await writeFile(file, kubeconfig({ server: `https://127.0.0.1:${port}`, 'certificate-authority-data': Buffer.from(certs.caCert).toString('base64') }));
    const client = new KubeClient(loadKubeConfig({ kubeconfig: file }), { requestTimeoutMs: 30_000 });
    const snap = new Snapshot(client);
    try {
      await snap.version();
      const lists = await Promise.all(Array.from({ length: 30 }, (_, i) => snap.listConfigMaps(`ns-${i}`)));
      assert.equal(lists.length, 30);
      assert.equal(client.requestCount, 32);
      assert.equal(client.counters.tlsHandshakes, 1);
      assert.equal(sessions, 1);
    } finally {
      await snap.close();
    }
  } finally {
    await close(server as unknown as net.Server);
    await rm(dir, { recursive: true, force: true });
  }
});

test('an HTTP/1.1 API server: connections are kept alive and reused (far fewer handshakes than requests)', async () => {
  await withSim('healthy-helm', async (sim) => {
    const run = await runDoctor({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, timeoutMs: 10_000, minBackoffMs: 10 });
    assert.equal(run.report.summary.healthy, true);
    assert.equal(sim.requests.length, run.requestCount);
    assert.ok(run.tlsHandshakes >= 1 && run.tlsHandshakes <= 11, `${run.tlsHandshakes} handshakes for ${run.requestCount} requests`);
  });
});

test('insecure-skip-tls-verify skips verification; without it and without the CA the TLS error is named', async () => {
  const dir = await tempDir();
  try {
    await withSim('healthy-helm', async (sim) => {
      const kc = parse(await readFile(sim.kubeconfigPath, 'utf8'));
      delete kc.clusters[0].cluster['certificate-authority-data'];
      const noCa = path.join(dir, 'no-ca');
      await writeFile(noCa, stringify(kc));
      const r1 = await runDoctor({ kubeconfig: noCa, only: ['cluster.api'], timeoutMs: 8_000, minBackoffMs: 10 });
      assert.equal((result(r1.report, 'cluster.api').details as any).reason, 'tls');
      kc.clusters[0].cluster['insecure-skip-tls-verify'] = true;
      const skip = path.join(dir, 'skip');
      await writeFile(skip, stringify(kc));
      const r2 = await runDoctor({ kubeconfig: skip, only: ['cluster.api'], timeoutMs: 8_000, minBackoffMs: 10 });
      assert.equal(result(r2.report, 'cluster.api').status, 'pass', result(r2.report, 'cluster.api').message);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('credentials on every request: basic auth, token-file, impersonation', async () => {
  const dir = await tempDir();
  const seen: { auth?: string; imp?: string }[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ auth: req.headers.authorization, imp: req.headers['impersonate-user'] as string | undefined });
    res.setHeader('content-type', 'application/json');
    if (req.url === '/version') return res.end(JSON.stringify({ major: '1', minor: '30', gitVersion: 'v1.30.0' }));
    if (req.url === '/api') return res.end(JSON.stringify({ kind: 'APIVersions', versions: ['v1'] }));
    res.statusCode = 404;
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', code: 404, reason: 'NotFound', message: 'not found' }));
  });
  const port = await listen(server);
  try {
    await writeFile(path.join(dir, 'token'), 'file-token');
    const users: [Record<string, unknown>, string, string?][] = [
      [{ username: 'alice', password: 's3cret' }, 'Basic ' + Buffer.from('alice:s3cret').toString('base64')],
      [{ 'token-file': path.join(dir, 'token') }, 'Bearer file-token'],
      [{ token: 'abc', as: 'bob' }, 'Bearer abc', 'bob'],
    ];
    for (const [user, auth, imp] of users) {
      seen.length = 0;
      const file = path.join(dir, 'config');
      await writeFile(file, kubeconfig({ server: `http://127.0.0.1:${port}` }, user));
      const { report } = await runDoctor({ kubeconfig: file, only: ['cluster.api'], timeoutMs: 8_000, minBackoffMs: 10 });
      assert.equal(result(report, 'cluster.api').status, 'pass', result(report, 'cluster.api').message);
      assert.ok(seen.length >= 2);
      for (const s of seen) {
        assert.equal(s.auth, auth);
        assert.equal(s.imp, imp);
      }
    }
  } finally {
    await close(server);
    await rm(dir, { recursive: true, force: true });
  }
});
