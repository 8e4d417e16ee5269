/**
 * MetalLB install checks against the simulated cluster: installed, version,
 * speaker, pod-security, excluded-nodes (scenarios m-*).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadScenario, type SimState } from '../src/sim/index.js';
import { expectCheck, result, runScenario } from './helpers.js';

const INSTALL = ['metallb.installed', 'metallb.version', 'metallb.speaker', 'metallb.pod-security', 'metallb.excluded-nodes'];
const ALL_MINE = [
  ...INSTALL,
  'metallb.metrics',
  'metallb.legacy-config',
  'metallb.default-pool',
  'metallb.advertisement',
  'metallb.pool-capacity',
  'metallb.pending-services',
];

/** healthy-helm with the controller image replaced. */
async function withControllerImage(image: string): Promise<SimState> {
  const s = await loadScenario('healthy-helm');
  const dep = s.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'metallb-controller') as any;
  dep.spec.template.spec.containers[0].image = image;
  return s;
}

describe('healthy providers pass every MetalLB check', () => {
  for (const scenario of ['healthy-helm', 'healthy-kubespray']) {
    test(scenario, async () => {
      const { report } = await runScenario(scenario, { only: ALL_MINE });
      for (const id of ALL_MINE) expectCheck(report, id, 'pass');
      const installed = result(report, 'metallb.installed');
      assert.equal(installed.details?.method, scenario === 'healthy-helm' ? 'helm' : 'manifest');
      assert.equal(installed.details?.version, 'v0.14.8');
    });
  }
});

describe('metallb.installed', () => {
  test('healthy: method and version from the image tag', async () => {
    const { report } = await runScenario('healthy-helm', { only: ['metallb.installed'] });
    expectCheck(report, 'metallb.installed', 'pass', /metallb-system\/metallb-controller available \(1\/1\)/, /Helm/, /v0\.14\.8/);
  });

  test('controller unavailable: 0/1 with the pod problem', async () => {
    const { report } = await runScenario('m-controller-unavailable', { only: ['metallb.installed', 'metallb.metrics'] });
    const r = expectCheck(report, 'metallb.installed', 'fail', /not available/, /0\/1 replicas/, /ImagePullBackOff/, /describe pod/);
    assert.ok(Array.isArray(r.details?.pods));
    // the metrics Service then has no ready endpoint
    expectCheck(report, 'metallb.metrics', 'fail', /no ready endpoint/, /monitoring/);
  });

  test('no controller Deployment at all', async () => {
    const s = await loadScenario('healthy-helm');
    s.objects = s.objects.filter((o) => !(o.kind === 'Deployment' && o.metadata.name === 'metallb-controller'));
    const { report } = await runScenario(s, { only: ['metallb.installed', 'metallb.version'] });
    const r = expectCheck(report, 'metallb.installed', 'fail', /no MetalLB controller Deployment/, /app\.kubernetes\.io\/component=controller/, /helm -n metallb-system install metallb/);
    assert.equal(r.details?.reason, 'controller-missing');
    assert.ok(r.remedy?.commands.some((c) => c.includes('--version 0.14.9')));
    expectCheck(report, 'metallb.version', 'skip', /no MetalLB controller Deployment/);
  });

  test('scaled to 0 is its own failure', async () => {
    const s = await loadScenario('healthy-helm');
    const dep = s.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'metallb-controller') as any;
    dep.spec.replicas = 0;
    dep.status = { replicas: 0, conditions: [{ type: 'Available', status: 'True' }] };
    const { report } = await runScenario(s, { only: ['metallb.installed'] });
    expectCheck(report, 'metallb.installed', 'fail', /scaled to 0/, /scale deployment metallb-controller --replicas=1/);
  });
});

describe('metallb.version', () => {
  test('0.14.8 passes', async () => {
    const { report } = await runScenario('healthy-helm', { only: ['metallb.version'] });
    expectCheck(report, 'metallb.version', 'pass', /v0\.14\.8/, /0\.13 to 0\.15/);
  });

  test('0.12.1: no CRDs, configured by a ConfigMap', async () => {
    const { report } = await runScenario('m-metallb-0-12', { only: ['metallb.version'] });
    const r = expectCheck(report, 'metallb.version', 'fail', /v0\.12\.1/, /older than 0\.13/, /ConfigMap/);
    assert.match(r.remedy!.commands[0]!, /helm -n metallb-system upgrade metallb metallb\/metallb --version 0\.14\.9/);
  });

  test('0.16.0: no plain-HTTP metrics on 7472', async () => {
    const { report } = await runScenario('m-metallb-0-16', { only: ['metallb.version', 'metallb.metrics'] });
    const r = expectCheck(report, 'metallb.version', 'fail', /v0\.16\.0/, /no longer serves plain-HTTP metrics/, /9120/);
    assert.equal(r.details?.reason, 'version-too-new');
    // a chart downgrade: back up pools and advertisements first, then the helm command of the release
    assert.deepEqual(r.remedy?.commands, [
      'kubectl -n metallb-system get ipaddresspools,l2advertisements,bgpadvertisements -o yaml > metallb-backup.yaml',
      'helm -n metallb-system upgrade metallb metallb/metallb --version 0.14.9',
    ]);
    expectCheck(report, 'metallb.metrics', 'fail', /could not reach the controller/, /connection refused/);
  });

  test('0.15.x passes, 0.13.0 passes', async () => {
    for (const tag of ['v0.15.2', 'v0.13.0']) {
      const { report } = await runScenario(await withControllerImage(`quay.io/metallb/controller:${tag}`), { only: ['metallb.version'] });
      expectCheck(report, 'metallb.version', 'pass', new RegExp(tag.replace(/\./g, '\\.')));
    }
  });

  test('tag "main" cannot be checked: warn', async () => {
    const { report } = await runScenario('m-version-unparsable', { only: ['metallb.version'] });
    expectCheck(report, 'metallb.version', 'warn', /could not be determined/, /"main"/);
  });

  test('digest-only image: warn', async () => {
    const { report } = await runScenario(await withControllerImage('quay.io/metallb/controller@sha256:' + 'a'.repeat(64)), { only: ['metallb.version'] });
    expectCheck(report, 'metallb.version', 'warn', /could not be determined/, /no version tag/);
  });

  test('manifest installs get the manifest command', async () => {
    const s = await loadScenario('healthy-kubespray');
    const dep = s.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'controller') as any;
    dep.spec.template.spec.containers[0].image = 'quay.io/metallb/controller:v0.16.1';
    const { report } = await runScenario(s, { only: ['metallb.version'] });
    const r = expectCheck(report, 'metallb.version', 'fail', /v0\.16\.1/);
    assert.match(r.remedy!.commands[0]!, /metallb-backup\.yaml/);
    assert.match(r.remedy!.commands[1]!, /kubectl apply -f https:\/\/raw\.githubusercontent\.com\/metallb\/metallb\/v0\.14\.9\/config\/manifests\/metallb-native\.yaml/);
  });
});

describe('metallb.speaker', () => {
  test('healthy: ready and memberlist present; the Secret value never appears in the report', async () => {
    const { report } = await runScenario('healthy-helm', { only: ['metallb.speaker'] });
    expectCheck(report, 'metallb.speaker', 'pass', /metallb-system\/metallb-speaker has 2\/2 pods ready/, /memberlist Secret metallb-memberlist present/);
    const json = JSON.stringify(report);
    assert.ok(!json.includes('c2ltdWxhdGVkLW1lbWJlcmxpc3Qta2V5LW5vdC1yZWFs'), 'secret data leaked into the report');
    assert.ok(!json.includes('simulated-memberlist-key'), 'decoded secret leaked into the report');
  });

  test('speaker not ready: 1/3', async () => {
    const { report } = await runScenario('m-speaker-not-ready', { only: ['metallb.speaker'] });
    const r = expectCheck(report, 'metallb.speaker', 'fail', /1\/3 pods ready/, /describe ds metallb-speaker/);
    assert.doesNotMatch(r.message, /memberlist/);
  });

  test('memberlist Secret missing (named by the speaker volume)', async () => {
    const { report } = await runScenario('m-memberlist-missing', { only: ['metallb.speaker'] });
    const r = expectCheck(report, 'metallb.speaker', 'fail', /memberlist Secret metallb-system\/metallb-memberlist is missing/, /0\/2 pods ready/);
    assert.ok(r.remedy?.commands[0]!.includes('create secret generic metallb-memberlist'));
    assert.ok(r.remedy?.commands[1]!.includes('rollout restart ds metallb-speaker'));
  });

  test('Kubespray names: speaker + memberlist', async () => {
    const { report } = await runScenario('healthy-kubespray', { only: ['metallb.speaker'] });
    expectCheck(report, 'metallb.speaker', 'pass', /metallb-system\/speaker/, /memberlist Secret memberlist present/);
  });

  test('no speaker DaemonSet', async () => {
    const s = await loadScenario('healthy-helm');
    s.objects = s.objects.filter((o) => !(o.kind === 'DaemonSet' && o.metadata.name === 'metallb-speaker'));
    const { report } = await runScenario(s, { only: ['metallb.speaker'] });
    expectCheck(report, 'metallb.speaker', 'fail', /no MetalLB speaker DaemonSet/, /nothing announces/);
  });

  test('the speaker reads the Secret by existence only (get, never list)', async () => {
    const { sim } = await runScenario('healthy-helm', { only: ['metallb.speaker'] });
    const secretCalls = sim.requests.filter((r) => r.path.includes('/secrets'));
    assert.ok(secretCalls.length >= 1);
    for (const c of secretCalls) assert.match(c.path, /\/namespaces\/metallb-system\/secrets\/[a-z-]+$/);
  });
});

describe('metallb.pod-security', () => {
  test('privileged passes', async () => {
    const { report } = await runScenario('healthy-helm', { only: ['metallb.pod-security'] });
    expectCheck(report, 'metallb.pod-security', 'pass', /enforces Pod Security level privileged/);
  });

  test('enforce=baseline fails, with the blocked speaker and the label command', async () => {
    const { report } = await runScenario('m-psa-baseline', { only: ['metallb.pod-security'] });
    const r = expectCheck(report, 'metallb.pod-security', 'fail', /enforces Pod Security level "baseline"/, /0\/2 pods created/, /violates PodSecurity "baseline:latest"/);
    assert.equal(r.remedy?.fixId, 'metallb.label-psa');
    assert.deepEqual(r.remedy?.commands, [
      'kubectl label ns metallb-system pod-security.kubernetes.io/enforce=privileged pod-security.kubernetes.io/audit=privileged pod-security.kubernetes.io/warn=privileged --overwrite',
    ]);
  });

  test('labels missing and FailedCreate events: fail', async () => {
    const { report } = await runScenario('m-psa-missing-blocked', { only: ['metallb.pod-security'] });
    const r = expectCheck(report, 'metallb.pod-security', 'fail', /no Pod Security labels/, /cluster default blocks the speaker/, /violates PodSecurity/);
    assert.equal(r.details?.podSecurityEvents, 1);
    assert.equal(r.remedy?.fixId, 'metallb.label-psa');
  });

  test('labels missing, speaker running: warn', async () => {
    const { report } = await runScenario('m-psa-missing', { only: ['metallb.pod-security'] });
    const r = expectCheck(report, 'metallb.pod-security', 'warn', /no Pod Security labels/, /stricter default/);
    assert.equal(r.remedy?.fixId, 'metallb.label-psa');
  });

  test('labels missing and only the DaemonSet count shows the block (no events): fail', async () => {
    const s = await loadScenario('m-psa-missing-blocked');
    s.objects = s.objects.filter((o) => o.kind !== 'Event');
    const { report } = await runScenario(s, { only: ['metallb.pod-security'] });
    expectCheck(report, 'metallb.pod-security', 'fail', /0\/2 pods created/);
  });

  test('events are read with a FailedCreate field selector', async () => {
    const { sim } = await runScenario('m-psa-missing', { only: ['metallb.pod-security'] });
    const ev = sim.requests.filter((r) => r.path.endsWith('/namespaces/metallb-system/events'));
    assert.equal(ev.length, 1);
    assert.match(decodeURIComponent(ev[0]!.query), /fieldSelector=reason=FailedCreate/);
  });
});

describe('metallb.excluded-nodes', () => {
  test('none excluded passes', async () => {
    const { report } = await runScenario('healthy-helm', { only: ['metallb.excluded-nodes'] });
    expectCheck(report, 'metallb.excluded-nodes', 'pass', /no node is labelled/, /2 nodes/);
  });

  test('some excluded: warn with the unlabel command', async () => {
    const { report } = await runScenario('m-excluded-some', { only: ['metallb.excluded-nodes'] });
    const r = expectCheck(report, 'metallb.excluded-nodes', 'warn', /1 of 2 nodes \(node1\)/, /1 Ready node still can/);
    assert.deepEqual(r.remedy?.commands, ['kubectl label node node1 node.kubernetes.io/exclude-from-external-load-balancers-']);
  });

  test('the nodes are listed once (the labelled ones are picked out of that list)', async () => {
    const { report, sim } = await runScenario('m-excluded-some', { only: ['metallb.excluded-nodes'] });
    expectCheck(report, 'metallb.excluded-nodes', 'warn');
    const lists = sim.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/nodes');
    assert.equal(lists.length, 1, `node lists: ${lists.map((r) => decodeURIComponent(r.query)).join(' | ')}`);
  });

  test('single excluded node: fail, offering the label removal or speaker.ignoreExcludeLB', async () => {
    const { report } = await runScenario('m-excluded-single-node', { only: ['metallb.excluded-nodes'] });
    const r = expectCheck(report, 'metallb.excluded-nodes', 'fail', /the only node, node1, is labelled/, /from no node/, /exclude-from-external-load-balancers-/);
    assert.equal(r.details?.reason, 'all-nodes-excluded');
    assert.equal(r.details?.ignoreExcludeLB, false);
    assert.match(r.hint!, /helm -n metallb-system upgrade metallb metallb\/metallb --reuse-values --set speaker\.ignoreExcludeLB=true/);
  });

  test('single excluded node, speaker runs with --ignore-exclude-lb (0.14.4+): pass', async () => {
    const { report } = await runScenario('m-excluded-ignored', { only: ['metallb.excluded-nodes'] });
    const r = expectCheck(report, 'metallb.excluded-nodes', 'pass', /runs with --ignore-exclude-lb/);
    assert.equal(r.details?.reason, 'ignore-exclude-lb');
    assert.equal(r.details?.ignoreExcludeLB, true);
  });

  test('--ignore-exclude-lb=false, and the flag on a speaker older than 0.14.4, do not count', async () => {
    for (const [args, image] of [
      [['--ignore-exclude-lb', '--ignore-exclude-lb=false'], 'quay.io/metallb/speaker:v0.14.8'],
      [['--ignore-exclude-lb'], 'quay.io/metallb/speaker:v0.14.3'],
    ] as const) {
      const s = await loadScenario('m-excluded-ignored');
      const ds = s.objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'metallb-speaker') as any;
      ds.spec.template.spec.containers[0].args = [...args];
      ds.spec.template.spec.containers[0].image = image;
      const { report } = await runScenario(s, { only: ['metallb.excluded-nodes'] });
      const r = expectCheck(report, 'metallb.excluded-nodes', 'fail');
      assert.equal(r.details?.reason, 'all-nodes-excluded', JSON.stringify(args));
    }
  });

  test('every node excluded: fail', async () => {
    const s = await loadScenario('m-excluded-some');
    const n2 = s.objects.find((o) => o.kind === 'Node' && o.metadata.name === 'node2') ?? (await loadScenario('healthy-helm')).objects.find((o) => o.kind === 'Node' && o.metadata.name === 'node2')!;
    n2.metadata.labels = { ...(n2.metadata.labels ?? {}), 'node.kubernetes.io/exclude-from-external-load-balancers': 'true' };
    if (!s.objects.includes(n2)) s.objects.push(n2);
    const { report } = await runScenario(s, { only: ['metallb.excluded-nodes'] });
    const r = expectCheck(report, 'metallb.excluded-nodes', 'fail', /all 2 nodes \(node1, node2\)/);
    assert.equal(r.remedy?.commands.length, 2);
  });

  test('the remaining node is NotReady: fail', async () => {
    const s = await loadScenario('m-excluded-some');
    const n2 = s.objects.find((o) => o.kind === 'Node' && o.metadata.name === 'node2') as any;
    n2.status.conditions = [{ type: 'Ready', status: 'False' }];
    const { report } = await runScenario(s, { only: ['metallb.excluded-nodes'] });
    expectCheck(report, 'metallb.excluded-nodes', 'fail', /others \(node2\) are not Ready/);
  });

  test('MetalLB before 0.14 still announces from them: warn about the upgrade', async () => {
    const s = await loadScenario('m-excluded-single-node');
    const dep = s.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'metallb-controller') as any;
    dep.spec.template.spec.containers[0].image = 'quay.io/metallb/controller:v0.13.12';
    const ds = s.objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'metallb-speaker') as any;
    ds.spec.template.spec.containers[0].image = 'quay.io/metallb/speaker:v0.13.12';
    const { report } = await runScenario(s, { only: ['metallb.excluded-nodes'] });
    const r = expectCheck(report, 'metallb.excluded-nodes', 'warn', /v0\.13\.12 still announces/, /0\.14 and later will not/);
    assert.equal(r.details?.reason, 'label-ignored-by-old-metallb');
  });
});

describe('MetalLB installed by a Helm release not named metallb (release lb -> lb-metallb-*)', () => {
  const find = (s: SimState, kind: string, name: string): any => s.objects.find((o) => o.kind === kind && o.metadata.name === name);

  test('every MetalLB check finds it by its labels and passes', async () => {
    const { report } = await runScenario('m-helm-release-renamed', { only: ALL_MINE });
    for (const id of ALL_MINE) expectCheck(report, id, 'pass');
    const r = result(report, 'metallb.installed');
    assert.equal(r.details?.deployment, 'metallb-system/lb-metallb-controller');
    assert.equal(r.details?.release, 'lb');
    assert.equal(r.details?.foundBy, 'labels');
    assert.equal(result(report, 'metallb.speaker').details?.memberlistSecret, 'lb-metallb-memberlist');
  });

  test('remedies name the objects found: expose lb-metallb-controller, memberlist lb-metallb-memberlist, helm upgrade lb', async () => {
    const s = await loadScenario('m-helm-release-renamed');
    s.objects = s.objects.filter((o) => !(o.kind === 'Service' && o.metadata.name === 'controller') && !(o.kind === 'Secret' && o.metadata.name === 'lb-metallb-memberlist'));
    find(s, 'Deployment', 'lb-metallb-controller').spec.template.spec.containers[0].image = 'quay.io/metallb/controller:v0.16.0';
    const { report } = await runScenario(s, { only: ['metallb.controller-service', 'metallb.speaker', 'metallb.version'] });
    const svc = expectCheck(report, 'metallb.controller-service', 'fail', /expose deployment lb-metallb-controller --name=controller/);
    assert.equal(svc.details?.reason, 'service-missing');
    assert.deepEqual(svc.remedy?.params, { deployment: 'lb-metallb-controller' });
    const sp = expectCheck(report, 'metallb.speaker', 'fail', /lb-metallb-memberlist is missing/);
    assert.equal(sp.details?.reason, 'memberlist-missing');
    assert.match(sp.remedy!.commands[0]!, /create secret generic lb-metallb-memberlist/);
    assert.match(sp.remedy!.commands[1]!, /rollout restart ds lb-metallb-speaker/);
    const v = expectCheck(report, 'metallb.version', 'fail');
    assert.equal(v.remedy?.commands[1], 'helm -n metallb-system upgrade lb metallb/metallb --version 0.14.9');
  });

  test('a relabelled controller is still found by its image', async () => {
    const s = await loadScenario('m-helm-release-renamed');
    const dep = find(s, 'Deployment', 'lb-metallb-controller');
    dep.metadata.labels = { app: 'lb' };
    dep.spec.selector.matchLabels = { app: 'lb' };
    dep.spec.template.metadata.labels = { app: 'lb' };
    const { report } = await runScenario(s, { only: ['metallb.installed'] });
    const r = expectCheck(report, 'metallb.installed', 'pass', /lb-metallb-controller/);
    assert.equal(r.details?.foundBy, 'image');
  });
});

describe('every outcome of the MetalLB and kube-proxy checks carries details.reason', () => {
  const MINE = [...ALL_MINE, 'metallb.namespace', 'metallb.controller-service', 'kube-proxy.strict-arp'];
  const SCENARIOS = [
    'healthy-helm', 'healthy-kubespray', 'm-helm-release-renamed', 'm-metallb-0-16', 'm-metallb-0-12', 'm-version-unparsable', 'm-legacy-config',
    'm-legacy-leftover', 'm-pool-not-default', 'm-pool-overlap', 'm-pool-invalid-entry', 'm-pool-exhausted', 'm-pool-low', 'm-pool-no-autoassign',
    'm-pool-service-allocation', 'm-no-advertisement', 'm-advertisement-other-pool', 'm-metrics-svc-missing', 'm-metrics-unreachable',
    'm-memberlist-missing', 'm-speaker-not-ready', 'm-psa-baseline', 'm-psa-missing', 'm-psa-missing-blocked', 'm-excluded-some',
    'm-excluded-ignored', 'm-controller-unavailable', 'f-controller-selects-speaker', 'f-controller-port-80', 'f-no-metallb-ns',
  ];
  test('in every scenario of this area', { timeout: 240_000 }, async () => {
    const seen = new Set<string>();
    for (const scenario of SCENARIOS) {
      const { report } = await runScenario(scenario, { only: MINE });
      for (const r of report.checks) {
        if (!MINE.includes(r.id)) continue;
        // a skip because a dependency failed is the runner's, with details.blockedBy
        if (r.status === 'skip' && r.details?.blockedBy) continue;
        assert.equal(typeof r.details?.reason, 'string', `${scenario}: ${r.id} ${r.status} has no details.reason (${r.message})`);
        assert.match(r.details!.reason as string, /^[a-z0-9]+(-[a-z0-9]+)*$/, `${scenario}: ${r.id} reason is not kebab-case`);
        seen.add(`${r.id}:${r.details!.reason}`);
      }
    }
    assert.ok(seen.size >= 40, `only ${seen.size} distinct check:reason outcomes seen`);
  });
});
