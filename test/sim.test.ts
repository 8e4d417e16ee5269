/**
 * The simulated cluster against the real @kubernetes/client-node over HTTPS (and undici for
 * the raw paths client-node cannot express: service proxy, watch, faults).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ApiException,
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { listScenarios, loadScenario, parseState, startSim, type KubeObject, type SimHandle, type SimState } from '../src/sim/index.js';

// ---------------------------------------------------------------- helpers

async function withSim(fn: (sim: SimHandle, state: SimState) => Promise<void>, tweak?: (s: SimState) => void): Promise<void> {
  const state = await loadScenario('_sim-selftest');
  tweak?.(state);
  const sim = await startSim(state);
  try {
    await fn(sim, state);
  } finally {
    await sim.close();
  }
}

function clients(kubeconfigPath: string) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return { kc, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), authz: kc.makeApiClient(AuthorizationV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
}

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

/** A raw HTTPS request with the kubeconfig's CA and token. */
async function raw(kubeconfigPath: string, method: string, path: string, opts: { body?: string; headers?: Record<string, string>; timeoutMs?: number; token?: string | null } = {}): Promise<Raw> {
  const cfg = parseYaml(readFileSync(kubeconfigPath, 'utf8'));
  const cluster = cfg.clusters[0].cluster;
  const ca = Buffer.from(cluster['certificate-authority-data'], 'base64').toString();
  const token = opts.token === undefined ? cfg.users[0].user.token : opts.token;
  const dispatcher = new Agent({ connect: { ca } });
  try {
    const res = await request(`${cluster.server}${path}`, {
      method: method as 'GET',
      dispatcher,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(opts.headers ?? {}) },
      body: opts.body,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) };
  } finally {
    await dispatcher.close().catch(() => {});
  }
}

async function rejects(p: Promise<unknown>): Promise<ApiException<string>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiException) return e as ApiException<string>;
    throw e;
  }
  assert.fail('expected the request to fail');
}

function bodyOf(e: ApiException<string>): any {
  return typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `fn` returns a value (a hang guard, not a speed assertion). */
async function until<T>(fn: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) assert.fail('condition not reached in time');
    await sleep(25);
  }
}

// ---------------------------------------------------------------- state

test('parseState: multi-doc YAML, List expansion, Behaviour merge, clear errors', () => {
  const s = parseState(
    [
      'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: a}}',
      'apiVersion: sim.akash-ip-doctor/v1\nkind: Behaviour\nmetadata: {name: t, description: "one"}\nlogs: {a/p: ["x"]}\nproviderStatus: {mode: hang}',
      '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"a"}}',
      'apiVersion: sim.akash-ip-doctor/v1\nkind: Behaviour\nlogs: {a/q: [{text: y, agoSeconds: 5}]}\nfaults: {latencyMs: 3}',
      '',
    ].join('\n---\n'),
  );
  assert.deepEqual(
    s.objects.map((o) => o.kind),
    ['Namespace', 'ConfigMap', 'Secret'],
  );
  assert.equal(s.name, 't');
  assert.equal(s.description, 'one');
  assert.deepEqual(Object.keys(s.behaviour.logs).sort(), ['a/p', 'a/q']);
  assert.equal(s.behaviour.providerStatus.mode, 'hang');
  assert.equal(s.behaviour.faults.latencyMs, 3);
  assert.throws(() => parseState('apiVersion: v1\nkind: [unclosed\n'), /document 1: invalid YAML/);
  assert.throws(() => parseState('apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n'), /without metadata.name/);
});

test('listScenarios skips files starting with _ and loadScenario reads the fixture', async () => {
  const list = await listScenarios();
  assert.ok(!list.some((s) => s.name.startsWith('_')));
  const st = await loadScenario('_sim-selftest');
  assert.ok(st.objects.length > 10);
  assert.match(st.description ?? '', /fixture/);
  await assert.rejects(loadScenario('no-such-scenario-xyz'), /unknown scenario/);
});

// ---------------------------------------------------------------- discovery and reads

test('discovery, get, list with selectors, pagination, 404 Status', async () => {
  await withSim(async (sim) => {
    const { core, apps, custom } = clients(sim.kubeconfigPath);
    const version = await raw(sim.kubeconfigPath, 'GET', '/version');
    assert.equal(version.json().gitVersion, 'v1.30.4');
    const v1 = (await raw(sim.kubeconfigPath, 'GET', '/api/v1')).json();
    const names = v1.resources.map((r: { name: string }) => r.name);
    for (const n of ['pods', 'pods/log', 'services/proxy', 'namespaces', 'configmaps', 'events', 'nodes', 'endpoints']) assert.ok(names.includes(n), n);
    assert.deepEqual(v1.resources.find((r: any) => r.name === 'pods').shortNames, ['po']);
    const groups = (await raw(sim.kubeconfigPath, 'GET', '/apis')).json();
    const gnames = groups.groups.map((g: { name: string }) => g.name);
    for (const g of ['apps', 'metallb.io', 'akash.network', 'apiextensions.k8s.io', 'authorization.k8s.io']) assert.ok(gnames.includes(g), g);
    const metallb = groups.groups.find((g: any) => g.name === 'metallb.io');
    assert.equal(metallb.preferredVersion.version, 'v1beta2');
    const mv1 = (await raw(sim.kubeconfigPath, 'GET', '/apis/metallb.io/v1beta1')).json();
    assert.ok(mv1.resources.some((r: any) => r.name === 'ipaddresspools' && r.namespaced && r.kind === 'IPAddressPool'));

    const ns = await core.listNamespace();
    assert.ok(ns.items.some((n) => n.metadata?.name === 'metallb-system'));
    assert.ok(ns.metadata?.resourceVersion);

    const sts = await apps.readNamespacedStatefulSet({ name: 'akash-provider', namespace: 'akash-services' });
    const env = sts.spec?.template.spec?.containers[0]?.env ?? [];
    assert.equal(env.find((e) => e.name === 'AKASH_IP_OPERATOR')?.value, 'true');
    assert.ok(sts.metadata?.uid && sts.metadata.resourceVersion && sts.metadata.creationTimestamp);

    const ip = await core.listNamespacedPod({ namespace: 'akash-services', labelSelector: 'app.kubernetes.io/name=ip' });
    assert.deepEqual(ip.items.map((p) => p.metadata?.name), ['operator-ip-6f9c7b-x2x9k']);
    const both = await core.listPodForAllNamespaces({ labelSelector: 'app.kubernetes.io/name in (ip, metallb),app.kubernetes.io/component!=speaker' });
    assert.equal(both.items.length, 2);
    const noHash = await core.listPodForAllNamespaces({ labelSelector: '!pod-template-hash' });
    assert.deepEqual(noHash.items.map((p) => p.metadata?.name).sort(), ['akash-provider-0', 'kube-proxy-7xk2p']);
    const notin = await core.listPodForAllNamespaces({ labelSelector: 'app.kubernetes.io/name notin (ip),pod-template-hash' });
    assert.equal(notin.items.length, 1);
    const byField = await core.listPodForAllNamespaces({ fieldSelector: 'metadata.namespace=kube-system,status.phase=Running' });
    assert.deepEqual(byField.items.map((p) => p.metadata?.name), ['kube-proxy-7xk2p']);
    const ev = await core.listNamespacedEvent({ namespace: 'akash-services', fieldSelector: 'involvedObject.name=operator-ip-6f9c7b-x2x9k,involvedObject.kind=Pod' });
    assert.equal(ev.items.length, 1);
    const badField = await rejects(core.listPodForAllNamespaces({ fieldSelector: 'spec.bogus=1' }));
    assert.equal(badField.code, 400);

    // pagination with an opaque continue token
    const seen: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespace({ limit: 2, _continue: cont });
      seen.push(...page.items.map((n) => n.metadata!.name!));
      cont = page.metadata?._continue || undefined;
      pages++;
    } while (cont);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...seen].sort());
    assert.equal(new Set(seen).size, 6);

    const nf = await rejects(core.readNamespacedConfigMap({ name: 'nope', namespace: 'kube-system' }));
    assert.equal(nf.code, 404);
    const st = bodyOf(nf);
    assert.equal(st.kind, 'Status');
    assert.equal(st.reason, 'NotFound');
    assert.equal(st.message, 'configmaps "nope" not found');
    const nf2 = await rejects(custom.getNamespacedCustomObject({ group: 'metallb.io', version: 'v1beta1', namespace: 'metallb-system', plural: 'ipaddresspools', name: 'default' }));
    assert.equal(bodyOf(nf2).message, 'ipaddresspools.metallb.io "default" not found');
    const unknown = await raw(sim.kubeconfigPath, 'GET', '/apis/metallb.io/v1beta1/namespaces/x/nothings');
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.headers['content-type']), /application\/json/);

    // Table form
    const table = (await raw(sim.kubeconfigPath, 'GET', '/api/v1/namespaces/akash-services/pods', { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' } })).json();
    assert.equal(table.kind, 'Table');
    assert.equal(table.rows.length, 2);
  });
});

// ---------------------------------------------------------------- auth

test('401 without a token, 403 for a restricted user, SelfSubjectAccessReview', async () => {
  await withSim(async (sim) => {
    const anon = await raw(sim.kubeconfigPath, 'GET', '/api/v1/namespaces', { token: null });
    assert.equal(anon.status, 401);
    assert.equal(anon.json().reason, 'Unauthorized');
    const bad = await raw(sim.kubeconfigPath, 'GET', '/api/v1/namespaces', { token: 'wrong' });
    assert.equal(bad.status, 401);

    const kcPath = await sim.addUser('viewer', [
      { verbs: ['get', 'list'], resources: ['pods', 'configmaps'], namespaces: ['akash-services'] },
      { verbs: ['get'], resources: ['services/proxy'], namespaces: ['akash-services'] },
      { verbs: ['list'], resources: ['ipaddresspools.metallb.io'] },
    ]);
    const cfg = parseYaml(readFileSync(kcPath, 'utf8'));
    assert.equal(cfg['current-context'], 'viewer');
    const { core, authz, custom } = clients(kcPath);
    const pods = await core.listNamespacedPod({ namespace: 'akash-services' });
    assert.equal(pods.items.length, 2);
    const logs = await rejects(core.readNamespacedPodLog({ name: 'operator-ip-6f9c7b-x2x9k', namespace: 'akash-services' }));
    assert.equal(logs.code, 403);
    assert.equal(
      bodyOf(logs).message,
      'pods "operator-ip-6f9c7b-x2x9k" is forbidden: User "viewer" cannot get resource "pods/log" in API group "" in the namespace "akash-services"',
    );
    const other = await rejects(core.listNamespacedPod({ namespace: 'kube-system' }));
    assert.equal(other.code, 403);
    assert.equal(bodyOf(other).reason, 'Forbidden');
    const nsList = await rejects(core.listNamespace());
    assert.match(bodyOf(nsList).message, /cannot list resource "namespaces" in API group "" at the cluster scope/);
    await custom.listClusterCustomObject({ group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools' });
    const write = await rejects(core.deleteNamespacedPod({ name: 'operator-ip-6f9c7b-x2x9k', namespace: 'akash-services' }));
    assert.equal(write.code, 403);

    const yes = await authz.createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { verb: 'get', resource: 'services', subresource: 'proxy', namespace: 'akash-services', name: 'operator-ip' } } },
    });
    assert.equal(yes.status?.allowed, true);
    const no = await authz.createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { verb: 'get', resource: 'pods', subresource: 'log', namespace: 'akash-services' } } },
    });
    assert.equal(no.status?.allowed, false);

    // the token users of the Behaviour document
    const scripted = await raw(sim.kubeconfigPath, 'GET', '/api/v1/namespaces/akash-services/pods/operator-ip-6f9c7b-x2x9k/log', { token: 'readonly-no-logs-token' });
    assert.equal(scripted.status, 403);
    const ok = await raw(sim.kubeconfigPath, 'GET', '/api/v1/namespaces/akash-services/pods', { token: 'readonly-no-logs-token' });
    assert.equal(ok.status, 200);
    assert.ok(sim.requests.some((r) => r.user === 'readonly-no-logs-token' && r.status === 403));
    assert.ok(sim.requests.some((r) => r.user === 'viewer' && r.status === 200));
  });
});

// ---------------------------------------------------------------- writes

test('create, 409 AlreadyExists, update conflict, dryRun, delete, deletecollection', async () => {
  await withSim(async (sim) => {
    const { core } = clients(sim.kubeconfigPath);
    const cm = await core.createNamespacedConfigMap({ namespace: 'akash-services', body: { metadata: { name: 'x', labels: { t: '1' } }, data: { a: '1' } } });
    assert.ok(cm.metadata?.uid && cm.metadata.resourceVersion);
    const dup = await rejects(core.createNamespacedConfigMap({ namespace: 'akash-services', body: { metadata: { name: 'x' } } }));
    assert.equal(dup.code, 409);
    assert.equal(bodyOf(dup).reason, 'AlreadyExists');
    const noNs = await rejects(core.createNamespacedConfigMap({ namespace: 'nowhere', body: { metadata: { name: 'x' } } }));
    assert.equal(noNs.code, 404);
    const invalid = await rejects(core.createNamespacedConfigMap({ namespace: 'akash-services', body: { metadata: { name: 'Bad_Name' } } }));
    assert.equal(invalid.code, 422);
    assert.equal(bodyOf(invalid).reason, 'Invalid');
    const badSvc = await rejects(core.createNamespacedService({ namespace: 'akash-services', body: { metadata: { name: 's' }, spec: { ports: [] } } }));
    assert.equal(badSvc.code, 422);

    // update with the current resourceVersion works, a stale one conflicts
    const v1 = await core.replaceNamespacedConfigMap({ name: 'x', namespace: 'akash-services', body: { ...cm, data: { a: '2' } } });
    assert.ok(Number(v1.metadata!.resourceVersion) > Number(cm.metadata!.resourceVersion));
    const stale = await rejects(core.replaceNamespacedConfigMap({ name: 'x', namespace: 'akash-services', body: { ...cm, data: { a: '3' } } }));
    assert.equal(stale.code, 409);
    assert.equal(bodyOf(stale).reason, 'Conflict');
    assert.match(bodyOf(stale).message, /the object has been modified/);

    // dryRun: validated and returned, not stored
    const dry = await core.createNamespacedConfigMap({ namespace: 'akash-services', body: { metadata: { name: 'dry' } }, dryRun: 'All' });
    assert.equal(dry.metadata?.name, 'dry');
    await rejects(core.readNamespacedConfigMap({ name: 'dry', namespace: 'akash-services' }));
    await core.patchNamespacedConfigMap({ name: 'x', namespace: 'akash-services', body: [{ op: 'replace', path: '/data/a', value: '9' }], dryRun: 'All' });
    assert.equal((await core.readNamespacedConfigMap({ name: 'x', namespace: 'akash-services' })).data?.a, '2');

    // resourceVersion increases globally on every write
    const before = Number((await core.listNamespace()).metadata!.resourceVersion);
    await core.createNamespacedConfigMap({ namespace: 'kube-system', body: { metadata: { name: 'y', labels: { t: '1' } } } });
    const after = Number((await core.listNamespace()).metadata!.resourceVersion);
    assert.ok(after > before);

    await core.deleteNamespacedConfigMap({ name: 'y', namespace: 'kube-system' });
    const gone = await rejects(core.deleteNamespacedConfigMap({ name: 'y', namespace: 'kube-system' }));
    assert.equal(gone.code, 404);
    await core.createNamespacedConfigMap({ namespace: 'akash-services', body: { metadata: { name: 'z', labels: { t: '1' } } } });
    await core.deleteCollectionNamespacedConfigMap({ namespace: 'akash-services', labelSelector: 't=1' });
    const left = await core.listNamespacedConfigMap({ namespace: 'akash-services' });
    assert.deepEqual(left.items.map((c) => c.metadata?.name), ['akash-provider-main']);
  });
});

test('patch: JSON patch (client-node default), merge patch, strategic merge patch', async () => {
  await withSim(async (sim) => {
    const { core, apps, custom } = clients(sim.kubeconfigPath);
    // client-node's default patch content type is JSON patch
    const j = await core.patchNamespacedConfigMap({
      name: 'kube-proxy',
      namespace: 'kube-system',
      body: [
        { op: 'test', path: '/metadata/name', value: 'kube-proxy' },
        { op: 'add', path: '/metadata/labels/patched', value: 'json' },
      ],
    });
    assert.equal(j.metadata?.labels?.patched, 'json');
    const failedTest = await rejects(core.patchNamespacedConfigMap({ name: 'kube-proxy', namespace: 'kube-system', body: [{ op: 'test', path: '/metadata/name', value: 'other' }] }));
    assert.equal(failedTest.code, 422);

    const m = await core.patchNamespacedConfigMap(
      { name: 'kube-proxy', namespace: 'kube-system', body: { data: { extra: 'x' }, metadata: { labels: { patched: null } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.equal(m.data?.extra, 'x');
    assert.ok(m.data?.['config.conf']?.includes('strictARP: false'));
    assert.equal(m.metadata?.labels?.patched, undefined);

    // strategic: containers merge by name, env by name
    const s = await apps.patchNamespacedStatefulSet(
      {
        name: 'akash-provider',
        namespace: 'akash-services',
        body: { spec: { template: { spec: { containers: [{ name: 'provider', env: [{ name: 'AKASH_IP_OPERATOR', value: 'false' }, { name: 'NEW', value: '1' }] }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const c = s.spec!.template.spec!.containers;
    assert.equal(c.length, 1);
    assert.equal(c[0]!.image, 'ghcr.io/akash-network/provider:0.16.1');
    assert.deepEqual(
      c[0]!.env!.map((e) => `${e.name}=${e.value ?? ''}`),
      ['AKASH_IP_OPERATOR=false', 'AKASH_KEY_SECRET=', 'NEW=1'],
    );
    assert.equal(c[0]!.envFrom?.[0]?.configMapRef?.name, 'akash-provider-main');
    // $patch: delete
    const d = await apps.patchNamespacedStatefulSet(
      { name: 'akash-provider', namespace: 'akash-services', body: { spec: { template: { spec: { containers: [{ name: 'provider', env: [{ name: 'NEW', $patch: 'delete' }] }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    assert.ok(!d.spec!.template.spec!.containers[0]!.env!.some((e) => e.name === 'NEW'));
    // merge patch replaces lists
    const r = await apps.patchNamespacedStatefulSet(
      { name: 'akash-provider', namespace: 'akash-services', body: { spec: { template: { spec: { containers: [{ name: 'provider', image: 'x:1' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.equal(r.spec!.template.spec!.containers[0]!.env, undefined);
    // strategic merge on a custom resource is refused like the real server does
    await custom.createNamespacedCustomObject({
      group: 'metallb.io',
      version: 'v1beta1',
      namespace: 'metallb-system',
      plural: 'ipaddresspools',
      body: { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'default' }, spec: { addresses: ['10.0.0.0/28'] } },
    });
    const smp = await raw(sim.kubeconfigPath, 'PATCH', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools/default', {
      body: '{"spec":{"autoAssign":false}}',
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
    });
    assert.equal(smp.status, 415);
    const mp = await raw(sim.kubeconfigPath, 'PATCH', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools/default', {
      body: '{"spec":{"autoAssign":false}}',
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.equal(mp.status, 200);
    assert.deepEqual(mp.json().spec, { addresses: ['10.0.0.0/28'], autoAssign: false });
    // a resourceVersion in a patch is a precondition
    const pre = await raw(sim.kubeconfigPath, 'PATCH', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools/default', {
      body: '{"metadata":{"resourceVersion":"1"},"spec":{"autoAssign":true}}',
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.equal(pre.status, 409);
    // server-side apply creates and updates
    const ssa = await raw(sim.kubeconfigPath, 'PATCH', '/api/v1/namespaces/kube-system/configmaps/applied?fieldManager=test', {
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  k: v\n',
      headers: { 'content-type': 'application/apply-patch+yaml' },
    });
    assert.equal(ssa.status, 201);
  });
});

// ---------------------------------------------------------------- logs

test('pod logs: tailLines, sinceSeconds, limitBytes, container checks, generated logs', async () => {
  await withSim(async (sim) => {
    const { core } = clients(sim.kubeconfigPath);
    const name = 'operator-ip-6f9c7b-x2x9k';
    const ns = 'akash-services';
    const all = await core.readNamespacedPodLog({ name, namespace: ns });
    assert.equal(all.split('\n').filter(Boolean).length, 12);
    const tail = await core.readNamespacedPodLog({ name, namespace: ns, tailLines: 2 });
    assert.deepEqual(tail.trimEnd().split('\n'), ['line-11', "E[2023-06-22|13:11:42.428] barrier is locked, can't service request     operator=ip path=/health"]);
    const recent = await core.readNamespacedPodLog({ name, namespace: ns, sinceSeconds: 3600 });
    assert.equal(recent.split('\n').filter(Boolean).length, 10);
    assert.ok(!recent.includes('starting ip operator'));
    const limited = await core.readNamespacedPodLog({ name, namespace: ns, limitBytes: 10 });
    assert.equal(limited.length, 10);
    const stamped = await core.readNamespacedPodLog({ name, namespace: ns, tailLines: 1, timestamps: true });
    assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z E\[/);
    const wrong = await rejects(core.readNamespacedPodLog({ name, namespace: ns, container: 'nope' }));
    assert.equal(wrong.code, 400);
    assert.equal(bodyOf(wrong).message, `container nope is not valid for pod ${name}`);
    const missing = await rejects(core.readNamespacedPodLog({ name: 'nope', namespace: ns }));
    assert.equal(missing.code, 404);
    // generated logs are streamed lazily; tail picks the last lines
    const gen = await core.readNamespacedPodLog({ name: 'metallb-controller-5f9bb77dcd-k8h2v', namespace: 'metallb-system', tailLines: 2 });
    assert.deepEqual(gen.trimEnd().split('\n'), ['{"level":"info","msg":"controller line 5000"}', '{"level":"info","msg":"last controller line"}']);
    const whole = await raw(sim.kubeconfigPath, 'GET', '/api/v1/namespaces/metallb-system/pods/metallb-controller-5f9bb77dcd-k8h2v/log');
    assert.equal(whole.status, 200);
    assert.match(String(whole.headers['content-type']), /text\/plain/);
    assert.equal(whole.text.split('\n').filter(Boolean).length, 5001);
    const since = await core.readNamespacedPodLog({ name: 'metallb-controller-5f9bb77dcd-k8h2v', namespace: 'metallb-system', sinceSeconds: 60 });
    assert.equal(since.trimEnd(), '{"level":"info","msg":"last controller line"}');
  });
});

test('multi-container pods need a container name; big generated logs stream without building a string', async () => {
  const state = parseState(`
apiVersion: v1
kind: Pod
metadata: {name: two, namespace: default}
spec: {containers: [{name: a, image: x}, {name: b, image: y}]}
status: {phase: Running}
---
apiVersion: sim.akash-ip-doctor/v1
kind: Behaviour
logs:
  default/two/a: ["from a"]
  default/two: ["from any"]
  default/big:
    generate: {lines: 2000000, text: "I[2023-06-22|13:11:42.428] some fairly long log line of the provider, repeated to simulate a big log", lastLines: ["the end"]}
---
apiVersion: v1
kind: Pod
metadata: {name: big, namespace: default}
spec: {containers: [{name: c, image: x}]}
status: {phase: Running}
`);
  const sim = await startSim(state);
  try {
    const { core } = clients(sim.kubeconfigPath);
    const none = await rejects(core.readNamespacedPodLog({ name: 'two', namespace: 'default' }));
    assert.equal(none.code, 400);
    assert.equal(bodyOf(none).message, 'a container name must be specified for pod two, choose one of: [a b]');
    assert.equal((await core.readNamespacedPodLog({ name: 'two', namespace: 'default', container: 'a' })).trim(), 'from a');
    assert.equal((await core.readNamespacedPodLog({ name: 'two', namespace: 'default', container: 'b' })).trim(), 'from any');
    const tail = await core.readNamespacedPodLog({ name: 'big', namespace: 'default', tailLines: 3 });
    assert.equal(tail.trimEnd().split('\n').at(-1), 'the end');
    // stream the whole ~200 MB log and count bytes without keeping it
    const cfg = parseYaml(sim.kubeconfig);
    const ca = Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
    const dispatcher = new Agent({ connect: { ca } });
    const res = await request(`${sim.server}/api/v1/namespaces/default/pods/big/log`, { dispatcher, headers: { authorization: `Bearer ${cfg.users[0].user.token}` } });
    let bytes = 0;
    for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    await dispatcher.close();
    assert.ok(bytes > 190_000_000, `streamed ${bytes} bytes`);
  } finally {
    await sim.close();
  }
});

// ---------------------------------------------------------------- service proxy

test('service proxy: scripted answers, port name/number, 404 and 503 like the real one, exact paths', async () => {
  await withSim(async (sim) => {
    const k = sim.kubeconfigPath;
    const health = await raw(k, 'GET', '/api/v1/namespaces/akash-services/services/operator-ip:rest/proxy/health');
    assert.equal(health.status, 503);
    assert.equal(health.text, 'barrier is locked\n');
    const byNumber = await raw(k, 'GET', '/api/v1/namespaces/akash-services/services/operator-ip:8080/proxy/health');
    assert.equal(byNumber.status, 503);
    assert.equal(byNumber.text, 'barrier is locked\n');
    const scheme = await raw(k, 'GET', '/api/v1/namespaces/akash-services/services/http:operator-ip:rest/proxy/health');
    assert.equal(scheme.text, 'barrier is locked\n');
    const noScript = await raw(k, 'GET', '/api/v1/namespaces/akash-services/services/operator-ip:rest/proxy/state');
    assert.equal(noScript.status, 503);
    assert.equal(noScript.json().kind, 'Status');
    assert.match(noScript.json().message, /error trying to reach service/);
    const escaped = await raw(k, 'GET', '/api/v1/namespaces/akash-services/services/operator-ip:rest/proxy%2Fhealth');
    assert.notEqual(escaped.text, 'barrier is locked\n');
    const missing = await raw(k, 'GET', '/api/v1/namespaces/metallb-system/services/controller:monitoring/proxy/metrics');
    assert.equal(missing.status, 404);
    assert.equal(missing.json().message, 'services "controller" not found');
    const badPort = await raw(k, 'GET', '/api/v1/namespaces/akash-services/services/operator-ip:api/proxy/health');
    assert.equal(badPort.status, 503);
    assert.equal(badPort.json().message, 'no endpoints available for service "operator-ip:api"');

    // a Service whose selector matches no pod: no endpoints
    const { core } = clients(k);
    await core.createNamespacedService({
      namespace: 'metallb-system',
      body: { metadata: { name: 'controller' }, spec: { selector: { app: 'nothing' }, ports: [{ name: 'monitoring', port: 7472 }] } },
    });
    const noEp = await raw(k, 'GET', '/api/v1/namespaces/metallb-system/services/controller:monitoring/proxy/metrics');
    assert.equal(noEp.status, 503);
    assert.equal(noEp.json().message, 'no endpoints available for service "controller"');
    await core.patchNamespacedService(
      { name: 'controller', namespace: 'metallb-system', body: { spec: { selector: { app: null, 'app.kubernetes.io/name': 'metallb', 'app.kubernetes.io/component': 'controller' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const metrics = await raw(k, 'GET', '/api/v1/namespaces/metallb-system/services/controller:monitoring/proxy/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /metallb_allocator_addresses_total\{pool="default"\} 16/);
  });
});

// ---------------------------------------------------------------- controllers

test('deleting a Deployment pod brings a replacement with a new name and the afterRestart behaviour', async () => {
  await withSim(async (sim) => {
    const { core } = clients(sim.kubeconfigPath);
    const ns = 'akash-services';
    const deletedAt = Date.now();
    await core.deleteNamespacedPod({ name: 'operator-ip-6f9c7b-x2x9k', namespace: ns, body: { propagationPolicy: 'Background' } });
    const now = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/name=ip' });
    // the old pod is gone at once (its replacement may already exist on a slow machine)
    assert.ok(!now.items.some((p) => p.metadata?.name === 'operator-ip-6f9c7b-x2x9k'), 'deletion is immediate');
    const fresh = await until(async () => (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/name=ip' })).items[0]);
    const name = fresh.metadata!.name!;
    assert.match(name, /^operator-ip-6f9c7b-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.notEqual(name, 'operator-ip-6f9c7b-x2x9k');
    assert.equal(fresh.status?.phase, 'Running');
    assert.equal(fresh.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.equal(fresh.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    // started by the controller after the deletion (startTime has whole seconds)
    assert.ok(new Date(fresh.status!.startTime!).getTime() >= Math.floor(deletedAt / 1000) * 1000);
    const log = await core.readNamespacedPodLog({ name, namespace: ns });
    assert.match(log, /barrier can now be passed/);
    const health = await raw(sim.kubeconfigPath, 'GET', '/api/v1/namespaces/akash-services/services/operator-ip:rest/proxy/health');
    assert.equal(health.status, 200);
    assert.equal(health.text, 'OK');
    const usage = await raw(sim.kubeconfigPath, 'GET', '/api/v1/namespaces/akash-services/services/operator-ip:rest/proxy/usage');
    assert.deepEqual(usage.json(), { Available: 14, InUse: 2 });

    // StatefulSet pods come back under the same name with the old logs
    await core.deleteNamespacedPod({ name: 'akash-provider-0', namespace: ns });
    const sts = await until(async () => (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=akash-provider' })).items[0]);
    assert.equal(sts.metadata?.name, 'akash-provider-0');
    assert.equal(sts.status?.containerStatuses?.[0]?.restartCount, 0);

    // a rollout restart (pod template change) replaces the pods of a DaemonSet
    const { apps } = clients(sim.kubeconfigPath);
    await apps.patchNamespacedDaemonSet(
      { name: 'kube-proxy', namespace: 'kube-system', body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-01-01T00:00:00Z' } } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const kp = await until(async () => {
      const l = await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app=kube-proxy' });
      return l.items.length === 1 && l.items[0]!.metadata!.name !== 'kube-proxy-7xk2p' ? l.items[0] : undefined;
    });
    assert.equal(kp.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], '2024-01-01T00:00:00Z');
  });
});

// ---------------------------------------------------------------- watch

test('watch streams events after a resourceVersion and honours timeoutSeconds', async () => {
  await withSim(async (sim) => {
    const { core } = clients(sim.kubeconfigPath);
    const list = await core.listNamespacedConfigMap({ namespace: 'kube-system' });
    const rv = list.metadata!.resourceVersion!;
    const cfg = parseYaml(sim.kubeconfig);
    const ca = Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
    const dispatcher = new Agent({ connect: { ca } });
    const t0 = Date.now();
    const res = await request(`${sim.server}/api/v1/namespaces/kube-system/configmaps?watch=true&resourceVersion=${rv}&timeoutSeconds=1&labelSelector=w%3D1`, {
      dispatcher,
      headers: { authorization: `Bearer ${cfg.users[0].user.token}` },
    });
    assert.equal(res.statusCode, 200);
    await core.createNamespacedConfigMap({ namespace: 'kube-system', body: { metadata: { name: 'w1', labels: { w: '1' } } } });
    await core.createNamespacedConfigMap({ namespace: 'kube-system', body: { metadata: { name: 'other' } } });
    await core.deleteNamespacedConfigMap({ name: 'w1', namespace: 'kube-system' });
    const text = await res.body.text();
    await dispatcher.close();
    const events = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: KubeObject });
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w1', 'DELETED w1']);
    const took = Date.now() - t0;
    // ends by itself once timeoutSeconds=1 has passed, not before
    assert.ok(took >= 900, `watch ended after ${took} ms`);
  });
});

// ---------------------------------------------------------------- faults and request log

test('faults: latency, 429 with Retry-After, deterministic 500s, hangs; request log', async () => {
  await withSim(async (sim) => {
    const k = sim.kubeconfigPath;
    sim.clearRequests();
    await raw(k, 'GET', '/api/v1/namespaces/kube-system/configmaps?labelSelector=app%3Dkube-proxy');
    assert.equal(sim.requests.length, 1);
    assert.deepEqual(
      { ...sim.requests[0], at: 0, startMs: 0, endMs: 0, conn: 0 },
      { method: 'GET', path: '/api/v1/namespaces/kube-system/configmaps', query: 'labelSelector=app%3Dkube-proxy', status: 200, user: 'admin', at: 0, startMs: 0, endMs: 0, conn: 0 },
    );

    sim.faults.latencyMs = 150;
    let t0 = Date.now();
    await raw(k, 'GET', '/version');
    assert.ok(Date.now() - t0 >= 140);
    sim.faults.latencyMs = 0;

    sim.faults.burst429 = { remaining: 2, retryAfterSeconds: 7 };
    const a = await raw(k, 'GET', '/api/v1/namespaces');
    const b = await raw(k, 'GET', '/api/v1/namespaces');
    const c = await raw(k, 'GET', '/api/v1/namespaces');
    assert.deepEqual([a.status, b.status, c.status], [429, 429, 200]);
    assert.equal(a.headers['retry-after'], '7');
    assert.equal(a.json().reason, 'TooManyRequests');

    sim.faults.errorRate = 0.5;
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await raw(k, 'GET', '/api/v1/namespaces')).status);
    sim.faults.errorRate = 0;
    const errors = statuses.filter((s) => s === 500).length;
    assert.ok(errors > 8 && errors < 32, `${errors} of 40 failed`);

    sim.faults.hang = [/\/configmaps$/];
    await assert.rejects(raw(k, 'GET', '/api/v1/namespaces/kube-system/configmaps', { timeoutMs: 300 }));
    assert.equal((await raw(k, 'GET', '/api/v1/namespaces/kube-system/pods')).status, 200);
    // leave one request hanging: close() must still finish promptly
    const pending = raw(k, 'GET', '/api/v1/namespaces/akash-services/configmaps', { timeoutMs: 30_000 }).catch((e: Error) => e);
    const hung = () => sim.requests.filter((r) => r.path.endsWith('/configmaps') && r.status === 0);
    // wait (boundedly) until the second request has reached the simulator
    for (const end = Date.now() + 20_000; hung().length < 2 && Date.now() < end; ) await sleep(20);
    assert.equal(hung().length, 2);
    await sim.close(); // returns although a request hangs
    assert.ok((await pending) instanceof Error);
  });
});

test('faults from startSim options override the Behaviour faults', async () => {
  const state = await loadScenario('_sim-selftest');
  state.behaviour.faults = { latencyMs: 500 };
  const sim = await startSim(state, { latencyMs: 0, burst429: { remaining: 1, retryAfterSeconds: 2 } });
  try {
    assert.equal(sim.faults.latencyMs, 0);
    const first = await raw(sim.kubeconfigPath, 'GET', '/version');
    assert.equal(first.status, 429);
    assert.equal(first.headers['retry-after'], '2');
  } finally {
    await sim.close();
  }
});

// ---------------------------------------------------------------- provider responder

async function providerGet(url: string, timeoutMs = 2000): Promise<{ status: number; text: string }> {
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  try {
    const res = await request(`${url}/status`, { dispatcher, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.statusCode, text: await res.body.text() };
  } finally {
    await dispatcher.close().catch(() => {});
  }
}

test('provider :8443 responder: ok, error, hang, refused, and afterRestart', async () => {
  await withSim(async (sim) => {
    const ok = await providerGet(sim.providerUrl);
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.text).cluster_public_hostname, 'provider.example.com');
    assert.equal(sim.providerRequests.length, 1);
    assert.equal(sim.requests.length, 0, 'provider requests are not API requests');
  });
  await withSim(
    async (sim) => {
      const r = await providerGet(sim.providerUrl);
      assert.equal(r.status, 502);
      assert.equal(r.text, 'upstream <html>');
    },
    (s) => {
      s.behaviour.providerStatus = { mode: 'error', status: 502, body: 'upstream <html>' };
    },
  );
  await withSim(
    async (sim) => {
      await assert.rejects(providerGet(sim.providerUrl, 300));
      // the stuck operator recovers after its pod is deleted; the provider answers again
      const { core } = clients(sim.kubeconfigPath);
      await core.deleteNamespacedPod({ name: 'operator-ip-6f9c7b-x2x9k', namespace: 'akash-services' });
      await until(async () => (await core.listNamespacedPod({ namespace: 'akash-services', labelSelector: 'app.kubernetes.io/name=ip' })).items[0]);
      const after = await providerGet(sim.providerUrl);
      assert.equal(after.status, 200);
      // a request still hanging does not block close()
    },
    (s) => {
      s.behaviour.providerStatus = { mode: 'hang' };
      s.behaviour.afterRestart['akash-services/operator-ip']!.providerStatus = { mode: 'ok', status: 200, body: { ok: true } };
    },
  );
  await withSim(
    async (sim) => {
      const err = await providerGet(sim.providerUrl).catch((e: Error & { code?: string }) => e);
      assert.ok(err instanceof Error);
      assert.equal((err as Error & { code?: string }).code, 'ECONNREFUSED');
      assert.match(sim.providerUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    },
    (s) => {
      s.behaviour.providerStatus = { mode: 'refused' };
    },
  );
  // hang + close() with an open request
  const state = await loadScenario('_sim-selftest');
  state.behaviour.providerStatus = { mode: 'hang' };
  const sim = await startSim(state);
  const pending = providerGet(sim.providerUrl, 30_000).catch((e: Error) => e);
  await sleep(100);
  await sim.close(); // must return although a request hangs (the test's timeout guards it)
  assert.ok((await pending) instanceof Error);
});

// ---------------------------------------------------------------- CRDs

test('custom resources: CRD-defined kinds, cluster vs namespaced scope, CRDs without defaults', async () => {
  await withSim(async (sim) => {
    const { custom } = clients(sim.kubeconfigPath);
    const crds = (await raw(sim.kubeconfigPath, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions')).json();
    assert.ok(crds.items.some((c: KubeObject) => c.metadata.name === 'ipaddresspools.metallb.io'));
    await custom.createNamespacedCustomObject({
      group: 'akash.network',
      version: 'v2beta2',
      namespace: 'akash-services',
      plural: 'providerleasedips',
      body: { apiVersion: 'akash.network/v2beta2', kind: 'ProviderLeasedIP', metadata: { name: 'lease1' }, spec: { port: 80 } },
    });
    const l = await custom.listClusterCustomObject({ group: 'akash.network', version: 'v2beta2', plural: 'providerleasedips' });
    assert.equal(l.items.length, 1);
    const cluster = await raw(sim.kubeconfigPath, 'GET', '/api/v1/namespaces/default/nodes');
    assert.equal(cluster.status, 404);
  });
  const bare = parseState('apiVersion: sim.akash-ip-doctor/v1\nkind: Behaviour\ndefaultCrds: false\n');
  const sim = await startSim(bare);
  try {
    const groups = (await raw(sim.kubeconfigPath, 'GET', '/apis')).json();
    assert.ok(!groups.groups.some((g: { name: string }) => g.name === 'metallb.io'));
  } finally {
    await sim.close();
  }
});

// ---------------------------------------------------------------- performance

test('a large state (15k objects) loads and serves selector lists and pages over 10k pods (timings printed, not asserted)', async () => {
  const docs: string[] = [];
  for (let n = 0; n < 500; n++) docs.push(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `tenant-${n}` } }));
  for (let i = 0; i < 10_000; i++) {
    docs.push(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `web-${i}-abcde`, namespace: `tenant-${i % 500}`, labels: { app: `web-${i % 50}`, 'akash.network': 'true' } },
        spec: { nodeName: `node${i % 10}`, containers: [{ name: 'app', image: 'nginx:1.25' }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      }),
    );
  }
  for (let i = 0; i < 2_000; i++) {
    docs.push(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `lease-${i}`, namespace: `tenant-${i % 500}`, labels: { 'akash.network': 'true', 'akash.network/service-target': 'metal-lb' } },
        spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80 }] },
        status: { loadBalancer: { ingress: [{ ip: `144.217.${Math.floor(i / 250)}.${i % 250}` }] } },
      }),
    );
  }
  for (let i = 0; i < 2_500; i++) docs.push(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: `tenant-${i % 500}` } }));
  let t0 = Date.now();
  const state = parseState(docs.join('\n---\n'));
  const parseMs = Date.now() - t0;
  assert.equal(state.objects.length, 15_000);
  t0 = Date.now();
  const sim = await startSim(state);
  const startMs = Date.now() - t0;
  try {
    const { core } = clients(sim.kubeconfigPath);
    t0 = Date.now();
    const lb = await core.listServiceForAllNamespaces({ labelSelector: 'akash.network=true,akash.network/service-target=metal-lb' });
    const lbMs = Date.now() - t0;
    assert.equal(lb.items.length, 2000);
    t0 = Date.now();
    const pods = await core.listPodForAllNamespaces({ labelSelector: 'app in (web-1,web-2)' });
    const podMs = Date.now() - t0;
    assert.equal(pods.items.length, 400);
    t0 = Date.now();
    const page = await core.listPodForAllNamespaces({ labelSelector: 'akash.network=true', limit: 500 });
    const pageMs = Date.now() - t0;
    assert.equal(page.items.length, 500);
    assert.ok(page.metadata?._continue);
    console.log(`# sim perf: parse ${parseMs} ms, start ${startMs} ms, 2000 LB services ${lbMs} ms, 10k-pod selector list ${podMs} ms, page of 500 ${pageMs} ms`);
  } finally {
    await sim.close();
  }
});
