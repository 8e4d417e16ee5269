/**
 * IP operator checks against the simulated cluster: CRD, installation (both layouts),
 * provider address, /health and /usage through the service proxy.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, expectCheck, result } from './helpers.js';
import { FROM, GUIDE_EXAMPLE, NEW_OPERATOR_OBJECTS, find, variant } from './checks-provider-fixtures.js';
import type { KubeObject } from '../src/sim/index.js';

const OPERATOR = ['ip-operator.crd', 'ip-operator.installed', 'ip-operator.provider-address', 'ip-operator.health', 'ip-operator.usage'];

/** The old chart's objects (akash-ip-operator, port api 8086), taken from the both-layouts scenario. */
async function oldLayoutObjects(): Promise<KubeObject[]> {
  const s = await variant('p-operator-both-layouts', {});
  return s.objects.filter((o) => /akash-ip-operator/.test(o.metadata.name));
}

const reason = (r: { details?: Record<string, unknown> }) => r.details?.reason;

/** A healthy old-layout operator next to a 0.4.8 provider (the unstuck f-operator-old-stuck). */
const OLD_HEALTHY_PROXY = {
  'akash-services/akash-ip-operator:api/health': { status: 200, body: 'OK' },
  'akash-services/akash-ip-operator:api/usage': { status: 200, contentType: 'application/json', body: { Available: 16, InUse: 1 } },
};

describe('ip-operator.crd', () => {
  test('CRD missing: fail with the kubectl apply for the provider version', async () => {
    const { report } = await runScenario('p-crd-missing', { only: ['ip-operator.crd'] });
    const r = expectCheck(report, 'ip-operator.crd', 'fail', /CRD providerleasedips\.akash\.network is not installed/);
    assert.equal(reason(r), 'crd-missing');
    assert.deepEqual(r.remedy?.commands, ['kubectl apply -f https://raw.githubusercontent.com/akash-network/provider/v0.16.1/pkg/apis/akash.network/crd.yaml']);
  });
});

describe('ip-operator.installed', () => {
  test('both layouts: warn, and the remedy uninstalls the old release only', async () => {
    const { report } = await runScenario('p-operator-both-layouts', { only: OPERATOR });
    const r = expectCheck(report, 'ip-operator.installed', 'warn', /two IP operators are installed/, /provider 0\.16\.1/, /uses operator-ip \(current chart, running\)/, /akash-ip-operator \(old chart ≤ 8\.x, running\) is stale/);
    assert.equal(reason(r), 'stale-layout');
    assert.deepEqual(r.remedy?.commands, ['helm -n akash-services uninstall akash-ip-operator']);
    // the dependants still run (warn does not block) and look only at the layout the provider uses
    const h = expectCheck(report, 'ip-operator.health', 'pass', /operator-ip:rest/);
    assert.doesNotMatch(h.message, /akash-ip-operator/);
    const a = expectCheck(report, 'ip-operator.provider-address', 'pass', /operator-ip reads it from env AP_PROVIDER \(configmap operator-ip key provider-address\)/);
    assert.equal(reason(a), 'address-match');
  });

  test('both layouts without Helm ownership: the remedy deletes the old objects by name', async () => {
    const state = await variant('p-operator-both-layouts', {
      edit: (o) => {
        delete find(o, 'Deployment/akash-services/akash-ip-operator').metadata.annotations;
      },
    });
    const { report } = await runScenario(state, { only: ['ip-operator.installed'] });
    const r = expectCheck(report, 'ip-operator.installed', 'warn', /two IP operators/);
    assert.equal(reason(r), 'stale-layout');
    assert.deepEqual(r.remedy?.commands, ['kubectl -n akash-services delete deployment,service akash-ip-operator --ignore-not-found']);
  });

  test('operator not available: fail naming the pod state; dependants skip', async () => {
    const { report } = await runScenario('p-operator-unavailable', { only: OPERATOR });
    expectCheck(report, 'ip-operator.installed', 'fail', /IP operator \(current chart\) is not running/, /Deployment akash-services\/operator-ip has no ready pod/, /CrashLoopBackOff \(12 restarts\)/, /kubectl -n akash-services logs -l app\.kubernetes\.io\/name=ip/);
    expectCheck(report, 'ip-operator.health', 'skip', /ip-operator\.installed failed/);
  });

  test('no operator at all: fail with the install command carrying the provider address', async () => {
    const state = await variant('healthy-helm', { remove: NEW_OPERATOR_OBJECTS });
    const { report } = await runScenario(state, { only: ['ip-operator.installed'] });
    const r = expectCheck(report, 'ip-operator.installed', 'fail', /no IP operator in akash-services/);
    assert.equal(reason(r), 'not-installed');
    assert.ok(r.remedy?.commands.includes(`helm install akash-ip-operator akash/akash-ip-operator -n akash-services --version 19.0.2 --set provider_address=${FROM}`), JSON.stringify(r.remedy));
  });

  test('scaled to zero: fail with the scale command', async () => {
    const state = await variant('healthy-helm', {
      remove: ['Pod/akash-services/operator-ip-6f9c7b-x2x9k'],
      edit: (o) => {
        const d = find(o, 'Deployment/akash-services/operator-ip');
        d.spec.replicas = 0;
        d.status = { replicas: 0, availableReplicas: 0 };
      },
    });
    const { report } = await runScenario(state, { only: ['ip-operator.installed'] });
    const r = expectCheck(report, 'ip-operator.installed', 'fail', /scaled to 0 replicas/);
    assert.deepEqual(r.remedy?.commands, ['kubectl -n akash-services scale deployment operator-ip --replicas=1']);
  });

  test('old layout with a 0.4.8 provider: pass, and every operator check uses its service and port', async () => {
    const state = await variant('f-operator-old-stuck', { proxy: OLD_HEALTHY_PROXY });
    const { report } = await runScenario(state, { only: OPERATOR });
    const r = expectCheck(report, 'ip-operator.installed', 'pass', /old chart ≤ 8\.x/, /Deployment akash-services\/akash-ip-operator/, /provider 0\.4\.8/);
    assert.equal(reason(r), 'running');
    expectCheck(report, 'ip-operator.health', 'pass', /akash-ip-operator:api/);
    const u = expectCheck(report, 'ip-operator.usage', 'pass', /15 free addresses in pool default \(1 in use of 16\)/);
    assert.equal(reason(u), 'usage-ok');
    expectCheck(report, 'ip-operator.provider-address', 'pass', /args --provider akash1/);
  });

  test('old operator with a current provider: fail naming the layout it needs; remedy removes the stale release and installs the pinned chart', async () => {
    const { report } = await runScenario('f-operator-old-current-provider', { only: OPERATOR });
    const r = expectCheck(report, 'ip-operator.installed', 'fail', /provider 0\.16\.1/, /looks only for Service operator-ip port rest/, /akash-ip-operator \(old chart/);
    assert.equal(reason(r), 'layout-mismatch');
    assert.deepEqual(r.remedy?.commands, [
      'helm -n akash-services uninstall akash-ip-operator',
      'helm repo add akash https://akash-network.github.io/helm-charts',
      'helm repo update akash',
      `helm install akash-ip-operator akash/akash-ip-operator -n akash-services --version 19.0.2 --set provider_address=${FROM}`,
    ]);
    expectCheck(report, 'ip-operator.health', 'skip', /ip-operator\.installed failed/);
  });

  test('provider version unknown (no version tag, no Helm release): two layouts are a warn that names both', async () => {
    const state = await variant('p-operator-both-layouts', {
      remove: ['Secret/akash-services/sh.helm.release.v1.akash-provider.v1', 'Secret/akash-services/sh.helm.release.v1.akash-provider.v2'],
      edit: (o) => void (find(o, 'StatefulSet/akash-services/akash-provider').spec.template.spec.containers[0].image = 'ghcr.io/akash-network/provider:latest'),
    });
    const { report } = await runScenario(state, { only: ['ip-operator.installed'] });
    const r = expectCheck(report, 'ip-operator.installed', 'warn', /the provider's version is unknown/, /≥ 0\.5\.0: operator-ip, ≤ 0\.4\.x: akash-ip-operator/);
    assert.equal(reason(r), 'two-layouts');
  });

  test('the provider version falls back to the Helm release appVersion when the image has no version tag', async () => {
    const state = await variant('f-operator-old-current-provider', {
      edit: (o) => void (find(o, 'StatefulSet/akash-services/akash-provider').spec.template.spec.containers[0].image = 'ghcr.io/akash-network/provider:latest'),
    });
    const { report } = await runScenario(state, { only: ['ip-operator.installed'] });
    const r = expectCheck(report, 'ip-operator.installed', 'fail', /Helm release akash-provider appVersion/);
    assert.equal(reason(r), 'layout-mismatch');
  });
});

describe('ip-operator.provider-address', () => {
  test('mismatch: fail naming both addresses, with the Helm fix and the restart', async () => {
    const { report } = await runScenario('p-provider-address-mismatch', { only: ['ip-operator.provider-address'] });
    const r = expectCheck(report, 'ip-operator.provider-address', 'fail', new RegExp(`serves provider ${GUIDE_EXAMPLE} \\(env AP_PROVIDER \\(configmap operator-ip key provider-address\\)\\)`), new RegExp(`but the provider is ${FROM}`), /AKASH_FROM from configmap akash-provider-main/);
    assert.equal(reason(r), 'address-mismatch');
    assert.deepEqual(r.remedy?.commands, [
      `helm -n akash-services upgrade akash-ip-operator akash/akash-ip-operator --reuse-values --set provider_address=${FROM}`,
      'kubectl -n akash-services delete pod -l app.kubernetes.io/name=ip',
    ]);
  });

  test('mismatch with the operator release readable: the upgrade is pinned to the installed chart', async () => {
    const { encodeHelmPayload } = await import('../src/checks/lib/helm.js');
    const release = { name: 'akash-ip-operator', namespace: 'akash-services', version: 3, info: { status: 'deployed' }, chart: { metadata: { name: 'akash-ip-operator', version: '9.2.1', appVersion: '0.16.1' } }, config: { provider_address: GUIDE_EXAMPLE } };
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'helm.sh/release.v1',
      metadata: { name: 'sh.helm.release.v1.akash-ip-operator.v3', namespace: 'akash-services', labels: { name: 'akash-ip-operator', owner: 'helm', status: 'deployed', version: '3' } },
      data: { release: Buffer.from(encodeHelmPayload(release)).toString('base64') },
    };
    const state = await variant('p-provider-address-mismatch', { put: [secret] });
    const { report } = await runScenario(state, { only: ['ip-operator.provider-address'] });
    const r = expectCheck(report, 'ip-operator.provider-address', 'fail', /serves provider/);
    assert.equal(r.remedy?.commands[0], `helm -n akash-services upgrade akash-ip-operator akash/akash-ip-operator --version 9.2.1 --reuse-values --set provider_address=${FROM}`);
  });

  test('empty address: fail with its own words', async () => {
    const state = await variant('healthy-helm', { edit: (o) => void (find(o, 'ConfigMap/akash-services/operator-ip').data['provider-address'] = '') });
    const { report } = await runScenario(state, { only: ['ip-operator.provider-address'] });
    const r = expectCheck(report, 'ip-operator.provider-address', 'fail', /has no provider address/, /configmap operator-ip key provider-address\) is empty/);
    assert.equal(reason(r), 'address-missing');
  });

  test('an operator configured only through an invented name (AKASH_PROVIDER_ADDRESS) has no address', async () => {
    const { report } = await runScenario('f-operator-address-invented', { only: ['ip-operator.installed', 'ip-operator.provider-address'] });
    const r = expectCheck(report, 'ip-operator.provider-address', 'fail', /has no provider address/, /env AKASH_PROVIDER_ADDRESS, which the operator does not read/);
    assert.equal(reason(r), 'address-ignored-name');
    assert.equal(reason(result(report, 'ip-operator.installed')), 'not-running');
  });

  test('the old spelling --provider-address is no address either; --provider is', async () => {
    const bad = await variant('f-operator-old-stuck', {
      proxy: OLD_HEALTHY_PROXY,
      edit: (o) => void (find(o, 'Deployment/akash-services/akash-ip-operator').spec.template.spec.containers[0].args = ['provider-services', 'ip-operator', '--provider-address', FROM]),
    });
    const r = expectCheck((await runScenario(bad, { only: ['ip-operator.provider-address'] })).report, 'ip-operator.provider-address', 'fail', /args --provider-address/);
    assert.equal(reason(r), 'address-ignored-name');
  });

  async function oldLayoutWrongProvider(extra: KubeObject[] = []) {
    const old = (await oldLayoutObjects()).map((o) => structuredClone(o));
    const d = old.find((o) => o.kind === 'Deployment') as any;
    d.spec.template.spec.containers[0].args = ['provider-services', 'ip-operator', '--provider', GUIDE_EXAMPLE];
    const state = await variant('f-operator-old-stuck', { remove: old.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).filter((k) => !/7c9d5/.test(k)), put: [...old, ...extra], proxy: OLD_HEALTHY_PROXY });
    const { report } = await runScenario(state, { only: ['ip-operator.provider-address'] });
    return expectCheck(report, 'ip-operator.provider-address', 'fail', new RegExp(`akash-ip-operator serves provider ${GUIDE_EXAMPLE} \\(args --provider ${GUIDE_EXAMPLE}\\)`));
  }

  test('old layout with the wrong --provider: fail; the upgrade stays on the installed old chart', async () => {
    const { encodeHelmPayload } = await import('../src/checks/lib/helm.js');
    const release = { name: 'akash-ip-operator', namespace: 'akash-services', version: 1, info: { status: 'deployed' }, chart: { metadata: { name: 'akash-ip-operator', version: '8.0.4', appVersion: '0.1.0' } }, config: {} };
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sh.helm.release.v1.akash-ip-operator.v1', namespace: 'akash-services', labels: { name: 'akash-ip-operator', owner: 'helm', status: 'deployed', version: '1' } },
      data: { release: Buffer.from(encodeHelmPayload(release)).toString('base64') },
    };
    const r = await oldLayoutWrongProvider([secret]);
    assert.match(r.remedy!.commands[0]!, / --version 8\.0\.4 --reuse-values --set provider_address=/);
    assert.match(r.remedy!.commands[1]!, /delete pod -l app=akash-ip-operator/);
  });

  test('old layout with the wrong --provider and no readable release: no unpinned upgrade is offered', async () => {
    const r = await oldLayoutWrongProvider();
    assert.equal(r.remedy, undefined, JSON.stringify(r.remedy));
    assert.match(r.hint ?? '', /--version/);
  });

  test('an explicit AP_PROVIDER env wins over the ConfigMap', async () => {
    const state = await variant('healthy-helm', {
      edit: (o) => {
        const c = find(o, 'Deployment/akash-services/operator-ip').spec.template.spec.containers[0];
        c.env = [{ name: 'AP_PROVIDER', value: GUIDE_EXAMPLE }];
      },
    });
    const { report } = await runScenario(state, { only: ['ip-operator.provider-address'] });
    const r = expectCheck(report, 'ip-operator.provider-address', 'fail', /\(env AP_PROVIDER\)/);
    assert.equal(reason(r), 'address-mismatch');
  });
});

describe('ip-operator.health', () => {
  test('503 (barrier locked): fail with the restart remedy and fix id', async () => {
    const { report } = await runScenario('p-health-503', { only: OPERATOR });
    const r = expectCheck(report, 'ip-operator.health', 'fail', /answers 503 with an empty body/, /barrier is locked/);
    assert.equal(reason(r), 'barrier-locked');
    assert.deepEqual(r.remedy, {
      summary: 'restart the IP operator pods (app.kubernetes.io/name=ip)',
      commands: ['kubectl -n akash-services delete pod -l app.kubernetes.io/name=ip'],
      fixId: 'ip-operator.restart',
      params: { namespace: 'akash-services', selector: 'app.kubernetes.io/name=ip' },
    });
    expectCheck(report, 'ip-operator.usage', 'skip', /ip-operator\.health failed/);
  });

  test('Service missing, port misnamed, no endpoints, operator 404, unreachable pod: distinct messages', async () => {
    const cases: { name: string; state: Awaited<ReturnType<typeof variant>>; status: 'fail' | 'error'; re: RegExp[] }[] = [
      {
        name: 'service missing',
        state: await variant('healthy-helm', { remove: ['Service/akash-services/operator-ip'] }),
        status: 'fail',
        re: [/Service akash-services\/operator-ip not found/],
      },
      {
        name: 'port misnamed',
        state: await variant('healthy-helm', { edit: (o) => void (find(o, 'Service/akash-services/operator-ip').spec.ports[0].name = 'http') }),
        status: 'fail',
        re: [/has no port named rest \(ports: http:8080\)/],
      },
      {
        name: 'no endpoints',
        state: await variant('healthy-helm', { edit: (o) => void (find(o, 'Service/akash-services/operator-ip').spec.selector = { app: 'nothing' }) }),
        status: 'fail',
        re: [/has no ready endpoints/, /kubectl -n akash-services get endpoints operator-ip/],
      },
      {
        name: 'operator 404',
        state: await variant('healthy-helm', { proxy: { 'akash-services/operator-ip:rest/health': { status: 404, body: '404 page not found' } } }),
        status: 'fail',
        re: [/answers 404 \(404 page not found\)/, /does not reach the IP operator's REST API/],
      },
      {
        name: 'no answer scripted: the API server cannot reach the pod',
        state: await (async () => {
          const s = await variant('healthy-helm', {});
          delete s.behaviour.proxy['akash-services/operator-ip:rest/health'];
          return s;
        })(),
        status: 'fail',
        re: [/the API server could not reach the IP operator/, /not listening on port 8080/],
      },
    ];
    const messages = new Set<string>();
    for (const c of cases) {
      const { report } = await runScenario(c.state, { only: ['ip-operator.health'] });
      const r = expectCheck(report, 'ip-operator.health', c.status, ...c.re);
      messages.add(r.message.replace(/\d+/g, 'N'));
    }
    assert.equal(messages.size, cases.length, 'each failure mode has its own message');
  });
});

describe('ip-operator.usage', () => {
  test('200 {0,0} with the operator pointed at a pool that does not exist: fail naming its override and the pools', async () => {
    const { report } = await runScenario('p-usage-zero', { only: ['ip-operator.usage'] });
    const r = expectCheck(report, 'ip-operator.usage', 'fail', /no series for pool akash-ip \(env AKASH_METAL_LB_POOL\)/, /the pools are default/, /never bids on IP orders/);
    assert.equal(reason(r), 'usage-pool-not-found');
    assert.equal(r.details?.total, 0);
  });

  test('exhausted pool {16,16}: fail (Available is the pool total, not the free count)', async () => {
    const { report } = await runScenario('p-usage-exhausted', { only: ['ip-operator.usage'] });
    const r = expectCheck(report, 'ip-operator.usage', 'fail', /pool default is exhausted/, /all 16 addresses in use/);
    assert.equal(reason(r), 'usage-exhausted');
    assert.equal(r.details?.free, 0);
  });

  test('a full pool that the old parser read as "8 free" is exhausted', async () => {
    const full = await variant('healthy-helm', { proxy: { 'akash-services/operator-ip:rest/usage': { status: 200, body: { Available: 8, InUse: 8 } } } });
    const r = expectCheck((await runScenario(full, { only: ['ip-operator.usage'] })).report, 'ip-operator.usage', 'fail');
    assert.equal(reason(r), 'usage-exhausted');
  });

  test('pool not named default, no override: fail naming the pools and the --metal-lb-pool way', async () => {
    const state = await variant('healthy-helm', {
      edit: (o) => void (find(o, 'IPAddressPool/metallb-system/default').metadata.name = 'public'),
      proxy: { 'akash-services/operator-ip:rest/usage': { status: 200, body: { Available: 0, InUse: 0 } } },
    });
    const { report } = await runScenario(state, { only: ['ip-operator.usage'] });
    const r = expectCheck(report, 'ip-operator.usage', 'fail', /no series for pool default \(default\)/, /the pools are public/, /--metal-lb-pool=public/);
    assert.equal(reason(r), 'usage-pool-not-found');
  });

  test('an operator started with --metal-lb-pool reads that pool (the flag wins over the env)', async () => {
    const state = await variant('p-usage-zero', {
      edit: (o) => {
        find(o, 'IPAddressPool/metallb-system/default').metadata.name = 'public';
        find(o, 'Deployment/akash-services/operator-ip').spec.template.spec.containers[0].args = ['provider-services', 'operator', 'ip', '--metal-lb-pool', 'public'];
      },
    });
    const { report } = await runScenario(state, { only: ['ip-operator.usage'] });
    const r = expectCheck(report, 'ip-operator.usage', 'fail', /although pool public exists/);
    assert.equal(reason(r), 'usage-no-series');
    assert.match(String(r.details?.poolSource), /args --metal-lb-pool public/);
  });

  test('{0,0} with Service controller selecting speaker pods too: fail naming them', async () => {
    const state = await variant('healthy-helm', {
      edit: (o) => void (find(o, 'Service/metallb-system/controller').spec.selector = { 'app.kubernetes.io/name': 'metallb' }),
      proxy: { 'akash-services/operator-ip:rest/usage': { status: 200, body: { Available: 0, InUse: 0 } } },
    });
    const { objects } = state;
    const ctrl = find(objects, 'Pod/metallb-system/metallb-controller-5f9bb77dcd-7xq2p');
    const speaker = structuredClone(ctrl);
    speaker.metadata.name = 'metallb-speaker-abcde';
    speaker.metadata.labels = { 'app.kubernetes.io/name': 'metallb', 'app.kubernetes.io/instance': 'metallb', 'app.kubernetes.io/component': 'speaker' };
    delete speaker.metadata.ownerReferences;
    objects.push(speaker);
    const r = expectCheck((await runScenario(state, { only: ['ip-operator.usage'] })).report, 'ip-operator.usage', 'fail', /also selects speaker pod\(s\) metallb-speaker-abcde/);
    assert.equal(reason(r), 'usage-controller-selects-speaker');
  });

  test('few free addresses {16,14}: warn at the threshold; the threshold applies to free; not JSON: error', async () => {
    const r1 = await runScenario('p-usage-low', { only: ['ip-operator.usage'] });
    const w = expectCheck(r1.report, 'ip-operator.usage', 'warn', /only 2 free addresses in pool default \(14 in use of 16\)/);
    assert.equal(reason(w), 'usage-low');
    const r1b = await runScenario('p-usage-low', { only: ['ip-operator.usage'], poolLowThreshold: 1 });
    assert.equal(reason(expectCheck(r1b.report, 'ip-operator.usage', 'pass', /2 free addresses/)), 'usage-ok');

    const garbage = await variant('healthy-helm', { proxy: { 'akash-services/operator-ip:rest/usage': { status: 200, body: 'OK' } } });
    const r2 = await runScenario(garbage, { only: ['ip-operator.usage'] });
    assert.equal(reason(expectCheck(r2.report, 'ip-operator.usage', 'error', /did not answer \{"Available":N,"InUse":M\} but "OK"/)), 'usage-unparsable');
  });

  test('the healthy base answers the pool total: 15 free of 16', async () => {
    const { report } = await runScenario('healthy-helm', { only: ['ip-operator.usage'] });
    assert.equal(reason(expectCheck(report, 'ip-operator.usage', 'pass', /15 free addresses in pool default \(1 in use of 16\)/)), 'usage-ok');
  });
});

describe('provider-address with the provider pod crash-looping', () => {
  test('the stuck operator shows on the provider pod and on /health together', async () => {
    const { report } = await runScenario('p-provider-crashloop', { only: ['provider.pod', 'ip-operator.health'] });
    expectCheck(report, 'provider.pod', 'fail', /crash-looping/);
    expectCheck(report, 'ip-operator.health', 'fail', /503/);
    assert.equal(result(report, 'provider.pod').details?.waitingReason, 'CrashLoopBackOff');
  });
});
