/**
 * deploy/ and the Dockerfile: every manifest parses, the kustomizations build, the
 * CronJob / Deployment / alerts say what the README promises, and real `kubectl apply
 * --dry-run=client -k` accepts each kustomization (against the simulated API server;
 * skipped with the reason where kubectl is not installed).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments, parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startSim, loadScenario, type SimHandle } from '../src/sim/index.js';
import { DEFAULT_RUN_OPTIONS } from '../src/core/engine.js';
import { METRIC } from '../src/report/metrics.js';
import { TOOL_VERSION } from '../src/core/version.js';
import { repoRoot } from './report-schema.js';

const DEPLOY = path.join(repoRoot, 'deploy');
const KUSTOMIZATIONS = ['.', 'cronjob', 'exporter', 'prometheus', 'fix', 'rbac'];
const IMAGE = `ghcr.io/OWNER/akash-ip-doctor:${TOOL_VERSION}`;

type Obj = Record<string, any>;

function run(cmd: string, args: string[], cwd = repoRoot): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : -1) : 0;
      resolve({ code, stdout, stderr: stderr || (err && code === -1 ? String(err.message) : '') });
    });
  });
}

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await yamlFiles(p)));
    else if (e.name.endsWith('.yaml')) out.push(p);
  }
  return out.sort();
}

let kubectl: string | undefined;
async function haveKubectl(): Promise<boolean> {
  if (kubectl === undefined) kubectl = (await run('kubectl', ['version', '--client'])).code === 0 ? 'kubectl' : '';
  return kubectl !== '';
}

async function build(dir: string): Promise<Obj[]> {
  const r = await run('kubectl', ['kustomize', path.join(DEPLOY, dir)]);
  assert.equal(r.code, 0, `kubectl kustomize deploy/${dir}: ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
}

const find = (objs: Obj[], kind: string, name = 'akash-ip-doctor') => objs.find((o) => o.kind === kind && o.metadata.name === name);

function assertLockedDown(podSpec: Obj, what: string): Obj {
  assert.equal(podSpec.serviceAccountName, 'akash-ip-doctor', what);
  assert.equal(podSpec.securityContext.runAsNonRoot, true, `${what}: runAsNonRoot`);
  assert.ok(podSpec.securityContext.runAsUser > 0, `${what}: a numeric non-root UID`);
  assert.equal(podSpec.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.equal(podSpec.containers.length, 1);
  const c = podSpec.containers[0];
  assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${what}: readOnlyRootFilesystem`);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  for (const k of ['cpu', 'memory']) {
    assert.ok(c.resources.requests[k], `${what}: requests.${k}`);
    assert.ok(c.resources.limits[k], `${what}: limits.${k}`);
  }
  // no kubeconfig: the pod's service account is found by the in-cluster config
  assert.ok(!(c.args ?? []).some((a: string) => /kubeconfig/.test(a)), `${what}: no --kubeconfig`);
  assert.ok(!(c.env ?? []).some((e: Obj) => e.name === 'KUBECONFIG'), `${what}: no KUBECONFIG`);
  assert.ok(!(podSpec.volumes ?? []).some((v: Obj) => v.secret || v.configMap), `${what}: no mounted kubeconfig`);
  assert.notEqual(podSpec.automountServiceAccountToken, false);
  return c;
}

describe('deploy/ manifests', () => {
  test('every YAML file parses; every object has apiVersion, kind and a name', async () => {
    const files = await yamlFiles(DEPLOY);
    assert.ok(files.length >= 10, files.join(', '));
    for (const f of files) {
      for (const d of parseAllDocuments(await readFile(f, 'utf8'))) {
        assert.equal(d.errors.length, 0, `${path.relative(repoRoot, f)}: ${d.errors.map((e) => e.message).join('; ')}`);
        const o = d.toJS() as Obj;
        assert.ok(o.apiVersion && o.kind, `${path.relative(repoRoot, f)}: apiVersion and kind`);
        if (o.kind !== 'Kustomization') assert.ok(o.metadata?.name, `${path.relative(repoRoot, f)}: ${o.kind} has a name`);
      }
    }
  });

  test('kustomizations build; `kubectl apply -k deploy/` is the read-only CronJob install', async (t) => {
    if (!(await haveKubectl())) return t.skip('kubectl is not installed: kustomize builds not checked');
    const all = await build('.');
    assert.deepEqual([...new Set(all.map((o) => o.kind))].sort(), ['ClusterRole', 'ClusterRoleBinding', 'CronJob', 'Namespace', 'Role', 'RoleBinding', 'ServiceAccount']);
    for (const o of all.filter((x) => x.kind === 'Role' || x.kind === 'ClusterRole')) {
      for (const r of o.rules) for (const v of r.verbs) assert.ok(['get', 'list', 'watch'].includes(v) || (v === 'create' && r.resources.includes('selfsubjectaccessreviews')), `${o.kind} ${o.metadata.name}: ${v} is a write`);
    }
    // namespaced objects keep their own namespaces (no kustomize `namespace:` override)
    assert.deepEqual([...new Set(all.filter((o) => o.kind === 'Role').map((o) => o.metadata.namespace))].sort(), ['akash-services', 'kube-system', 'metallb-system']);
    const exporter = await build('exporter');
    assert.ok(find(exporter, 'Deployment') && find(exporter, 'Service') && !find(exporter, 'CronJob'));
    const prom = await build('prometheus');
    assert.deepEqual(prom.map((o) => o.kind).sort(), ['PrometheusRule', 'ServiceMonitor']);
    const fix = await build('fix');
    assert.ok(fix.some((o) => o.kind === 'Role' && o.rules.some((r: Obj) => r.verbs.includes('delete'))), 'the fix roles write');
    assert.ok(!all.some((o) => o.metadata.name === 'akash-ip-doctor-fix'), 'the fix roles are opt-in, not in deploy/');
  });

  test('CronJob: every 15 minutes, Forbid, JSON to stdout, locked down, no kubeconfig, the documented image', async (t) => {
    if (!(await haveKubectl())) return t.skip('kubectl is not installed');
    const cj = find(await build('.'), 'CronJob')!;
    assert.equal(cj.spec.schedule, '*/15 * * * *');
    assert.equal(cj.spec.concurrencyPolicy, 'Forbid');
    const pod = cj.spec.jobTemplate.spec.template.spec;
    assert.equal(pod.restartPolicy, 'Never');
    const c = assertLockedDown(pod, 'CronJob');
    assert.equal(c.args[0], 'check');
    assert.deepEqual(c.args.slice(c.args.indexOf('--output'), c.args.indexOf('--output') + 2), ['--output', 'json']);
    assert.equal(c.image, IMAGE, 'image placeholder carries the package version');
  });

  test('exporter: serve on :9477 every 5m, probes on /healthz, Service on the same port', async (t) => {
    if (!(await haveKubectl())) return t.skip('kubectl is not installed');
    const objs = await build('exporter');
    const dep = find(objs, 'Deployment')!;
    assert.equal(dep.spec.replicas, 1, 'one exporter per cluster');
    const c = assertLockedDown(dep.spec.template.spec, 'Deployment');
    assert.equal(c.image, IMAGE);
    assert.equal(c.args[0], 'serve');
    assert.equal(c.args[c.args.indexOf('--listen') + 1], ':9477');
    assert.equal(c.args[c.args.indexOf('--interval') + 1], '5m');
    assert.equal(c.ports[0].containerPort, 9477);
    assert.equal(c.readinessProbe.httpGet.path, '/healthz');
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    const svc = find(objs, 'Service')!;
    assert.equal(svc.spec.ports[0].port, 9477);
    assert.equal(svc.spec.ports[0].targetPort, c.ports[0].name);
    for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(dep.spec.template.metadata.labels[k], v);
  });

  test('alerts: not ready for 15m, pool at the low-water mark, no run for 3 intervals — on the exported series', async () => {
    const [rule] = parseAllDocuments(await readFile(path.join(DEPLOY, 'prometheus', 'alerts.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
    const rules: Obj[] = rule!.spec.groups.flatMap((g: Obj) => g.rules);
    const byName = new Map(rules.map((r) => [r.alert, r]));
    const notReady = byName.get('AkashIPLeasesNotReady')!;
    assert.equal(notReady.expr, `${METRIC.healthy} == 0`);
    assert.equal(notReady.for, '15m');
    const low = byName.get('AkashIPPoolLow')!;
    assert.equal(low.expr, `${METRIC.poolFree} <= ${DEFAULT_RUN_OPTIONS.poolLowThreshold}`);
    const stale = byName.get('AkashIPDoctorNotRunning')!;
    // 3 intervals of the exporter's --interval 5m
    assert.equal(stale.expr, `time() - ${METRIC.lastRun} > 3 * 300`);
    assert.match(byName.get('AkashIPDoctorAbsent')!.expr, new RegExp(`^absent\\(${METRIC.lastRun}\\)$`));
    for (const r of rules) {
      assert.ok(r.labels.severity && r.annotations.summary && r.annotations.description, r.alert);
      for (const m of String(r.expr).match(/akash_ip_doctor_[a-z_]+/g) ?? []) assert.ok((Object.values(METRIC) as string[]).includes(m), `${r.alert} uses an exported series: ${m}`);
    }
  });

  test('`kubectl apply --dry-run=client -k` accepts every kustomization', async (t) => {
    if (!(await haveKubectl())) return t.skip('kubectl is not installed: dry-run not checked');
    let sim: SimHandle | undefined;
    try {
      sim = await startSim(await loadScenario('healthy-helm'));
      // The simulator serves no rbac.authorization.k8s.io, batch or monitoring.coreos.com API; register
      // them as CRDs so kubectl can map the kinds (the schemas of built-in kinds are not checked here).
      const kinds: [string, string, string, 'Cluster' | 'Namespaced'][] = [
        ['rbac.authorization.k8s.io', 'ClusterRole', 'clusterroles', 'Cluster'],
        ['rbac.authorization.k8s.io', 'ClusterRoleBinding', 'clusterrolebindings', 'Cluster'],
        ['rbac.authorization.k8s.io', 'Role', 'roles', 'Namespaced'],
        ['rbac.authorization.k8s.io', 'RoleBinding', 'rolebindings', 'Namespaced'],
        ['batch', 'CronJob', 'cronjobs', 'Namespaced'],
        ['monitoring.coreos.com', 'PrometheusRule', 'prometheusrules', 'Namespaced'],
        ['monitoring.coreos.com', 'ServiceMonitor', 'servicemonitors', 'Namespaced'],
      ];
      const crds = kinds.map(([group, kind, plural, scope]) => ({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `${plural}.${group}` },
        spec: { group, scope, names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
      }));
      const crdFile = path.join(path.dirname(sim.kubeconfigPath), 'crds.yaml');
      await writeFile(crdFile, crds.map((c) => stringifyYaml(c)).join('---\n'));
      const c = await run('kubectl', ['--kubeconfig', sim.kubeconfigPath, 'apply', '-f', crdFile]);
      assert.equal(c.code, 0, c.stderr);
      for (const dir of KUSTOMIZATIONS) {
        const r = await run('kubectl', ['--kubeconfig', sim.kubeconfigPath, 'apply', '--dry-run=client', '-k', path.join('deploy', dir)]);
        assert.equal(r.code, 0, `kubectl apply --dry-run=client -k deploy/${dir}: ${r.stderr}`);
        const built = await build(dir);
        assert.equal(r.stdout.trim().split('\n').filter((l) => l.endsWith('(dry run)')).length, built.length, `deploy/${dir}: every object\n${r.stdout}`);
      }
    } finally {
      await sim?.close();
    }
  });
});

describe('Dockerfile', () => {
  test('small Node 20 base, non-root numeric user, production dependencies only, the schema shipped', async () => {
    const text = await readFile(path.join(repoRoot, 'Dockerfile'), 'utf8');
    const froms = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);
    assert.ok(froms.length >= 1 && froms.every((f) => /^node:20(\.\d+)*-(alpine|slim)/.test(f)), froms.join(', '));
    assert.match(text, /npm ci --omit=dev/);
    const user = /^USER (\d+)(?::(\d+))?$/m.exec(text);
    assert.ok(user && Number(user[1]) > 0, 'USER is a numeric non-root UID (runAsNonRoot can verify it)');
    assert.match(text, /^COPY schema \.\/schema$/m, 'the `schema` command reads schema/report.schema.json');
    assert.match(text, /^ENTRYPOINT \["node", "\/app\/bin\/akash-ip-doctor\.js"\]$/m);
    // the pods run as this UID
    const cj = parseYaml(await readFile(path.join(DEPLOY, 'cronjob', 'cronjob.yaml'), 'utf8')) as Obj;
    assert.equal(cj.spec.jobTemplate.spec.template.spec.securityContext.runAsUser, Number(user[1]));
    const ignore = await readFile(path.join(repoRoot, '.dockerignore'), 'utf8');
    for (const p of ['node_modules', 'dist', '.git']) assert.match(ignore, new RegExp(`^${p.replace('.', '\\.')}$`, 'm'));
    // files the image needs are not ignored
    for (const p of ['src', 'bin', 'schema', 'package.json', 'package-lock.json', 'tsconfig.json']) assert.doesNotMatch(ignore, new RegExp(`^${p.replace('.', '\\.')}$`, 'm'));
  });
});

describe('package', () => {
  test('the schema file ships with the npm package', async () => {
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8'));
    assert.ok(pkg.files.includes('schema'), 'package.json files lists schema');
  });
});

