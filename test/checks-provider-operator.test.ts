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

describe('ip-operator.crd', () => {
  test('CRD missing: fail with the kubectl apply for the provider version', async () => {
    const { report } = await runScenario('p-crd-missing', { only: ['ip-operator.crd'] });
    const r = expectCheck(report, 'ip-operator.crd', 'fail', /CRD providerleasedips\.akash\.network is not installed/);
    assert.deepEqual(r.remedy?.commands, ['kubectl apply -f https://raw.githubusercontent.com/akash-network/provider/v0.16.1/pkg/apis/akash.network/crd.yaml']);
  });
});

describe('ip-operator.installed', () => {
  test('both layouts: warn, and the remedy uninstalls the old release only', async () => {
    const { report } = await runScenario('p-operator-both-layouts', { only: OPERATOR });
    const r = expectCheck(report, 'ip-operator.installed', 'warn', /two IP operators are installed/, /operator-ip \(current chart, running\)/, /akash-ip-operator \(old chart ≤ 8\.x, running\)/, /fight over the same leases/);
    assert.deepEqual(r.remedy?.commands, ['helm -n akash-services uninstall akash-ip-operator']);
    // the dependants still run (warn does not block) and look at both operators
    expectCheck(report, 'ip-operator.health', 'pass', /operator-ip:rest and akash-services\/akash-ip-operator:api/);
    expectCheck(report, 'ip-operator.provider-address', 'pass', /akash-ip-operator reads it from akash-ip-operator container args --provider/);
  });

  test('both layouts without Helm ownership: the remedy deletes the old objects by name', async () => {
    const state = await variant('p-operator-both-layouts', {
      edit: (o) => {
        delete find(o, 'Deployment/akash-services/akash-ip-operator').metadata.annotations;
      },
    });
    const { report } = await runScenario(state, { only: ['ip-operator.installed'] });
    const r = expectCheck(report, 'ip-operator.installed', 'warn', /two IP operators/);
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
    assert.ok(r.remedy?.commands.includes(`helm install akash-ip-operator akash/akash-ip-operator -n akash-services --set provider_address=${FROM}`), JSON.stringify(r.remedy));
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

  test('old layout alone: pass, and every operator check uses its service and port', async () => {
    const old = await oldLayoutObjects();
    const state = await variant('healthy-helm', { remove: NEW_OPERATOR_OBJECTS, put: old, proxy: (await variant('p-operator-both-layouts', {})).behaviour.proxy });
    const { report } = await runScenario(state, { only: OPERATOR });
    expectCheck(report, 'ip-operator.installed', 'pass', /old chart ≤ 8\.x/, /Deployment akash-services\/akash-ip-operator/);
    expectCheck(report, 'ip-operator.health', 'pass', /akash-ip-operator:api/);
    expectCheck(report, 'ip-operator.usage', 'pass', /15 free/);
    expectCheck(report, 'ip-operator.provider-address', 'pass', /container args --provider/);
  });
});

describe('ip-operator.provider-address', () => {
  test('mismatch: fail naming both addresses, with the Helm fix and the restart', async () => {
    const { report } = await runScenario('p-provider-address-mismatch', { only: ['ip-operator.provider-address'] });
    const r = expectCheck(report, 'ip-operator.provider-address', 'fail', new RegExp(`serves provider ${GUIDE_EXAMPLE} \\(ConfigMap operator-ip key provider-address\\)`), new RegExp(`but the provider is ${FROM}`), /AKASH_FROM from configmap akash-provider-main/);
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
    expectCheck(report, 'ip-operator.provider-address', 'fail', /has no provider address configured/, /ConfigMap operator-ip key provider-address is empty/);
  });

  async function oldLayoutWrongProvider(extra: KubeObject[] = []) {
    const old = (await oldLayoutObjects()).map((o) => structuredClone(o));
    const d = old.find((o) => o.kind === 'Deployment') as any;
    d.spec.template.spec.containers[0].args = ['provider-services', 'ip-operator', '--provider', GUIDE_EXAMPLE];
    const state = await variant('healthy-helm', { remove: NEW_OPERATOR_OBJECTS, put: [...old, ...extra] });
    const { report } = await runScenario(state, { only: ['ip-operator.provider-address'] });
    return expectCheck(report, 'ip-operator.provider-address', 'fail', new RegExp(`akash-ip-operator serves provider ${GUIDE_EXAMPLE} \\(akash-ip-operator container args --provider\\)`));
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
    expectCheck(report, 'ip-operator.provider-address', 'fail', /operator-ip env AP_PROVIDER/);
  });
});

describe('ip-operator.health', () => {
  test('503 (barrier locked): fail with the restart remedy and fix id', async () => {
    const { report } = await runScenario('p-health-503', { only: OPERATOR });
    const r = expectCheck(report, 'ip-operator.health', 'fail', /answers 503/, /barrier is locked/, /\/status hangs/);
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
  test('Available 0 with pool default present: fail pointing at MetalLB metrics', async () => {
    const { report } = await runScenario('p-usage-zero', { only: ['ip-operator.usage'] });
    const r = expectCheck(report, 'ip-operator.usage', 'fail', /reports 0 addresses \(Available 0, InUse 0\) although pool default exists/, /MetalLB's metrics/, /never bids on IP orders/);
    assert.equal(r.remedy?.fixId, 'ip-operator.restart');
  });

  test('exhausted pool: fail with its own words', async () => {
    const { report } = await runScenario('p-usage-exhausted', { only: ['ip-operator.usage'] });
    expectCheck(report, 'ip-operator.usage', 'fail', /0 free addresses: all 16 addresses of pool default are in use/);
  });

  test('pool not named default: fail naming the pools', async () => {
    const state = await variant('p-usage-zero', {
      edit: (o) => {
        find(o, 'IPAddressPool/metallb-system/default').metadata.name = 'public';
      },
    });
    const { report } = await runScenario(state, { only: ['ip-operator.usage'] });
    expectCheck(report, 'ip-operator.usage', 'fail', /it reads pool default, but the pools are public/, /--metal-lb-pool public/);
  });

  test('an operator started with --metal-lb-pool reads that pool', async () => {
    const state = await variant('p-usage-zero', {
      edit: (o) => {
        find(o, 'IPAddressPool/metallb-system/default').metadata.name = 'public';
        find(o, 'Deployment/akash-services/operator-ip').spec.template.spec.containers[0].args = ['provider-services', 'operator', 'ip', '--metal-lb-pool', 'public'];
      },
    });
    const { report } = await runScenario(state, { only: ['ip-operator.usage'] });
    const r = expectCheck(report, 'ip-operator.usage', 'fail', /although pool public exists/);
    assert.match(String(r.details?.poolSource), /--metal-lb-pool/);
  });

  test('few free addresses: warn at the threshold; not JSON: error', async () => {
    const low = await variant('healthy-helm', { proxy: { 'akash-services/operator-ip:rest/usage': { status: 200, body: { Available: 2, InUse: 14 } } } });
    const r1 = await runScenario(low, { only: ['ip-operator.usage'] });
    expectCheck(r1.report, 'ip-operator.usage', 'warn', /only 2 free addresses \(14 in use of 16\)/);
    const r1b = await runScenario(low, { only: ['ip-operator.usage'], poolLowThreshold: 1 });
    expectCheck(r1b.report, 'ip-operator.usage', 'pass', /2 free addresses/);

    const garbage = await variant('healthy-helm', { proxy: { 'akash-services/operator-ip:rest/usage': { status: 200, body: 'OK' } } });
    const r2 = await runScenario(garbage, { only: ['ip-operator.usage'] });
    expectCheck(r2.report, 'ip-operator.usage', 'error', /did not answer \{"Available":N,"InUse":N\} but "OK"/);
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
