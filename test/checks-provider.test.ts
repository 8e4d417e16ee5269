// test-runner: concurrent (every test on its own simulator)
/**
 * Provider checks against the simulated cluster: Helm release and values, the
 * ip-lease attribute (Helm values and on chain), and the provider pod.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { runScenario, expectCheck, result, withSim, testBudgets, DEFAULT_TEST_BUDGET_MS } from './helpers.js';
import { BASE_VALUES, FROM, PROVIDER_CHECKS, RELEASE_V1, RELEASE_V2, SECRET_KEY, SECRET_PASS, find, helmSecret, variant } from './checks-provider-fixtures.js';

describe('healthy base', () => {
  test('every provider and IP-operator check passes (on-chain skipped without --chain-api)', async () => {
    const { report } = await runScenario('healthy-helm', { only: PROVIDER_CHECKS });
    for (const id of PROVIDER_CHECKS) {
      if (id === 'provider.onchain-attribute') continue;
      expectCheck(report, id, 'pass');
    }
    expectCheck(report, 'provider.helm-release', 'pass', /akash-services\/akash-provider/, /chart provider-11\.6\.0/, /app 0\.16\.1/, /revision 2 deployed/);
    expectCheck(report, 'provider.onchain-attribute', 'skip', /--chain-api https:\/\/api\.akashnet\.net:443/);
    const rel = result(report, 'provider.helm-release');
    assert.equal(rel.details?.revision, 2);
    assert.deepEqual(rel.details?.revisions, [{ revision: 2, status: 'deployed' }, { revision: 1, status: 'superseded' }]);
  });

  test('no secret of the Helm values appears anywhere in the JSON report', async () => {
    const { report } = await runScenario('healthy-helm');
    const json = JSON.stringify(report);
    for (const s of [SECRET_KEY, SECRET_PASS, Buffer.from(SECRET_KEY).toString('base64'), Buffer.from(SECRET_PASS).toString('base64')]) {
      assert.ok(!json.includes(s), `the report contains ${s}`);
    }
    const values = result(report, 'provider.helm-release').details?.values as Record<string, unknown>;
    assert.equal(values.key, '<redacted>');
    assert.equal(values.keysecret, '<redacted>');
    assert.equal(values.from, FROM, 'non-secret values stay as evidence');
    assert.ok(JSON.stringify(values.attributes).includes('"ip-lease"'), 'attribute names are not redacted');
  });
});

describe('provider.helm-release', () => {
  test('no release but a StatefulSet: warn (installed without Helm), the value checks skip', async () => {
    const { report } = await runScenario('p-helm-missing', { only: PROVIDER_CHECKS });
    expectCheck(report, 'provider.helm-release', 'warn', /no Helm release akash-provider in akash-services/, /installed another way/, /helm install akash-provider akash\/provider/);
    expectCheck(report, 'provider.helm-values', 'skip', /no Helm release/);
    expectCheck(report, 'provider.ip-lease-attribute', 'skip', /no Helm release/);
    expectCheck(report, 'ip-operator.provider-address', 'pass');
  });

  test('no release and no StatefulSet: fail, provider not installed', async () => {
    const state = await variant('p-helm-missing', { remove: ['StatefulSet/akash-services/akash-provider'] });
    const { report } = await runScenario(state, { only: ['provider.helm-release'] });
    expectCheck(report, 'provider.helm-release', 'fail', /not installed: no Helm release akash-provider and no StatefulSet akash-services\/akash-provider/);
  });

  test('a newer pending-upgrade revision: warn, values read from the deployed one', async () => {
    const state = await variant('healthy-helm', { put: [helmSecret(3, 'pending-upgrade', { ...BASE_VALUES, ipoperator: false })] });
    const { report } = await runScenario(state, { only: ['provider.helm-release', 'provider.helm-values'] });
    expectCheck(report, 'provider.helm-release', 'warn', /revision 2 is deployed/, /revision 3 is pending-upgrade/, /another operation is in progress/, /helm -n akash-services rollback akash-provider 2/);
    expectCheck(report, 'provider.helm-values', 'pass', /revision 2/);
  });

  test('only a failed revision: fail with the rollback hint', async () => {
    const state = await variant('healthy-helm', { remove: [RELEASE_V1, RELEASE_V2], put: [helmSecret(1, 'failed', BASE_VALUES)] });
    const { report } = await runScenario(state, { only: ['provider.helm-release'] });
    expectCheck(report, 'provider.helm-release', 'fail', /no deployed revision/, /revision 1, is failed/, /helm -n akash-services history akash-provider/);
  });

  test('an uncompressed payload and the ConfigMap storage driver are read too', async () => {
    const state = await variant('healthy-helm', { remove: [RELEASE_V1, RELEASE_V2], put: [helmSecret(4, 'deployed', BASE_VALUES, { gzip: false, chartVersion: '12.0.1' })] });
    const { report } = await runScenario(state, { only: ['provider.helm-release'] });
    expectCheck(report, 'provider.helm-release', 'pass', /provider-12\.0\.1/, /revision 4 deployed/);

    const secret = helmSecret(5, 'deployed', BASE_VALUES) as any;
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: secret.metadata, data: { release: Buffer.from(secret.data.release, 'base64').toString('latin1') } };
    const state2 = await variant('healthy-helm', { remove: [RELEASE_V1, RELEASE_V2], put: [cm] });
    const r2 = await runScenario(state2, { only: ['provider.helm-release', 'provider.helm-values'] });
    const f = expectCheck(r2.report, 'provider.helm-release', 'pass', /revision 5 deployed/);
    assert.equal(f.details?.storage, 'configmap');
    expectCheck(r2.report, 'provider.helm-values', 'pass');
  });

  test('an undecodable release Secret is an error naming the Secret', async () => {
    const bad = helmSecret(2, 'deployed', BASE_VALUES) as any;
    bad.data.release = Buffer.from(Buffer.from('garbage').toString('base64')).toString('base64');
    const state = await variant('healthy-helm', { put: [bad] });
    const { report } = await runScenario(state, { only: ['provider.helm-release'] });
    const r = expectCheck(report, 'provider.helm-release', 'error', /^cannot decode Helm release secret akash-services\/sh\.helm\.release\.v1\.akash-provider\.v2: release payload is not JSON/);
    assert.doesNotMatch(r.message, /unexpected error/);
  });
});

describe('provider.helm-values', () => {
  test('values without ipoperator: fail with the Helm fix, naming the hand-made flag the next upgrade undoes', async () => {
    const { report } = await runScenario('p-values-no-ipoperator', { only: ['provider.helm-values'] });
    const r = expectCheck(report, 'provider.helm-values', 'fail', /do not set ipoperator/, /chart default is false/, /next helm upgrade will undo/, /--set ipoperator=true/, /--version 11\.6\.0/);
    assert.equal(r.remedy?.commands.length, 2);
    assert.match(r.remedy!.commands[0]!, /^helm -n akash-services get values akash-provider -o yaml > provider\.yaml$/);
  });

  test('values ipoperator true but the running flag false: warn', async () => {
    const { report } = await runScenario('p-values-flag-mismatch', { only: ['provider.helm-values'] });
    expectCheck(report, 'provider.helm-values', 'warn', /set ipoperator: true but the running provider has AKASH_IP_OPERATOR=false/, /configmap akash-provider-main/, /changed outside Helm/);
  });

  test('values ipoperator false: fail with its own words', async () => {
    const state = await variant('p-values-flag-mismatch', { put: [helmSecret(2, 'deployed', { ...BASE_VALUES, ipoperator: false })] });
    const { report } = await runScenario(state, { only: ['provider.helm-values'] });
    const r = expectCheck(report, 'provider.helm-values', 'fail', /set ipoperator: false/);
    assert.doesNotMatch(r.message, /set by hand/, 'the running flag is false too: nothing was changed by hand');
  });

  test('string "true" counts as true', async () => {
    const { report } = await runScenario('p-attribute-feat-endpoint-ip', { only: ['provider.helm-values'] });
    expectCheck(report, 'provider.helm-values', 'pass', /ipoperator: true/);
  });
});

describe('provider.ip-lease-attribute', () => {
  test('attribute missing: fail listing what is advertised, with the --set fix at the next index', async () => {
    const { report } = await runScenario('p-attribute-missing', { only: ['provider.ip-lease-attribute'] });
    const r = expectCheck(report, 'provider.ip-lease-attribute', 'fail', /do not advertise ip-lease/, /region, host, tier, organization/);
    assert.match(r.remedy!.commands[1]!, /--set 'attributes\[4\]\.key=ip-lease' --set 'attributes\[4\]\.value=true'/);
  });

  test('feat-endpoint-ip (Akash Console) as the string "true" is accepted', async () => {
    const { report } = await runScenario('p-attribute-feat-endpoint-ip', { only: ['provider.ip-lease-attribute'] });
    expectCheck(report, 'provider.ip-lease-attribute', 'pass', /feat-endpoint-ip=true/, /Akash Console/);
  });

  test('attribute present but false: fail naming its value and index', async () => {
    const attrs = BASE_VALUES.attributes.map((a) => (a.key === 'ip-lease' ? { key: 'ip-lease', value: false } : a));
    const state = await variant('healthy-helm', { put: [helmSecret(2, 'deployed', { ...BASE_VALUES, attributes: attrs })] });
    const { report } = await runScenario(state, { only: ['provider.ip-lease-attribute'] });
    const r = expectCheck(report, 'provider.ip-lease-attribute', 'fail', /attribute ip-lease set to "false", not true/);
    assert.match(r.remedy!.commands[1]!, /--set 'attributes\[4\]\.value=true'/);
  });

  test('no attributes at all: fail with its own words', async () => {
    const { attributes: _drop, ...noAttrs } = BASE_VALUES;
    const state = await variant('healthy-helm', { put: [helmSecret(2, 'deployed', noAttrs)] });
    const { report } = await runScenario(state, { only: ['provider.ip-lease-attribute'] });
    const r = expectCheck(report, 'provider.ip-lease-attribute', 'fail', /no attributes at all/);
    assert.match(r.remedy!.commands[1]!, /attributes\[0\]\.key=ip-lease/);
  });
});

describe('provider.onchain-attribute', () => {
  async function withChain(routes: Record<string, { status: number; body: unknown }>, fn: (url: string, hits: string[]) => Promise<void>): Promise<void> {
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(req.url ?? '');
      const r = routes[req.url ?? ''] ?? { status: 404, body: { code: 5, message: 'not found' } };
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await fn(`http://127.0.0.1:${(server.address() as { port: number }).port}`, hits);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }
  const body = (attributes: { key: string; value: string }[]) => ({ provider: { owner: FROM, host_uri: 'https://provider.example.com:8443', attributes } });

  test('v1beta4 404 falls back to v1beta3 and finds ip-lease', async () => {
    await withChain({ [`/akash/provider/v1beta3/providers/${FROM}`]: { status: 200, body: body([{ key: 'region', value: 'eu-west' }, { key: 'ip-lease', value: 'true' }]) } }, async (url, hits) => {
      const { report } = await runScenario('healthy-helm', { only: ['provider.onchain-attribute'], chainApi: url });
      expectCheck(report, 'provider.onchain-attribute', 'pass', /on chain \(v1beta3\)/, new RegExp(FROM), /ip-lease=true/);
      assert.deepEqual(hits, [`/akash/provider/v1beta4/providers/${FROM}`, `/akash/provider/v1beta3/providers/${FROM}`]);
    });
  });

  test('attribute absent on chain: fail with the restart that republishes it', async () => {
    await withChain({ [`/akash/provider/v1beta4/providers/${FROM}`]: { status: 200, body: body([{ key: 'region', value: 'eu-west' }, { key: 'tier', value: 'community' }]) } }, async (url) => {
      const { report } = await runScenario('healthy-helm', { only: ['provider.onchain-attribute'], chainApi: url });
      const r = expectCheck(report, 'provider.onchain-attribute', 'fail', /on chain \(v1beta4\)/, /does not advertise ip-lease \(attributes: region, tier\)/);
      assert.deepEqual(r.remedy?.commands, ['kubectl -n akash-services rollout restart statefulset akash-provider']);
    });
  });

  test('attribute false on chain, provider unknown on chain, chain API broken: three distinct findings', async () => {
    await withChain({ [`/akash/provider/v1beta4/providers/${FROM}`]: { status: 200, body: body([{ key: 'ip-lease', value: 'false' }]) } }, async (url) => {
      const { report } = await runScenario('healthy-helm', { only: ['provider.onchain-attribute'], chainApi: url });
      expectCheck(report, 'provider.onchain-attribute', 'fail', /ip-lease="false", not true/);
    });
    await withChain({}, async (url) => {
      const { report } = await runScenario('healthy-helm', { only: ['provider.onchain-attribute'], chainApi: url });
      expectCheck(report, 'provider.onchain-attribute', 'fail', /not registered on chain/, /v1beta4 and v1beta3/);
    });
    await withChain({ [`/akash/provider/v1beta4/providers/${FROM}`]: { status: 503, body: { message: 'node catching up' } } }, async (url) => {
      const { report } = await runScenario('healthy-helm', { only: ['provider.onchain-attribute'], chainApi: url });
      expectCheck(report, 'provider.onchain-attribute', 'error', /could not be read: HTTP 503: node catching up/);
    });
  });

  test('AKASH_FROM holding a key name falls back to the Helm values address', async () => {
    const state = await variant('healthy-helm', {
      edit: (objects) => {
        find(objects, 'ConfigMap/akash-services/akash-provider-main').data.AKASH_FROM = 'provider';
      },
    });
    await withChain({ [`/akash/provider/v1beta4/providers/${FROM}`]: { status: 200, body: body([{ key: 'ip-lease', value: 'true' }]) } }, async (url) => {
      const { report } = await runScenario(state, { only: ['provider.onchain-attribute'], chainApi: url });
      const r = expectCheck(report, 'provider.onchain-attribute', 'pass');
      assert.equal(r.details?.addressSource, 'Helm values from');
    });
  });
});

describe('provider.pod', () => {
  test('crash-looping provider: fail with restarts, last time and the liveness explanation', async () => {
    const { report } = await runScenario('p-provider-crashloop', { only: ['provider.pod'] });
    const r = expectCheck(report, 'provider.pod', 'fail', /akash-services\/akash-provider-0 is crash-looping \(CrashLoopBackOff\)/, /restarted 7 times/, /last at 2026-11-20T08:46:02/, /liveness probe curls \/status/);
    assert.equal(r.details?.restartCount, 7);
    assert.equal(r.details?.lastExitCode, 137);
  });

  test('restarted within the last hour but running now: warn', async () => {
    const finished = new Date(Date.now() - 10 * 60_000).toISOString();
    const state = await variant('healthy-helm', {
      edit: (objects) => {
        const cs = find(objects, 'Pod/akash-services/akash-provider-0').status.containerStatuses[0];
        cs.restartCount = 3;
        cs.lastState = { terminated: { reason: 'Error', exitCode: 137, finishedAt: finished } };
      },
    });
    const { report } = await runScenario(state, { only: ['provider.pod'] });
    expectCheck(report, 'provider.pod', 'warn', /restarted 3 times; last at/, new RegExp(finished.slice(0, 16)), /an operator the provider waits for at start \(hostname operator, IP operator\) makes it restart because its liveness probe curls \/status/);
  });

  test('restarts older than an hour: pass, but counted', async () => {
    const state = await variant('healthy-helm', {
      edit: (objects) => {
        const cs = find(objects, 'Pod/akash-services/akash-provider-0').status.containerStatuses[0];
        cs.restartCount = 2;
        cs.lastState = { terminated: { reason: 'Error', exitCode: 1, finishedAt: new Date(Date.now() - 3 * 3600_000).toISOString() } };
      },
    });
    const { report } = await runScenario(state, { only: ['provider.pod'] });
    expectCheck(report, 'provider.pod', 'pass', /2 restarts, none in the last hour/);
  });

  test('no pod, scaled to zero, pending: distinct messages', async () => {
    const noPod = await variant('healthy-helm', { remove: ['Pod/akash-services/akash-provider-0'], edit: (o) => void (find(o, 'StatefulSet/akash-services/akash-provider').spec.replicas = 1) });
    const r1 = await runScenario(noPod, { only: ['provider.pod'] });
    expectCheck(r1.report, 'provider.pod', 'fail', /StatefulSet akash-services\/akash-provider has no pod \(selector app=akash-provider,app\.kubernetes\.io\/name=provider/, /kubectl -n akash-services describe statefulset akash-provider/);

    const scaled = await variant('healthy-helm', { remove: ['Pod/akash-services/akash-provider-0'], edit: (o) => void (find(o, 'StatefulSet/akash-services/akash-provider').spec.replicas = 0) });
    const r2 = await runScenario(scaled, { only: ['provider.pod'] });
    expectCheck(r2.report, 'provider.pod', 'fail', /scaled to 0 replicas/, /--replicas=1/);

    const pending = await variant('healthy-helm', {
      edit: (o) => {
        const p = find(o, 'Pod/akash-services/akash-provider-0');
        p.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }], containerStatuses: [{ name: 'provider', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] };
      },
    });
    const r3 = await runScenario(pending, { only: ['provider.pod'] });
    expectCheck(r3.report, 'provider.pod', 'fail', /not running: phase Pending, container waiting \(ContainerCreating\)/);
  });

  test('pod Ready=False fails even when the provider container itself says ready (a sidecar, a readiness gate)', async () => {
    const state = await variant('healthy-helm', {
      edit: (objects) => {
        const p = find(objects, 'Pod/akash-services/akash-provider-0');
        p.status.conditions = [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }];
        p.status.containerStatuses[0].ready = true;
      },
    });
    const { report } = await runScenario(state, { only: ['provider.pod'] });
    const r = expectCheck(report, 'provider.pod', 'fail', /running but not ready/);
    assert.equal(r.details?.ready, false);
  });

  test('no StatefulSet: fail', async () => {
    const state = await variant('healthy-helm', { remove: ['StatefulSet/akash-services/akash-provider', 'Pod/akash-services/akash-provider-0'] });
    const { report } = await runScenario(state, { only: ['provider.pod'] });
    expectCheck(report, 'provider.pod', 'fail', /StatefulSet akash-services\/akash-provider not found/);
  });
});

// ---- the provider's start-up wait: hostname operator, IP operator, one-shot discovery ----

import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../src/sim/index.js';
import { runDoctor } from '../src/core/engine.js';
import { scanProviderLog } from '../src/checks/lib/provider-log.js';

function kubectl(kubeconfig: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return mkdtemp(join(tmpdir(), 'provider-kubectl-')).then(
    (home) =>
      new Promise((resolve, reject) => {
        const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      }),
  );
}

describe('provider start-up wait (scanProviderLog)', () => {
  const hostnameWait = 'E[2026-11-20|08:05:09.874] not yet ready                                cmp=waiter waitable="<*hostname.client 0xc000d8a3c0>" error="hostname operator is not yet alive"';
  test('names the waitable of the last "not yet ready", in both log formats', () => {
    assert.equal(scanProviderLog([hostnameWait]).waitingFor, 'hostname');
    assert.equal(scanProviderLog([hostnameWait]).lastError, 'hostname operator is not yet alive');
    const zl = ['8:05AM INF ready cmp=waiter waitable="<*hostname.client 0xc000d8a3c0>"', '8:05AM ERR not yet ready cmp=waiter err="ip operator is not yet alive" waitable="<*ip.client 0xc000d8a420>"'];
    const st = scanProviderLog(zl);
    assert.equal(st.waitingFor, 'ip');
    assert.deepEqual(st.ready, ['hostname']);
  });
  test('"ready" and "all waitables ready" end the wait; a discovery failure before them is stuck', () => {
    const ready = 'I[2026-11-20|08:05:09.874] ready                                        cmp=waiter waitable="<*hostname.client 0xc000d8a3c0>"';
    const all = 'I[2026-11-20|08:05:09.885] all waitables ready                          cmp=waiter';
    assert.equal(scanProviderLog([hostnameWait, ready]).waitingFor, null);
    assert.equal(scanProviderLog([hostnameWait, ready, all]).allReady, true);
    const dns = 'E[2026-11-20|08:05:09.901] dns discovery failed                         cmp=service-discovery-agent error="lookup _rest._TCP.operator-ip.akash-services.svc.cluster.local on 169.254.25.10:53: server misbehaving" portName=rest service-name=operator-ip namespace=akash-services';
    assert.equal(scanProviderLog([ready, dns]).discoveryFailed?.service, 'operator-ip');
    // the operator's own discovery of MetalLB (service-name=controller) is not the provider's
    assert.equal(scanProviderLog([dns.replace('service-name=operator-ip', 'service-name=controller')]).discoveryFailed, null);
    assert.equal(scanProviderLog([dns, all]).discoveryFailed, null);
    // invented lines are ignored
    assert.equal(scanProviderLog(['I[2026-11-20|08:05:10.000] ip operator is healthy                          module=provider-cluster-kube']).allReady, false);
  });
});

describe('provider.hostname-operator', () => {
  test('healthy: /health 200 through operator-hostname:rest, and the provider logged all waitables ready', async () => {
    const { report, sim } = await runScenario('healthy-helm', { only: ['provider.hostname-operator'], timeoutMs: DEFAULT_TEST_BUDGET_MS });
    const r = expectCheck(report, 'provider.hostname-operator', 'pass', /operator-hostname:rest\/health with 200/, /all waitables ready/);
    assert.equal(r.details?.reason, 'healthy');
    assert.ok(sim.requests.some((q) => q.path === '/api/v1/namespaces/akash-services/services/operator-hostname:rest/proxy/health'));
  });

  test('crash-looping operator: fails naming it, and that the provider is blocked on it; /status names the hostname operator', async () => {
    const { report } = await runScenario('f-status-hang-hostname', { timeoutMs: DEFAULT_TEST_BUDGET_MS });
    const h = expectCheck(report, 'provider.hostname-operator', 'fail', /no ready endpoints/, /CrashLoopBackOff/, /provider is blocked waiting for it/);
    assert.equal(h.details?.reason, 'no-endpoints');
    assert.deepEqual(h.remedy?.commands, ['kubectl -n akash-services delete pod -l app.kubernetes.io/name=hostname']);
    const s = expectCheck(report, 'provider.status-endpoint', 'fail', /waiting for the hostname operator/);
    assert.equal(s.details?.reason, 'waiting-for-hostname-operator');
    assert.doesNotMatch(s.hint ?? '', /app\.kubernetes\.io\/name=ip/);
    assert.deepEqual(report.diagnosis?.map((d) => d.rule), ['hostname-operator']);
  });

  test('not installed at all: fails with the chart to install', async () => {
    const state = await loadScenario('healthy-helm');
    state.objects = state.objects.filter((o) => !(o.metadata.namespace === 'akash-services' && /^operator-hostname/.test(o.metadata.name)));
    const { report } = await runScenario(state, { only: ['provider.hostname-operator'], timeoutMs: DEFAULT_TEST_BUDGET_MS });
    const r = expectCheck(report, 'provider.hostname-operator', 'fail', /Service akash-services\/operator-hostname not found: the hostname operator is not installed/);
    assert.equal(r.details?.reason, 'not-installed');
    assert.match(r.remedy!.commands[0]!, /helm upgrade --install akash-hostname-operator akash\/akash-hostname-operator -n akash-services/);
  });

  test('an answer other than 200 is "not yet alive" to the provider', async () => {
    const state = await loadScenario('healthy-helm');
    state.behaviour.proxy['akash-services/operator-hostname:rest/health'] = { status: 500, body: 'boom' };
    const { report } = await runScenario(state, { only: ['provider.hostname-operator'], timeoutMs: DEFAULT_TEST_BUDGET_MS });
    const r = expectCheck(report, 'provider.hostname-operator', 'fail', /HTTP 500/, /not yet alive/);
    assert.equal(r.details?.reason, 'unhealthy');
  });
});

describe('provider.status-endpoint: what a hanging /status waits for', () => {
  test('IP operator barrier locked: the provider waits for the IP operator', async () => {
    const { report } = await runScenario('p-health-503', { only: ['provider.status-endpoint'], timeoutMs: DEFAULT_TEST_BUDGET_MS });
    const s = expectCheck(report, 'provider.status-endpoint', 'fail', /waiting for the IP operator/, /ip operator is not yet alive/);
    assert.equal(s.details?.reason, 'waiting-for-ip-operator');
  });

  test('no waiter lines: no operator is blamed', async () => {
    const { report } = await runScenario('f-status-hang', { only: ['provider.status-endpoint'], timeoutMs: DEFAULT_TEST_BUDGET_MS });
    const s = expectCheck(report, 'provider.status-endpoint', 'fail', /hostname operator, then the IP operator/);
    assert.equal(s.details?.reason, 'hang');
    assert.equal(s.remedy, undefined);
  });

  test('one-shot discovery failed: only a provider restart heals it, and the remedy does exactly that', async () => {
    await withSim('f-status-discovery-stuck', async (sim) => {
      const opts = { kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, timeoutMs: DEFAULT_TEST_BUDGET_MS, minBackoffMs: 10 };
      // /status hangs here: the short budget of a hanging /status
      const before = await runDoctor({ ...opts, ...testBudgets(sim) });
      const s = expectCheck(before.report, 'provider.status-endpoint', 'fail', /one-shot service discovery of IP operator Service akash-services\/operator-ip failed/, /never retried/);
      assert.equal(s.details?.reason, 'discovery-stuck');
      assert.equal(s.remedy?.fixId, 'provider.restart-pod');
      assert.deepEqual(s.remedy?.commands, ['kubectl -n akash-services delete pod akash-provider-0']);
      expectCheck(before.report, 'ip-operator.health', 'pass');
      assert.deepEqual(before.report.diagnosis?.map((d) => d.rule), ['provider-discovery-stuck']);
      // run the remedy with real kubectl; the StatefulSet recreates the pod, which discovers again
      const del = await kubectl(sim.kubeconfigPath, ['-n', 'akash-services', 'delete', 'pod', 'akash-provider-0']);
      assert.equal(del.code, 0, del.stderr);
      // wait (bounded) until the StatefulSet has recreated the pod, then diagnose once: a run that
      // overlapped the recreation could probe /status of the old pod while reading the new one
      let pod = await runDoctor({ ...opts, only: ['provider.pod'] });
      for (const end = Date.now() + 20_000; Date.now() < end && result(pod.report, 'provider.pod').status !== 'pass'; ) {
        await new Promise((r) => setTimeout(r, 100));
        pod = await runDoctor({ ...opts, only: ['provider.pod'] });
      }
      const after = await runDoctor(opts);
      expectCheck(after.report, 'provider.status-endpoint', 'pass');
      assert.deepEqual(after.report.diagnosis ?? [], []);
    });
  });
});
