/**
 * Writes against the simulated API server behave like the real one: dryRun=All on every verb,
 * resourceVersion and uid preconditions (409), Leases and Events, RBAC-like rules on write verbs
 * (403 with the real message), rollout restart with real kubectl, and the failWrites fault.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseState, type SimHandle, type SimState } from '../src/sim/index.js';
import { clients, raw, until } from './sim-model-helpers.js';
import { withScenario } from './helpers.js';

const run = promisify(execFile);
const CM = '/api/v1/namespaces/kube-system/configmaps';

function withSim(fn: (sim: SimHandle) => Promise<void>, tweak?: (s: SimState) => void): Promise<void> {
  return withScenario('healthy-helm', fn, tweak);
}

/** Watch events of a path collected while fn runs (a watch from the current resourceVersion). */
async function watchDuring(sim: SimHandle, path: string, fn: () => Promise<void>): Promise<string[]> {
  const list = await raw(sim.kubeconfigPath, 'GET', path);
  const rv = list.json().metadata.resourceVersion;
  const w = raw(sim.kubeconfigPath, 'GET', `${path}?watch=true&resourceVersion=${rv}&timeoutSeconds=1`, { timeoutMs: 15_000 });
  await new Promise((r) => setTimeout(r, 100));
  await fn();
  const text = (await w).text;
  return text.split('\n').filter(Boolean).map((l) => `${JSON.parse(l).type} ${JSON.parse(l).object.metadata.name}`);
}

test('dryRun=All on create, update, every patch type, apply and delete: nothing stored, no event, no controller reaction', async () => {
  await withSim(async (sim) => {
    const k = sim.kubeconfigPath;
    const before = (await raw(k, 'GET', `${CM}/kube-proxy`)).json();
    const rvBefore = before.metadata.resourceVersion;
    const storeRv = (await raw(k, 'GET', CM)).json().metadata.resourceVersion;
    const events = await watchDuring(sim, CM, async () => {
      const c = await raw(k, 'POST', `${CM}?dryRun=All`, { body: { metadata: { name: 'dry' }, data: { a: '1' } } });
      assert.equal(c.status, 201);
      assert.equal(c.json().data.a, '1', 'the answer is what would be stored');
      assert.ok(c.json().metadata.uid);
      const upd = { ...before, data: { ...before.data, extra: 'put' } };
      const u = await raw(k, 'PUT', `${CM}/kube-proxy?dryRun=All`, { body: upd });
      assert.equal(u.status, 200);
      assert.equal(u.json().data.extra, 'put');
      for (const [ct, body] of [
        ['application/merge-patch+json', { data: { extra: 'merge' } }],
        ['application/strategic-merge-patch+json', { data: { extra: 'smp' } }],
        ['application/json-patch+json', [{ op: 'add', path: '/data/extra', value: 'json' }]],
      ] as const) {
        const p = await raw(k, 'PATCH', `${CM}/kube-proxy?dryRun=All`, { body, contentType: ct });
        assert.equal(p.status, 200, `${ct}: ${p.text}`);
        assert.match(p.json().data.extra, /merge|smp|json/);
        assert.equal(p.json().metadata.resourceVersion, rvBefore, 'resourceVersion unchanged');
      }
      const ap = await raw(k, 'PATCH', `${CM}/kube-proxy?dryRun=All&fieldManager=t`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy' }, data: { extra: 'apply' } }, contentType: 'application/apply-patch+yaml' });
      assert.equal(ap.status, 200, ap.text);
      assert.equal(ap.json().data.extra, 'apply');
      const apNew = await raw(k, 'PATCH', `${CM}/dry-apply?dryRun=All&fieldManager=t`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry-apply' }, data: { a: 'b' } }, contentType: 'application/apply-patch+yaml' });
      assert.equal(apNew.status, 201);
      const d = await raw(k, 'DELETE', `${CM}/kube-proxy?dryRun=All`);
      assert.equal(d.status, 200);
      assert.equal(d.json().status, 'Success');
    });
    assert.deepEqual(events, [], 'no watch event');
    const after = (await raw(k, 'GET', `${CM}/kube-proxy`)).json();
    assert.deepEqual(after, before, 'nothing stored');
    assert.equal((await raw(k, 'GET', `${CM}/dry`)).status, 404);
    assert.equal((await raw(k, 'GET', `${CM}/dry-apply`)).status, 404);
    assert.equal((await raw(k, 'GET', CM)).json().metadata.resourceVersion, storeRv);

    // a dry-run pod delete and a dry-run template change trigger no controller
    const podPath = '/api/v1/namespaces/akash-services/pods/operator-ip-6f9c7b-x2x9k';
    assert.equal((await raw(k, 'DELETE', `${podPath}?dryRun=All`)).status, 200);
    const dep = '/apis/apps/v1/namespaces/akash-services/deployments/operator-ip';
    const p = await raw(k, 'PATCH', `${dep}?dryRun=All`, { body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'x' } } } } }, contentType: 'application/strategic-merge-patch+json' });
    assert.equal(p.status, 200);
    await new Promise((r) => setTimeout(r, 400));
    const pods = (await raw(k, 'GET', '/api/v1/namespaces/akash-services/pods?labelSelector=app.kubernetes.io%2Fname%3Dip')).json().items.map((x: any) => x.metadata.name);
    assert.deepEqual(pods, ['operator-ip-6f9c7b-x2x9k']);
  });
});

test('resourceVersion and uid preconditions: stale PUT and DELETE preconditions answer 409 Conflict', async () => {
  await withSim(async (sim) => {
    const k = sim.kubeconfigPath;
    const cur = (await raw(k, 'GET', `${CM}/kube-proxy`)).json();
    const ok = await raw(k, 'PUT', `${CM}/kube-proxy`, { body: { ...cur, data: { ...cur.data, v: '1' } } });
    assert.equal(ok.status, 200);
    assert.notEqual(ok.json().metadata.resourceVersion, cur.metadata.resourceVersion);
    const stale = await raw(k, 'PUT', `${CM}/kube-proxy`, { body: { ...cur, data: { ...cur.data, v: '2' } } });
    assert.equal(stale.status, 409);
    assert.equal(stale.json().kind, 'Status');
    assert.equal(stale.json().reason, 'Conflict');
    assert.equal(stale.json().message, 'Operation cannot be fulfilled on configmaps "kube-proxy": the object has been modified; please apply your changes to the latest version and try again');

    const now = ok.json();
    const badUid = await raw(k, 'DELETE', `${CM}/kube-proxy`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: '00000000-0000-0000-0000-000000000000' } } });
    assert.equal(badUid.status, 409);
    assert.equal(badUid.json().reason, 'Conflict');
    assert.match(badUid.json().message, /^Precondition failed: UID in precondition: 0{8}-/);
    const badRv = await raw(k, 'DELETE', `${CM}/kube-proxy`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: now.metadata.uid, resourceVersion: cur.metadata.resourceVersion } } });
    assert.equal(badRv.status, 409);
    assert.equal((await raw(k, 'GET', `${CM}/kube-proxy`)).status, 200, 'still there');
    const good = await raw(k, 'DELETE', `${CM}/kube-proxy`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: now.metadata.uid, resourceVersion: now.metadata.resourceVersion } } });
    assert.equal(good.status, 200);
    assert.equal((await raw(k, 'GET', `${CM}/kube-proxy`)).status, 404);
  });
});

test('Leases (coordination.k8s.io/v1) and Events: create, AlreadyExists, optimistic update, delete', async () => {
  await withSim(async (sim) => {
    const k = sim.kubeconfigPath;
    const L = '/apis/coordination.k8s.io/v1/namespaces/akash-services/leases';
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'akash-ip-doctor-fix' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 60 } };
    const c = await raw(k, 'POST', L, { body: lease });
    assert.equal(c.status, 201, c.text);
    const again = await raw(k, 'POST', L, { body: lease });
    assert.equal(again.status, 409);
    assert.equal(again.json().reason, 'AlreadyExists');
    assert.equal(again.json().message, 'leases.coordination.k8s.io "akash-ip-doctor-fix" already exists');
    const got = (await raw(k, 'GET', `${L}/akash-ip-doctor-fix`)).json();
    const u = await raw(k, 'PUT', `${L}/akash-ip-doctor-fix`, { body: { ...got, spec: { ...got.spec, holderIdentity: 'b' } } });
    assert.equal(u.status, 200);
    const lost = await raw(k, 'PUT', `${L}/akash-ip-doctor-fix`, { body: { ...got, spec: { ...got.spec, holderIdentity: 'c' } } });
    assert.equal(lost.status, 409, 'the second holder loses the race');
    assert.equal((await raw(k, 'GET', `${L}/akash-ip-doctor-fix`)).json().spec.holderIdentity, 'b');
    assert.equal((await raw(k, 'DELETE', `${L}/akash-ip-doctor-fix`)).status, 200);
    assert.equal((await raw(k, 'GET', `${L}/akash-ip-doctor-fix`)).status, 404);

    const ev = {
      metadata: { generateName: 'akash-provider-0.' },
      involvedObject: { kind: 'Pod', namespace: 'akash-services', name: 'akash-provider-0' },
      reason: 'Fixed',
      message: 'restarted by check --fix',
      type: 'Normal',
    };
    const e1 = await raw(k, 'POST', '/api/v1/namespaces/akash-services/events', { body: ev });
    assert.equal(e1.status, 201, e1.text);
    assert.match(e1.json().metadata.name, /^akash-provider-0\./);
    const list = (await raw(k, 'GET', '/api/v1/namespaces/akash-services/events?fieldSelector=involvedObject.name%3Dakash-provider-0')).json();
    assert.ok(list.items.some((x: any) => x.reason === 'Fixed'));
    const e2 = await raw(k, 'POST', '/apis/events.k8s.io/v1/namespaces/akash-services/events', {
      body: { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'fix-1' }, eventTime: new Date().toISOString(), reportingController: 'akash-ip-doctor', reportingInstance: 'x', action: 'Fix', reason: 'Fixed', regarding: { kind: 'Pod', namespace: 'akash-services', name: 'akash-provider-0' }, type: 'Normal' },
    });
    assert.equal(e2.status, 201, e2.text);
  });
});

test('RBAC-like users on write verbs: POST create, PUT update, PATCH patch, DELETE delete; 403 with the real message', async () => {
  await withSim(async (sim) => {
    const kc = await sim.addUser('fixer', [
      { verbs: ['get', 'list', 'patch'], resources: ['configmaps'], namespaces: ['kube-system'] },
      { verbs: ['delete'], resources: ['pods'], namespaces: ['akash-services'] },
    ]);
    const k = kc;
    const cm = (await raw(sim.kubeconfigPath, 'GET', `${CM}/kube-proxy`)).json();
    const patch = await raw(k, 'PATCH', `${CM}/kube-proxy`, { body: { data: { x: 'y' } }, contentType: 'application/merge-patch+json' });
    assert.equal(patch.status, 200, patch.text);
    const put = await raw(k, 'PUT', `${CM}/kube-proxy`, { body: cm });
    assert.equal(put.status, 403);
    assert.equal(put.json().reason, 'Forbidden');
    assert.equal(put.json().message, 'configmaps "kube-proxy" is forbidden: User "fixer" cannot update resource "configmaps" in API group "" in the namespace "kube-system"');
    const post = await raw(k, 'POST', CM, { body: { metadata: { name: 'n' } } });
    assert.equal(post.status, 403);
    assert.equal(post.json().message, 'configmaps is forbidden: User "fixer" cannot create resource "configmaps" in API group "" in the namespace "kube-system"');
    const lease = await raw(k, 'POST', '/apis/coordination.k8s.io/v1/namespaces/akash-services/leases', { body: { metadata: { name: 'l' } } });
    assert.equal(lease.status, 403);
    assert.equal(lease.json().message, 'leases.coordination.k8s.io is forbidden: User "fixer" cannot create resource "leases" in API group "coordination.k8s.io" in the namespace "akash-services"');
    const delSvc = await raw(k, 'DELETE', '/api/v1/namespaces/akash-services/services/operator-ip');
    assert.equal(delSvc.status, 403);
    assert.match(delSvc.json().message, /cannot delete resource "services"/);
    const delPod = await raw(k, 'DELETE', '/api/v1/namespaces/akash-services/pods/akash-provider-0');
    assert.equal(delPod.status, 200);
    const dep = await raw(k, 'PATCH', '/apis/apps/v1/namespaces/akash-services/deployments/operator-ip', { body: { spec: {} }, contentType: 'application/merge-patch+json' });
    assert.equal(dep.json().message, 'deployments.apps "operator-ip" is forbidden: User "fixer" cannot patch resource "deployments" in API group "apps" in the namespace "akash-services"');
  });
});

test('faults.failWrites: a matching write answers its status with a Status body, changes nothing, `times` bounds it', async () => {
  const st = parseState(
    [
      'apiVersion: sim.akash-ip-doctor/v1',
      'kind: Behaviour',
      'faults:',
      '  failWrites:',
      '  - {method: DELETE, path: "/pods/operator-ip-", status: 500, times: 1}',
      '  - {method: patch, path: "/configmaps/kube-proxy$", status: 503}',
    ].join('\n'),
  );
  assert.equal(st.behaviour.faults.failWrites?.length, 2);
  assert.equal(st.behaviour.faults.failWrites?.[1]?.method, 'PATCH');
  assert.throws(() => parseState('apiVersion: sim.akash-ip-doctor/v1\nkind: Behaviour\nfaults: {failWrites: [{method: GET, path: x}]}'), /POST\|PUT\|PATCH\|DELETE/);
  await withSim(
    async (sim) => {
      const k = sim.kubeconfigPath;
      const pod = '/api/v1/namespaces/akash-services/pods/operator-ip-6f9c7b-x2x9k';
      const first = await raw(k, 'DELETE', pod);
      assert.equal(first.status, 500);
      assert.equal(first.json().kind, 'Status');
      assert.equal(first.json().reason, 'InternalError');
      assert.equal((await raw(k, 'GET', pod)).status, 200, 'nothing changed');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await raw(k, 'GET', '/api/v1/namespaces/akash-services/pods?labelSelector=app.kubernetes.io%2Fname%3Dip')).json().items.length, 1, 'no controller reaction');
      assert.equal((await raw(k, 'DELETE', pod)).status, 200, 'times: 1 is used up');
      const before = (await raw(k, 'GET', `${CM}/kube-proxy`)).json();
      for (let i = 0; i < 2; i++) {
        const p = await raw(k, 'PATCH', `${CM}/kube-proxy`, { body: { data: { x: 'y' } }, contentType: 'application/merge-patch+json' });
        assert.equal(p.status, 503);
      }
      assert.deepEqual((await raw(k, 'GET', `${CM}/kube-proxy`)).json(), before);
      assert.equal((await raw(k, 'GET', `${CM}/kube-proxy`)).status, 200, 'reads are not affected');
    },
    (s) => {
      s.behaviour.faults = { ...s.behaviour.faults, failWrites: st.behaviour.faults.failWrites };
    },
  );
});

test('real kubectl: rollout restart replaces the pods and rollout status completes; a failed write is an error', async () => {
  await withSim(async (sim) => {
    const env = { ...process.env, KUBECONFIG: sim.kubeconfigPath };
    const { core } = clients(sim.kubeconfigPath);
    const before = (await core.listNamespacedPod({ namespace: 'akash-services', labelSelector: 'app.kubernetes.io/name=ip' })).items.map((p) => p.metadata!.name);
    const r = await run('kubectl', ['-n', 'akash-services', 'rollout', 'restart', 'deployment/operator-ip'], { env });
    assert.match(r.stdout, /deployment.apps\/operator-ip restarted/);
    const s = await run('kubectl', ['-n', 'akash-services', 'rollout', 'status', 'deployment/operator-ip', '--timeout=20s'], { env });
    assert.match(s.stdout, /successfully rolled out/);
    const after = await until(async () => {
      const l = (await core.listNamespacedPod({ namespace: 'akash-services', labelSelector: 'app.kubernetes.io/name=ip' })).items;
      return l.length === 1 && !before.includes(l[0]!.metadata!.name) ? l[0] : undefined;
    }, 'a new operator pod');
    assert.ok(after.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], 'the new pod carries the template annotation');
    const sts = await run('kubectl', ['-n', 'akash-services', 'rollout', 'restart', 'statefulset/akash-provider'], { env });
    assert.match(sts.stdout, /restarted/);
    await run('kubectl', ['-n', 'akash-services', 'rollout', 'status', 'statefulset/akash-provider', '--timeout=20s'], { env });
  });
  await withSim(
    async (sim) => {
      const env = { ...process.env, KUBECONFIG: sim.kubeconfigPath };
      await assert.rejects(run('kubectl', ['-n', 'akash-services', 'delete', 'pod', 'akash-provider-0', '--wait=false'], { env }), /simulated write failure/);
      await run('kubectl', ['-n', 'akash-services', 'get', 'pod', 'akash-provider-0'], { env });
    },
    (s) => {
      s.behaviour.faults = { ...s.behaviour.faults, failWrites: [{ method: 'DELETE', path: /\/pods\/akash-provider-0$/, status: 500 }] };
    },
  );
});
