// test-runner: concurrent (every test on its own simulator)
/**
 * The modelled components (Behaviour `model`, src/sim/model.ts): cause and effect through the real
 * client over HTTPS. Every rule: a cluster change, then what the operator, provider or MetalLB
 * answers and logs, and what the doctor's checks make of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadScenario, parseState, startSim, waitForModel, type SimHandle, type SimState } from '../src/sim/index.js';
import { runDoctor } from '../src/core/engine.js';
import { matchLogLine } from '../src/checks/lib/log-templates.js';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { clients, providerStatus, proxyPath, raw, until } from './sim-model-helpers.js';
import { withScenario, HANGING_STATUS_BUDGET_MS } from './helpers.js';

const NS = 'akash-services';
const HEALTH = proxyPath(NS, 'operator-ip:rest', 'health');
const USAGE = proxyPath(NS, 'operator-ip:rest', 'usage');
const METRICS = proxyPath('metallb-system', 'controller:monitoring', 'metrics');

function withModel(scenario: string, fn: (sim: SimHandle) => Promise<void>, tweak?: (s: SimState) => void): Promise<void> {
  return withScenario(scenario, fn, (state) => {
    state.behaviour.model = true;
    tweak?.(state);
  });
}

async function podsOf(sim: SimHandle, selector: string): Promise<string[]> {
  const { core } = clients(sim.kubeconfigPath);
  return (await core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items.map((p) => p.metadata!.name!);
}

/** Delete the pod(s) of a selector and wait until a replacement (another name, or the same StatefulSet name with a new uid) runs. */
async function restart(sim: SimHandle, selector: string): Promise<string> {
  const { core } = clients(sim.kubeconfigPath);
  const before = (await core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items;
  assert.ok(before.length > 0, `no pod for ${selector}`);
  for (const p of before) await core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: NS });
  const uids = new Set(before.map((p) => p.metadata!.uid));
  const fresh = await until(async () => (await core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items.find((p) => !uids.has(p.metadata!.uid)), `replacement of ${selector}`);
  return fresh.metadata!.name!;
}

async function podLog(sim: SimHandle, pod: string): Promise<string> {
  const { core } = clients(sim.kubeconfigPath);
  return core.readNamespacedPodLog({ name: pod, namespace: NS });
}

function assertTemplated(log: string): void {
  for (const line of log.split('\n').filter(Boolean)) assert.ok(matchLogLine(line), `log line matches no upstream template: ${line}`);
}

const CONTROLLER_SERVICE = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'controller', namespace: 'metallb-system' },
  spec: {
    selector: { 'app.kubernetes.io/name': 'metallb', 'app.kubernetes.io/instance': 'metallb', 'app.kubernetes.io/component': 'controller' },
    ports: [{ name: 'monitoring', port: 7472, targetPort: 7472, protocol: 'TCP' }],
  },
};

async function statusReason(sim: SimHandle): Promise<unknown> {
  const run = await runDoctor({
    kubeconfig: sim.kubeconfigPath,
    providerUrl: sim.providerUrl,
    only: ['provider.status-endpoint'],
    minBackoffMs: 10,
    timeoutMs: 30_000,
    checkTimeoutsMs: { 'provider.status-endpoint': HANGING_STATUS_BUDGET_MS },
  });
  return run.report.checks.find((c) => c.id === 'provider.status-endpoint')?.details?.reason;
}

test('state: Behaviour model parses (true or per component) and rejects unknown components', () => {
  const doc = (m: string) => `apiVersion: sim.akash-ip-doctor/v1\nkind: Behaviour\nmodel: ${m}\n`;
  assert.equal(parseState(doc('true')).behaviour.model, true);
  assert.deepEqual(parseState(doc('{ipOperator: true, metallb: false}')).behaviour.model, { ipOperator: true, metallb: false });
  assert.throws(() => parseState(doc('{operator: true}')), /Behaviour\.model\.operator is not a component/);
  assert.throws(() => parseState(doc('{provider: yes please}')), /must be true or false/);
  assert.equal(parseState('apiVersion: sim.akash-ip-doctor/v1\nkind: Behaviour\n').behaviour.model, undefined);
});

test('IP operator: discovery of MetalLB runs once per process; a restart after the Service exists unlocks it', async () => {
  await withModel('f-controller-svc-missing', async (sim) => {
    // the scripted past holds until the pod is replaced
    assert.equal((await raw(sim.kubeconfigPath, 'GET', HEALTH)).status, 503);
    assert.deepEqual(sim.model()!.ipOperators, {});

    const pod1 = await restart(sim, 'app.kubernetes.io/name=ip');
    const m1 = await waitForModel(sim, (m) => m.ipOperators['operator-ip']?.pod === pod1);
    assert.equal(m1.ipOperators['operator-ip']!.discovered, false);
    const h1 = await raw(sim.kubeconfigPath, 'GET', HEALTH);
    assert.equal(h1.status, 503);
    assert.equal(h1.text, '', 'a locked barrier answers with an empty body');
    assert.equal((await raw(sim.kubeconfigPath, 'GET', USAGE)).status, 503);
    const log1 = await podLog(sim, pod1);
    assert.match(log1, /dns discovery failed +cmp=service-discovery-agent error="lookup _monitoring\._TCP\.controller\.metallb-system\.svc\.cluster\.local on 10\.233\.0\.3:53: no such host"/);
    assert.match(log1, /associated provider +addr=akash1xmz9es9ay9ln9x2m3q8dlu0alxf0ltce7ykjfx/, 'AP_PROVIDER from ConfigMap operator-ip');
    assert.match(log1, /HTTP listening +address=:8080/);
    assert.match(log1, /barrier is locked, can't service request +path=\/health/);
    assert.doesNotMatch(log1, /barrier can now be passed/);
    assertTemplated(log1);

    // the Service appears: MetalLB answers, but this process never looks again
    const created = await raw(sim.kubeconfigPath, 'POST', '/api/v1/namespaces/metallb-system/services', { body: CONTROLLER_SERVICE });
    assert.equal(created.status, 201, created.text);
    const metrics = await until(async () => {
      const r = await raw(sim.kubeconfigPath, 'GET', METRICS);
      return r.status === 200 ? r : undefined;
    }, 'metrics through the new Service');
    assert.match(metrics.text, /^metallb_allocator_addresses_total\{pool="default"\} 16$/m);
    assert.match(metrics.text, /^metallb_allocator_addresses_in_use_total\{pool="default"\} 1$/m);
    assert.equal((await raw(sim.kubeconfigPath, 'GET', HEALTH)).status, 503, 'still locked: discovery is not retried');

    const pod2 = await restart(sim, 'app.kubernetes.io/name=ip');
    await waitForModel(sim, (m) => m.ipOperators['operator-ip']?.pod === pod2 && m.ipOperators['operator-ip'].unlocked);
    const h2 = await raw(sim.kubeconfigPath, 'GET', HEALTH);
    assert.equal(h2.status, 200);
    assert.equal(h2.text, 'OK');
    const u2 = await raw(sim.kubeconfigPath, 'GET', USAGE);
    assert.equal(u2.status, 200);
    assert.equal(u2.text, '{"Available":16,"InUse":1}\n', 'Available is the pool total (upstream-facts 1.3)');
    const log2 = await podLog(sim, pod2);
    assert.match(log2, /barrier can now be passed/);
    assert.match(log2, /ip address inventory +in-use=1 available=16/);
    assert.doesNotMatch(log2, /dns discovery failed/);
    assertTemplated(log2);
  });
});

test('IP operator: after a good discovery the barrier follows the metrics by itself (MetalLB 0.16 -> 0.14)', async () => {
  await withModel('m-metallb-0-16', async (sim) => {
    const pod = await restart(sim, 'app.kubernetes.io/name=ip');
    const m = await waitForModel(sim, (s) => s.ipOperators['operator-ip']?.pod === pod);
    assert.equal(m.ipOperators['operator-ip']!.discovered, true);
    assert.equal(m.ipOperators['operator-ip']!.unlocked, false, 'MetalLB 0.16 serves no plain-HTTP metrics');
    assert.equal((await raw(sim.kubeconfigPath, 'GET', HEALTH)).status, 503);
    assert.match(await podLog(sim, pod), /observation stopped +err="context deadline exceeded"/);

    // downgrade the controller: its pods roll, MetalLB answers, the operator unlocks without a restart
    const { apps } = clients(sim.kubeconfigPath);
    const d = await apps.readNamespacedDeployment({ name: 'metallb-controller', namespace: 'metallb-system' });
    const c = d.spec!.template.spec!.containers[0]!;
    c.image = 'quay.io/metallb/controller:v0.14.9';
    c.args = ['--port=7472', '--log-level=info'];
    c.ports = [{ name: 'monitoring', containerPort: 7472, protocol: 'TCP' }];
    await apps.replaceNamespacedDeployment({ name: 'metallb-controller', namespace: 'metallb-system', body: d });
    await waitForModel(sim, (s) => s.ipOperators['operator-ip']?.unlocked === true && s.ipOperators['operator-ip'].pod === pod);
    assert.equal((await raw(sim.kubeconfigPath, 'GET', HEALTH)).text, 'OK');
    const log = await podLog(sim, pod);
    assert.ok(log.indexOf('barrier can now be passed') > log.indexOf('observation stopped'), 'unlocked after it had stopped');
    assertTemplated(log);
  });
});

test('MetalLB metrics: 0.16 refuses plain HTTP, series follow pool edits, sizes and LoadBalancer IPs', async () => {
  await withModel('m-metallb-0-16', async (sim) => {
    // make the metrics live (any pool edit ends the scripted past); 0.16 -> refused
    const { custom } = clients(sim.kubeconfigPath);
    await custom.createNamespacedCustomObject({
      group: 'metallb.io', version: 'v1beta1', namespace: 'metallb-system', plural: 'ipaddresspools',
      body: { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'extra', namespace: 'metallb-system' }, spec: { addresses: ['198.51.100.0/24'] } },
    });
    const r = await until(async () => {
      const x = await raw(sim.kubeconfigPath, 'GET', METRICS);
      return x.status === 503 && /connection refused/.test(x.text) ? x : undefined;
    }, 'refused metrics of 0.16');
    assert.match(r.json().message, /error trying to reach service: dial tcp .*:7472: connect: connection refused/);
  });

  await withModel('healthy-helm', async (sim) => {
    const { custom, core } = clients(sim.kubeconfigPath);
    // rename pool default -> main (create the new one, delete the old)
    const pool = (await custom.getNamespacedCustomObject({ group: 'metallb.io', version: 'v1beta1', namespace: 'metallb-system', plural: 'ipaddresspools', name: 'default' })) as any;
    await custom.createNamespacedCustomObject({
      group: 'metallb.io', version: 'v1beta1', namespace: 'metallb-system', plural: 'ipaddresspools',
      body: { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'main', namespace: 'metallb-system' }, spec: pool.spec },
    });
    await custom.deleteNamespacedCustomObject({ group: 'metallb.io', version: 'v1beta1', namespace: 'metallb-system', plural: 'ipaddresspools', name: 'default' });
    // a range pool with avoidBuggyIPs: 198.51.100.0-198.51.101.255 = 512 - 4 (.0/.255 twice)
    await custom.createNamespacedCustomObject({
      group: 'metallb.io', version: 'v1beta1', namespace: 'metallb-system', plural: 'ipaddresspools',
      body: { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'ranged', namespace: 'metallb-system' }, spec: { addresses: ['198.51.100.0-198.51.101.255'], avoidBuggyIPs: true } },
    });
    // a second LoadBalancer Service with an IP of the ranged pool
    await core.createNamespacedService({
      namespace: 'lease-7d1c0fa2b3',
      body: { metadata: { name: 'db-ip-5432-tcp' }, spec: { type: 'LoadBalancer', ports: [{ port: 5432 }], selector: { a: 'b' } } },
    });
    await core.patchNamespacedServiceStatus(
      { name: 'db-ip-5432-tcp', namespace: 'lease-7d1c0fa2b3', body: { status: { loadBalancer: { ingress: [{ ip: '198.51.101.7' }] } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const text = await until(async () => {
      const x = await raw(sim.kubeconfigPath, 'GET', METRICS);
      return x.status === 200 && /pool="ranged"\} 1$/m.test(x.text) ? x.text : undefined;
    }, 'metrics after the pool edits');
    assert.doesNotMatch(text, /pool="default"/, 'the old series is gone');
    assert.match(text, /^metallb_allocator_addresses_total\{pool="main"\} 16$/m);
    assert.match(text, /^metallb_allocator_addresses_in_use_total\{pool="main"\} 1$/m);
    assert.match(text, /^metallb_allocator_addresses_total\{pool="ranged"\} 508$/m);
    assert.match(text, /^# HELP metallb_allocator_addresses_total Number of usable IP addresses, per pool$/m);
    // the same answer by port number
    assert.equal((await raw(sim.kubeconfigPath, 'GET', proxyPath('metallb-system', 'controller:7472', 'metrics'))).text, text);

    // the operator reads pool default (no AP_METAL_LB_POOL): a restarted one is unlocked with {0,0}
    const pod = await restart(sim, 'app.kubernetes.io/name=ip');
    await waitForModel(sim, (m) => m.ipOperators['operator-ip']?.pod === pod && m.ipOperators['operator-ip'].unlocked);
    assert.equal((await raw(sim.kubeconfigPath, 'GET', USAGE)).text, '{"Available":0,"InUse":0}\n');
    // point it at pool main through its ConfigMap-fed env and roll it
    const { apps } = clients(sim.kubeconfigPath);
    const d = await apps.readNamespacedDeployment({ name: 'operator-ip', namespace: NS });
    d.spec!.template.spec!.containers[0]!.env!.push({ name: 'AP_METAL_LB_POOL', value: 'main' });
    await apps.replaceNamespacedDeployment({ name: 'operator-ip', namespace: NS, body: d });
    await waitForModel(sim, (m) => m.ipOperators['operator-ip']?.pool === 'main' && m.ipOperators['operator-ip'].unlocked);
    assert.equal((await raw(sim.kubeconfigPath, 'GET', USAGE)).text, '{"Available":16,"InUse":1}\n');
  });
});

test('provider: restarted while the IP operator is locked it waits, then passes by itself once the operator unlocks', async () => {
  await withModel('f-controller-svc-missing', async (sim) => {
    await restart(sim, 'app.kubernetes.io/name=ip'); // locked for good (no Service controller at its start)
    const prov = await restart(sim, 'app=akash-provider');
    assert.equal(prov, 'akash-provider-0');
    const m = await waitForModel(sim, (s) => s.provider?.waitingFor === 'ip');
    assert.deepEqual(m.provider!.waitables, ['hostname', 'ip']);
    assert.equal(await providerStatus(sim.providerUrl), null, '/status hangs while the provider waits');
    const log = await until(async () => {
      const l = await podLog(sim, prov);
      return /not yet ready .*ip operator is not yet alive/.test(l) ? l : undefined;
    }, 'waiter line');
    assert.match(log, /check result +cmp=provider operator=hostname status=200/);
    assert.match(log, /ready +cmp=waiter waitable="<\*hostname\.client/);
    assert.match(log, /check result +cmp=provider operator=ip status=503/);
    assertTemplated(log);
    assert.equal(await statusReason(sim), 'waiting-for-ip-operator');

    // the fix: Service controller, then the operator restarted; the provider follows without a restart
    assert.equal((await raw(sim.kubeconfigPath, 'POST', '/api/v1/namespaces/metallb-system/services', { body: CONTROLLER_SERVICE })).status, 201);
    await restart(sim, 'app.kubernetes.io/name=ip');
    await waitForModel(sim, (s) => s.provider?.passed === true);
    const ok = await until(() => providerStatus(sim.providerUrl), '/status answering');
    assert.equal(ok!.status, 200);
    assert.equal(JSON.parse(ok!.text).cluster_public_hostname, 'provider.example.com');
    assert.match(await podLog(sim, prov), /all waitables ready +cmp=waiter/);
    assert.equal(await statusReason(sim), 'ok');

    // one-shot: later operator trouble does not make /status hang again
    const { core } = clients(sim.kubeconfigPath);
    await core.deleteNamespacedService({ name: 'controller', namespace: 'metallb-system' });
    await restart(sim, 'app.kubernetes.io/name=ip');
    await waitForModel(sim, (s) => s.ipOperators['operator-ip']?.discovered === false);
    assert.equal((await providerStatus(sim.providerUrl, 30_000))?.status, 200);
  });
});

test('provider: its discovery of operator-ip failed at start -> discovery-stuck until restarted after the Service exists', async () => {
  await withModel('healthy-helm', async (sim) => {
    const { core } = clients(sim.kubeconfigPath);
    const svc = await core.readNamespacedService({ name: 'operator-ip', namespace: NS });
    await core.deleteNamespacedService({ name: 'operator-ip', namespace: NS });
    const prov = await restart(sim, 'app=akash-provider');
    await waitForModel(sim, (s) => s.provider?.discoveryStuck === 'operator-ip');
    assert.equal(await providerStatus(sim.providerUrl), null);
    const log = await podLog(sim, prov);
    assert.match(log, /dns discovery failed +cmp=service-discovery-agent error="lookup _rest\._TCP\.operator-ip\.akash-services\.svc\.cluster\.local on 10\.233\.0\.3:53: no such host" portName=rest service-name=operator-ip namespace=akash-services/);
    assertTemplated(log);
    assert.equal(await statusReason(sim), 'discovery-stuck');

    // the Service is back: nothing changes until the provider restarts
    const body = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'operator-ip', namespace: NS, labels: svc.metadata!.labels }, spec: { selector: svc.spec!.selector, ports: svc.spec!.ports } };
    assert.equal((await raw(sim.kubeconfigPath, 'POST', `/api/v1/namespaces/${NS}/services`, { body })).status, 201);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sim.model()!.provider!.discoveryStuck, 'operator-ip');
    assert.equal(await providerStatus(sim.providerUrl), null);

    await restart(sim, 'app=akash-provider');
    await waitForModel(sim, (s) => s.provider?.passed === true);
    assert.equal((await until(() => providerStatus(sim.providerUrl), '/status'))?.status, 200);
  });
});

test('provider: the IP operator flag and the provider version choose the waitables (old layout: akash-ip-operator:api, --provider)', async () => {
  await withModel('f-operator-old-stuck', async (sim) => {
    // provider 0.4.8 discovers akash-ip-operator:api; the old operator reads --provider from its args
    const op = await restart(sim, 'app=akash-ip-operator');
    await waitForModel(sim, (m) => m.ipOperators['akash-ip-operator']?.unlocked === true);
    const olog = await podLog(sim, op);
    assert.match(olog, /HTTP listening +address=:8086/);
    assert.match(olog, /associated provider +addr=akash1xmz9es9ay9ln9x2m3q8dlu0alxf0ltce7ykjfx/);
    assertTemplated(olog);
    assert.equal((await raw(sim.kubeconfigPath, 'GET', proxyPath(NS, 'akash-ip-operator:api', 'health'))).text, 'OK');
    const prov = await restart(sim, 'app.kubernetes.io/name=provider');
    await waitForModel(sim, (m) => m.provider?.passed === true);
    assert.match(await podLog(sim, prov), /dns discovery success .*service-name=akash-ip-operator/);
  });

  // flag off: only the hostname operator is waited for
  await withModel('f-flag-false', async (sim) => {
    await restart(sim, 'app=akash-provider');
    const m = await waitForModel(sim, (s) => s.provider?.passed === true);
    assert.deepEqual(m.provider!.waitables, ['hostname']);
  });
});

test('hostname operator: the provider waits while its pod is not ready', async () => {
  await withModel('healthy-helm', async (sim) => {
    const { apps } = clients(sim.kubeconfigPath);
    // remove the hostname operator (Deployment, ReplicaSet, pod): nothing serves operator-hostname
    await apps.deleteNamespacedDeployment({ name: 'operator-hostname', namespace: NS });
    await apps.deleteNamespacedReplicaSet({ name: 'operator-hostname-7b9d6c5f4', namespace: NS });
    const { core } = clients(sim.kubeconfigPath);
    for (const p of await podsOf(sim, 'app.kubernetes.io/name=hostname')) await core.deleteNamespacedPod({ name: p, namespace: NS });
    const prov = await restart(sim, 'app=akash-provider');
    await waitForModel(sim, (s) => s.provider?.waitingFor === 'hostname');
    const log = await until(async () => {
      const l = await podLog(sim, prov);
      return /not yet ready .*hostname\.client/.test(l) ? l : undefined;
    }, 'hostname waiter line');
    assert.match(log, /error="Get \\"http:\/\/operator-hostname\.akash-services\.svc\.cluster\.local\.:8080\/health\\": dial tcp 10\.233\.20\.6:8080: connect: connection refused"/);
    assertTemplated(log);
    assert.equal(await statusReason(sim), 'waiting-for-hostname-operator');
  });
});

test('model off: afterRestart keeps its meaning; model on: the model wins over afterRestart', async () => {
  // off (the default): the scripted afterRestart answers of f-controller-svc-missing (unlocked although the Service is missing)
  const off = await loadScenario('f-controller-svc-missing');
  const sim = await startSim(off);
  try {
    assert.equal(sim.model(), null);
    await restart(sim, 'app.kubernetes.io/name=ip');
    await until(async () => (await raw(sim.kubeconfigPath, 'GET', HEALTH)).status === 200, 'afterRestart answer');
  } finally {
    await sim.close();
  }
  // only the IP operator modelled: its afterRestart is ignored, the provider's still applies
  await withModel(
    'f-controller-svc-missing',
    async (s) => {
      await restart(s, 'app.kubernetes.io/name=ip');
      await waitForModel(s, (m) => m.ipOperators['operator-ip']?.discovered === false);
      assert.equal((await raw(s.kubeconfigPath, 'GET', HEALTH)).status, 503);
      assert.equal(s.model()!.provider, null);
    },
    (st) => {
      st.behaviour.model = { ipOperator: true };
    },
  );
});

test('a modelled component the scenario scripts nothing for is derived at start', async () => {
  await withModel(
    'healthy-helm',
    async (sim) => {
      const m = sim.model()!;
      assert.equal(m.metallbLive, true);
      assert.equal(m.ipOperators['operator-ip']?.unlocked, true);
      assert.equal(m.provider?.passed, true);
      assert.equal((await raw(sim.kubeconfigPath, 'GET', USAGE)).text, '{"Available":16,"InUse":1}\n');
      assert.equal((await providerStatus(sim.providerUrl, 30_000))?.status, 200);
      assert.match(await podLog(sim, 'operator-ip-6f9c7b-x2x9k'), /barrier can now be passed/);
    },
    (st) => {
      for (const k of Object.keys(st.behaviour.proxy)) if (/operator-ip|controller/.test(k)) delete st.behaviour.proxy[k];
      for (const k of Object.keys(st.behaviour.logs)) if (/operator-ip|akash-provider/.test(k)) delete st.behaviour.logs[k];
      st.behaviour.providerStatus = { mode: 'ok', status: 200, body: {} };
    },
  );
});
