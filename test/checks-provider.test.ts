/**
 * Provider checks against the simulated cluster: Helm release and values, the
 * ip-lease attribute (Helm values and on chain), and the provider pod.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { runScenario, expectCheck, result } from './helpers.js';
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
    expectCheck(report, 'provider.pod', 'warn', /restarted 3 times; last at/, new RegExp(finished.slice(0, 16)), /a stuck IP operator makes it restart because its liveness probe curls \/status/);
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
