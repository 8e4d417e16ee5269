// test-runner: concurrent (every test on its own simulator)
/**
 * The foundation checks (cluster.api, metallb.namespace, metallb.controller-service,
 * kube-proxy.strict-arp, provider.ip-operator-flag, provider.status-endpoint,
 * ip-operator.barrier) against the simulated cluster, scenario by scenario.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { expectCheck, result, runScenario, withSim, HANGING_STATUS_BUDGET_MS } from './helpers.js';
import { runDoctor } from '../src/core/engine.js';
import { loadScenario } from '../src/sim/index.js';
import { generateCerts } from '../src/sim/certs.js';

const API = 'cluster.api';
const NS = 'metallb.namespace';
const SVC = 'metallb.controller-service';
const ARP = 'kube-proxy.strict-arp';
const FLAG = 'provider.ip-operator-flag';
const STATUS = 'provider.status-endpoint';
const BARRIER = 'ip-operator.barrier';
const ALL = [API, NS, SVC, ARP, FLAG, STATUS, BARRIER];

async function run(scenario: string | Awaited<ReturnType<typeof loadScenario>>, only: string[], opts: Parameters<typeof runScenario>[1] = {}) {
  return (await runScenario(scenario, { only, ...opts })).report;
}

describe('every foundation scenario loads and names itself', () => {
  const names = [
    'healthy-kubespray', 'demo', 'f-controller-svc-missing', 'f-controller-port-misnamed', 'f-controller-port-wrong', 'f-controller-selector-nothing',
    'f-controller-selects-speaker', 'f-kubespray-svc-missing', 'f-no-metallb-ns', 'f-ipvs-no-strictarp', 'f-ipvs-strictarp-absent', 'f-iptables',
    'f-kube-proxy-bad-yaml', 'f-cilium-kpr', 'f-kube-router', 'f-no-kube-proxy', 'f-flag-missing', 'f-flag-false', 'f-flag-envfrom-only',
    'f-flag-env-only', 'f-flag-env-overrides', 'f-no-provider', 'f-status-hang', 'f-status-refused', 'f-status-500', 'f-status-not-json',
    'f-operator-new-stuck', 'f-operator-old-stuck', 'f-operator-recovered', 'f-no-operator',
  ];
  test('metadata name and description', async () => {
    for (const n of names) {
      const s = await loadScenario(n);
      assert.equal(s.behaviour.name, n, `${n}: Behaviour metadata.name`);
      assert.ok((s.behaviour.description ?? '').length > 20, `${n}: description`);
    }
  });
});

describe('healthy scenarios pass every foundation check', () => {
  for (const scenario of ['healthy-helm', 'healthy-kubespray']) {
    test(scenario, async () => {
      const report = await run(scenario, ALL);
      for (const id of ALL) assert.equal(result(report, id).status, 'pass', `${scenario} ${id}: ${result(report, id).message}`);
      const api = expectCheck(report, API, 'pass', /Kubernetes v1\.\d+/);
      assert.match(String(api.details?.version), /^v1\.\d+\.\d+/);
      assert.equal(report.cluster.version, api.details?.version, 'the report header carries details.version');
    });
  }

  test('healthy-kubespray: the controller Service selects the Kubespray controller pod', async () => {
    const report = await run('healthy-kubespray', [SVC]);
    const r = expectCheck(report, SVC, 'pass', /port monitoring \(7472 -> 7472, the controller's 7472\)/, /controller-7d4c5f8b9c-/);
    assert.equal(r.details?.reason, 'service-ok');
    assert.equal(r.details?.deployment, 'controller');
  });
});

describe('cluster.api', () => {
  test('unreachable API server: fail with a plain message, every dependant skipped with that reason', async () => {
    const sim = await withSim('healthy-helm', async (s) => ({ kubeconfig: await readFile(s.kubeconfigPath, 'utf8'), server: s.server }));
    // a port that was just free: nothing listens there
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const dir = await mkdtemp(join(tmpdir(), 'fnd-'));
    try {
      const path = join(dir, 'kubeconfig');
      await writeFile(path, sim.kubeconfig.replace(sim.server, `https://127.0.0.1:${port}`));
      const { report } = await runDoctor({ kubeconfig: path, only: ALL, timeoutMs: 30_000, retries: 1, minBackoffMs: 10, providerUrl: 'https://127.0.0.1:1' });
      const api = expectCheck(report, API, 'fail', /cannot reach the Kubernetes API server/, new RegExp(`127\\.0\\.0\\.1:${port}`), /ECONNREFUSED/);
      assert.equal(api.details?.reason, 'unreachable');
      for (const id of ALL.filter((x) => x !== API)) {
        const r = expectCheck(report, id, 'skip', /cluster\.api failed/, /cannot reach the Kubernetes API server/);
        assert.equal(r.details?.blockedBy, API);
      }
      assert.equal(report.cluster.version, null);
      assert.equal(report.summary.healthy, false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('wrong certificate authority: TLS message', async () => {
    // another CA than the simulator's (simulators of one process share theirs)
    const caDir = await mkdtemp(join(tmpdir(), 'aid-other-ca-'));
    const otherCa = Buffer.from((await generateCerts(caDir)).caCert).toString('base64');
    await rm(caDir, { recursive: true, force: true });
    await withSim('healthy-helm', async (sim) => {
      const kc = parse(await readFile(sim.kubeconfigPath, 'utf8')) as any;
      kc.clusters[0].cluster['certificate-authority-data'] = otherCa;
      const path = sim.kubeconfigPath + '-wrong-ca';
      await writeFile(path, stringify(kc));
      const { report } = await runDoctor({ kubeconfig: path, only: [API, NS], timeoutMs: 30_000, retries: 1, minBackoffMs: 10 });
      const api = expectCheck(report, API, 'fail', /TLS handshake/, /certificate authority does not match/);
      assert.equal(api.details?.reason, 'tls');
      expectCheck(report, NS, 'skip', /cluster\.api failed/, /TLS/);
    });
  });

  test('bad token: 401 message', async () => {
    await withSim('healthy-helm', async (sim) => {
      const kc = parse(await readFile(sim.kubeconfigPath, 'utf8')) as any;
      kc.users[0].user.token = 'not-a-valid-token';
      const path = sim.kubeconfigPath + '-bad-token';
      await writeFile(path, stringify(kc));
      const { report } = await runDoctor({ kubeconfig: path, only: [API, FLAG], timeoutMs: 30_000, retries: 1, minBackoffMs: 10 });
      const api = expectCheck(report, API, 'fail', /rejected the credentials/, /401/);
      assert.equal(api.details?.reason, 'unauthorized');
      expectCheck(report, FLAG, 'skip', /cluster\.api failed/, /401/);
    });
  });
});

describe('metallb.namespace', () => {
  test('missing namespace: fail, controller Service check skipped', async () => {
    const report = await run('f-no-metallb-ns', [SVC]);
    const r = expectCheck(report, NS, 'fail', /namespace metallb-system does not exist/, /helm .*install metallb/);
    assert.ok(r.remedy?.commands.includes('kubectl create ns metallb-system'));
    assert.equal(r.details?.reason, 'namespace-missing');
    // the text names the version the command installs
    assert.match(r.remedy!.summary, /MetalLB 0\.14\.9/);
    assert.ok(r.remedy!.commands.some((c) => c.includes('--version 0.14.9')));
    assert.match(r.hint!, /Install MetalLB 0\.14\.9/);
    expectCheck(report, SVC, 'skip', /metallb\.namespace failed/);
  });
});

describe('metallb.controller-service', () => {
  test('f-controller-port-80: port NAMED monitoring 80 -> 7472 passes, and agrees with metallb.metrics', async () => {
    const report = await run('f-controller-port-80', [SVC, 'metallb.metrics']);
    const r = expectCheck(report, SVC, 'pass', /port monitoring \(80 -> 7472, the controller's 7472\)/);
    assert.equal(r.details?.reason, 'service-ok');
    assert.equal(expectCheck(report, 'metallb.metrics', 'pass').details?.reason, 'pool-counted');
  });

  const cases: [string, RegExp[], string][] = [
    ['f-controller-svc-missing', [/Service metallb-system\/controller is missing/], 'service-missing'],
    ['f-controller-port-misnamed', [/port 7472 is named "metrics", not "monitoring"/], 'port-misnamed'],
    ['f-controller-port-wrong', [/port "monitoring" \(7473\) forwards to container port 7473, but the MetalLB controller serves metrics on 7472/], 'target-port'],
    ['f-controller-selector-nothing', [/selector app=metallb,component=controller matches no pod in metallb-system/], 'selector-matches-nothing'],
  ];
  for (const [scenario, patterns, problem] of cases) {
    test(`${scenario}: fail with its own words and the remedy for metallb-controller`, async () => {
      const report = await run(scenario, [SVC]);
      const r = expectCheck(report, SVC, 'fail', ...patterns);
      assert.ok((r.details?.problems as string[]).includes(problem), JSON.stringify(r.details?.problems));
      assert.equal(r.details?.reason, problem);
      if (problem === 'target-port') {
        // only the target is wrong: point it at the controller's metrics port, keep the Service
        assert.deepEqual(r.remedy?.commands, [`kubectl -n metallb-system patch service controller --type=json -p '[{"op":"replace","path":"/spec/ports/0/targetPort","value":7472}]'`]);
        return;
      }
      assert.equal(r.remedy?.fixId, 'metallb.expose-controller');
      assert.deepEqual(r.remedy?.params, { deployment: 'metallb-controller' });
      const expose = r.remedy!.commands.at(-1)!;
      assert.equal(
        expose,
        `kubectl -n metallb-system expose deployment metallb-controller --name=controller --overrides='{"spec":{"ports":[{"protocol":"TCP","name":"monitoring","port":7472}]}}'`,
      );
      // an existing wrong Service is deleted first; a missing one is not
      assert.equal(r.remedy!.commands.includes('kubectl -n metallb-system delete service controller'), problem !== 'service-missing');
      assert.match(r.hint ?? '', /expose deployment metallb-controller/);
    });
  }

  test('the four failure messages are all different', async () => {
    const msgs = new Set<string>();
    for (const [scenario] of cases) msgs.add(result(await run(scenario, [SVC]), SVC).message);
    assert.equal(msgs.size, cases.length);
  });

  test('controller started with --port=7473 behind a Service to 7472: target-port, fixed by a targetPort patch', async () => {
    const report = await run('m-metrics-unreachable', [SVC]);
    const r = expectCheck(report, SVC, 'fail', /forwards to container port 7472, but the MetalLB controller serves metrics on 7473/);
    assert.equal(r.details?.reason, 'target-port');
    assert.equal(r.details?.metricsPort, 7473);
    assert.match(r.remedy!.commands[0]!, /"path":"\/spec\/ports\/0\/targetPort","value":7473/);
  });

  test('Kubespray layout: the remedy exposes Deployment controller', async () => {
    const report = await run('f-kubespray-svc-missing', [SVC]);
    const r = expectCheck(report, SVC, 'fail', /is missing/, /expose deployment controller /);
    assert.deepEqual(r.remedy?.params, { deployment: 'controller' });
    assert.match(r.remedy!.commands[0]!, /^kubectl -n metallb-system expose deployment controller --name=controller --overrides=/);
  });

  test('selector that also matches speaker pods: warn', async () => {
    const report = await run('f-controller-selects-speaker', [SVC]);
    const r = expectCheck(report, SVC, 'warn', /also matches 1 pod\(s\) that are not the controller/, /metallb-speaker-k4w2n/);
    assert.equal(r.remedy?.fixId, 'metallb.expose-controller');
  });

  test('only a Running controller pod counts', async () => {
    const state = await loadScenario('healthy-helm');
    const pod = state.objects.find((o) => o.kind === 'Pod' && o.metadata.name.startsWith('metallb-controller-'))!;
    (pod as any).status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] };
    const { report } = await runScenario(state, { only: [SVC] });
    const r = expectCheck(report, SVC, 'fail', /matches controller pod\(s\) but none is Running/, /Pending/);
    assert.equal(r.remedy, undefined, 'recreating the Service does not start the controller');
  });

  test('a Running controller pod that is not Ready is no endpoint: fail, not pass', async () => {
    const state = await loadScenario('healthy-helm');
    const pod = state.objects.find((o) => o.kind === 'Pod' && o.metadata.name.startsWith('metallb-controller-'))! as any;
    pod.status.conditions = [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }];
    const { report } = await runScenario(state, { only: [SVC] });
    const r = expectCheck(report, SVC, 'fail', /none is Running and Ready/, /Running, not Ready/, /no endpoint/);
    assert.equal(r.remedy, undefined);
  });

  test('the check lists pods with the Service selector, in metallb-system only', async () => {
    const { report, sim } = await runScenario('healthy-helm', { only: [SVC] });
    expectCheck(report, SVC, 'pass');
    const podLists = sim.requests.filter((r) => r.method === 'GET' && /\/pods$/.test(r.path));
    assert.ok(podLists.length >= 1);
    for (const r of podLists) {
      assert.match(r.path, /^\/api\/v1\/namespaces\/metallb-system\/pods$/);
      assert.match(decodeURIComponent(r.query), /labelSelector=app\.kubernetes\.io\/name=metallb,app\.kubernetes\.io\/instance=metallb,app\.kubernetes\.io\/component=controller/);
    }
  });
});

describe('kube-proxy.strict-arp', () => {
  test('every scenario outcome carries its reason code', async () => {
    const cases: [string, string, string][] = [
      ['healthy-helm', 'pass', 'ipvs-strict-arp'],
      ['f-iptables', 'pass', 'not-ipvs'],
      ['f-ipvs-no-strictarp', 'fail', 'ipvs-strict-arp-false'],
      ['f-ipvs-strictarp-absent', 'fail', 'ipvs-strict-arp-absent'],
      ['f-cilium-kpr', 'skip', 'kube-proxy-replaced'],
      ['f-kube-router', 'skip', 'kube-proxy-replaced'],
      ['f-no-kube-proxy', 'warn', 'no-kube-proxy'],
      ['f-kube-proxy-bad-yaml', 'error', 'config-unparsable'],
    ];
    for (const [scenario, status, reason] of cases) {
      const r = expectCheck(await run(scenario, [ARP]), ARP, status as any);
      assert.equal(r.details?.reason, reason, scenario);
    }
  });

  test('IPVS with strictARP: false: fail with the guide pipeline and the restart', async () => {
    const r = expectCheck(await run('f-ipvs-no-strictarp', [ARP]), ARP, 'fail', /IPVS mode with strictARP: false/, /rollout restart daemonset kube-proxy/);
    assert.equal(r.remedy?.fixId, 'kube-proxy.enable-strict-arp');
    assert.deepEqual(r.remedy?.commands, [
      'kubectl get configmap kube-proxy -n kube-system -o yaml | sed -e "s/strictARP: false/strictARP: true/" | kubectl apply -f - -n kube-system',
      'kubectl -n kube-system rollout restart daemonset kube-proxy',
    ]);
  });

  test('IPVS with strictARP absent: fail, distinct words, a pipeline that inserts the key', async () => {
    const r = expectCheck(await run('f-ipvs-strictarp-absent', [ARP]), ARP, 'fail', /IPVS mode without strictARP \(absent/, /rollout restart daemonset kube-proxy/);
    assert.equal(r.remedy?.fixId, 'kube-proxy.enable-strict-arp');
    assert.match(r.remedy!.commands[0]!, /ipvs:\$\/&\\n\\1  strictARP: true/);
    assert.equal(r.remedy!.commands[1], 'kubectl -n kube-system rollout restart daemonset kube-proxy');
  });

  test('IPVS with strictARP: true passes (healthy base)', async () => {
    expectCheck(await run('healthy-helm', [ARP]), ARP, 'pass', /IPVS mode with strictARP: true/);
  });

  test('iptables: pass, noting strictARP is not needed', async () => {
    expectCheck(await run('f-iptables', [ARP]), ARP, 'pass', /iptables mode/, /only needed in IPVS mode/);
  });

  test('Cilium kube-proxy replacement: skip with the reason', async () => {
    const r = expectCheck(await run('f-cilium-kpr', [ARP]), ARP, 'skip', /not applicable/, /Cilium replaces kube-proxy/, /kube-proxy-replacement: "true"/);
    assert.equal(r.details?.replacement, 'cilium');
  });

  test('kube-router service proxy: skip with the reason', async () => {
    const r = expectCheck(await run('f-kube-router', [ARP]), ARP, 'skip', /not applicable/, /kube-router runs the service proxy/);
    assert.equal(r.details?.replacement, 'kube-router');
  });

  test('kube-router without its service proxy does not count as a replacement', async () => {
    const state = await loadScenario('f-kube-router');
    const ds = state.objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'kube-router')! as any;
    ds.spec.template.spec.containers[0].args = ['--run-router=true', '--run-service-proxy=false'];
    const { report } = await runScenario(state, { only: [ARP] });
    expectCheck(report, ARP, 'warn', /no kube-proxy found/, /no known replacement/);
  });

  test('no kube-proxy and no replacement: warn that it could not be verified', async () => {
    expectCheck(await run('f-no-kube-proxy', [ARP]), ARP, 'warn', /no kube-proxy found/, /could not be verified/);
  });

  test('unparsable config.conf: error naming the parser problem and line', async () => {
    const r = expectCheck(await run('f-kube-proxy-bad-yaml', [ARP]), ARP, 'error', /config\.conf in ConfigMap kube-system\/kube-proxy could not be parsed/, /line 7, column \d+/);
    assert.doesNotMatch(r.message, /\n/);
  });

  test('DaemonSet configured by flags only (no ConfigMap): --proxy-mode=ipvs without --ipvs-strict-arp fails', async () => {
    const state = await loadScenario('healthy-helm');
    state.objects = state.objects.filter((o) => !(o.kind === 'ConfigMap' && o.metadata.name === 'kube-proxy'));
    const ds = state.objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'kube-proxy')! as any;
    ds.spec.template.spec.containers[0].command = ['/usr/local/bin/kube-proxy', '--proxy-mode=ipvs', '--hostname-override=$(NODE_NAME)'];
    const { report } = await runScenario(state, { only: [ARP] });
    expectCheck(report, ARP, 'fail', /IPVS mode without strictARP/, /flags of DaemonSet kube-system\/kube-proxy/, /--ipvs-strict-arp=true/);
  });
});

describe('provider.ip-operator-flag', () => {
  test('flag missing: fail with the Helm fix', async () => {
    const r = expectCheck(await run('f-flag-missing', [FLAG]), FLAG, 'fail', /AKASH_IP_OPERATOR is not set/, /akash-services\/akash-provider/, /ipoperator: true/);
    assert.deepEqual(r.remedy?.commands, [
      'helm -n akash-services get values akash-provider | grep -v ^USER > provider.yaml',
      "sed -i '/^ipoperator:/d' provider.yaml && echo 'ipoperator: true' >> provider.yaml",
      // pinned to the installed chart: an unpinned upgrade may jump (or, with a stale repo index, downgrade) the chart
      'helm upgrade akash-provider akash/provider -n akash-services --version 11.6.0 -f provider.yaml',
    ]);
    assert.equal(r.details?.source, null);
  });

  test('flag missing and no Helm release to pin to: the guide\'s commands as they are', async () => {
    const s = structuredClone(await loadScenario('f-flag-missing'));
    s.objects = s.objects.filter((o) => !(o.kind === 'Secret' && o.metadata.name.startsWith('sh.helm.release.v1.akash-provider.')));
    const r = expectCheck(await run(s, [FLAG]), FLAG, 'fail', /AKASH_IP_OPERATOR is not set/);
    assert.equal(r.remedy?.commands[2], 'helm upgrade akash-provider akash/provider -n akash-services -f provider.yaml');
  });

  test('flag "false" in the ConfigMap: fail naming the value and source', async () => {
    const r = expectCheck(await run('f-flag-false', [FLAG]), FLAG, 'fail', /AKASH_IP_OPERATOR is "false"/, /configmap akash-provider-main/, /helm upgrade akash-provider/);
    assert.equal(r.details?.source, 'configmap akash-provider-main');
  });

  test('flag only via envFrom ConfigMap akash-provider-main: pass, source reported', async () => {
    const r = expectCheck(await run('f-flag-envfrom-only', [FLAG]), FLAG, 'pass', /AKASH_IP_OPERATOR=true/, /configmap akash-provider-main/);
    assert.equal(r.details?.source, 'configmap akash-provider-main');
  });

  test('flag only in the container env: pass, source env', async () => {
    const r = expectCheck(await run('f-flag-env-only', [FLAG]), FLAG, 'pass', /from env/);
    assert.equal(r.details?.source, 'env');
  });

  test('container env "false" overrides ConfigMap "true": fail saying so', async () => {
    const r = expectCheck(await run('f-flag-env-overrides', [FLAG]), FLAG, 'fail', /is "false"/, /from env/, /akash-provider-main says "true", but the container env wins/);
    assert.equal(r.details?.source, 'env');
  });

  test('no provider StatefulSet: fail saying the provider is not installed in akash-services', async () => {
    expectCheck(await run('f-no-provider', [FLAG]), FLAG, 'fail', /StatefulSet akash-services\/akash-provider not found/, /not installed in akash-services/);
  });
});

describe('provider.status-endpoint', () => {
  test('200 JSON: pass with a few fields, never the whole body', async () => {
    const r = expectCheck(await run('healthy-helm', [STATUS]), STATUS, 'pass', /answered 200 with JSON/);
    assert.equal(r.details?.address, 'akash1xmz9es9ay9ln9x2m3q8dlu0alxf0ltce7ykjfx');
    assert.equal(r.details?.leases, 1);
    assert.equal(r.details?.urlFrom, '--provider-url');
    assert.equal(JSON.stringify(r.details).includes('inventory'), false);
  });

  test('hang: fail naming the operator the provider waits for (its log), here the IP operator', async () => {
    const r = expectCheck(await run('p-health-503', [STATUS]), STATUS, 'fail', /did not answer within/, /waiting for the IP operator/, /delete pod -l app\.kubernetes\.io\/name=ip/);
    assert.equal(r.details?.outcome, 'timeout');
    assert.equal(r.details?.reason, 'waiting-for-ip-operator');
  });

  test('hang, and the provider log does not come in time: still fail (the hang is established), saying the log was not read', async () => {
    // every read of the provider's log hangs: only the probe's verdict remains
    const report = (await runScenario('p-health-503', { only: [STATUS] }, { hang: [/\/pods\/akash-provider-0\/log$/] })).report;
    const r = expectCheck(report, STATUS, 'fail', /did not answer within/, /its log was not read within the time budget/);
    assert.equal(r.details?.reason, 'hang');
    assert.equal(r.details?.providerLog, 'not-read-in-time');
  });

  test('refused: its own message', async () => {
    const r = expectCheck(await run('f-status-refused', [STATUS]), STATUS, 'fail', /refused/, /nothing listens/);
    assert.equal(r.details?.outcome, 'refused');
  });

  test('HTTP 500 non-JSON: its own message', async () => {
    const r = expectCheck(await run('f-status-500', [STATUS]), STATUS, 'fail', /answered HTTP 500 \(not JSON\), not 200/);
    assert.equal(r.details?.httpStatus, 500);
  });

  test('HTTP 200 non-JSON: its own message', async () => {
    const r = expectCheck(await run('f-status-not-json', [STATUS]), STATUS, 'fail', /answered 200 but the body is not JSON/, /something other than the Akash provider/);
    assert.match(String(r.details?.bodySnippet), /nginx/);
  });

  test('URL derived from AKASH_CLUSTER_PUBLIC_HOSTNAME; DNS failure: its own message', async () => {
    const lookup: any = (hostname: string, _o: object, cb: (e: NodeJS.ErrnoException | null) => void) => {
      const e = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
      process.nextTick(() => cb(e));
    };
    const { report } = await runScenario('healthy-helm', { only: [STATUS], providerUrl: undefined, lookup });
    const r = expectCheck(report, STATUS, 'fail', /host name provider\.example\.com does not resolve/, /ENOTFOUND/);
    assert.equal(r.details?.url, 'https://provider.example.com:8443/status');
    assert.equal(r.details?.urlFrom, 'AKASH_CLUSTER_PUBLIC_HOSTNAME');
    assert.equal(r.details?.outcome, 'dns');
  });

  test('no --provider-url and no provider to read the host name from: skip saying to pass --provider-url', async () => {
    const { report } = await runScenario('f-no-provider', { only: [STATUS], providerUrl: undefined });
    expectCheck(report, STATUS, 'skip', /--provider-url/);
  });

  test('no AKASH_CLUSTER_PUBLIC_HOSTNAME: skip saying to pass --provider-url', async () => {
    const state = await loadScenario('healthy-helm');
    const cm = state.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'akash-provider-main')! as any;
    delete cm.data.AKASH_CLUSTER_PUBLIC_HOSTNAME;
    const { report } = await runScenario(state, { only: [STATUS], providerUrl: undefined });
    expectCheck(report, STATUS, 'skip', /AKASH_CLUSTER_PUBLIC_HOSTNAME is not set/, /--provider-url/);
  });
});

describe('ip-operator.barrier', () => {
  test('new layout stuck: fail with the new selector in the restart remedy', async () => {
    const report = await run('f-operator-new-stuck', [BARRIER]);
    const r = expectCheck(report, BARRIER, 'fail', /barrier is still locked/, /operator-ip-6f9c7b-x2x9k/, /no "barrier can now be passed"/, /restart the provider too/);
    assert.equal(r.details?.layout, 'new');
    assert.deepEqual(r.remedy?.params, { selector: 'app.kubernetes.io/name=ip', namespace: 'akash-services' });
    assert.equal(r.remedy?.fixId, 'ip-operator.restart');
    assert.deepEqual(r.remedy?.commands, ['kubectl -n akash-services delete pod -l app.kubernetes.io/name=ip']);
  });

  test('old layout stuck: fail with the guide selector app=akash-ip-operator', async () => {
    const report = await run('f-operator-old-stuck', [BARRIER]);
    const r = expectCheck(report, BARRIER, 'fail', /barrier is still locked/, /akash-ip-operator-5c8d7b9f4-q7wzt/, /old chart/);
    assert.equal(r.details?.layout, 'old');
    assert.deepEqual(r.remedy?.params, { selector: 'app=akash-ip-operator', namespace: 'akash-services' });
    assert.deepEqual(r.remedy?.commands, ['kubectl -n akash-services delete pod -l app=akash-ip-operator']);
  });

  test('the log is read as a bounded window of the operator container', async () => {
    const { report, sim } = await runScenario('f-operator-old-stuck', { only: [BARRIER], logSinceSeconds: 900, logTailLines: 5000 });
    expectCheck(report, BARRIER, 'fail', /last 15m/);
    const logReq = sim.requests.find((r) => r.path.endsWith('/log'));
    assert.ok(logReq, 'a log request was made');
    const q = new URLSearchParams(logReq!.query);
    assert.equal(q.get('sinceSeconds'), '900');
    assert.equal(q.get('tailLines'), '5000');
    assert.equal(q.get('container'), 'akash-ip-operator');
  });

  test('lock lines followed by an unlock: pass with the count', async () => {
    const r = expectCheck(await run('f-operator-recovered', [BARRIER]), BARRIER, 'pass', /40 "barrier is locked" line\(s\)/, /then "barrier can now be passed"/);
    assert.equal(r.details?.lockLines, 40);
  });

  test('no operator at all: fail with the helm install command and the provider address', async () => {
    const r = expectCheck(
      await run('f-no-operator', [BARRIER]),
      BARRIER,
      'fail',
      /IP operator not installed/,
      /helm install akash-ip-operator akash\/akash-ip-operator -n akash-services --version 19\.0\.2 --set provider_address=akash1xmz9es9ay9ln9x2m3q8dlu0alxf0ltce7ykjfx/,
    );
    assert.equal(r.details?.layout, null);
    assert.equal(r.details?.reason, 'not-installed');
  });

  test('credentials without pods/log: error naming the request', async () => {
    await withSim('f-operator-new-stuck', async (sim) => {
      const path = await sim.addUser('no-logs', [{ verbs: ['get', 'list'], resources: ['pods', 'deployments', 'configmaps', 'statefulsets', 'namespaces'] }]);
      const { report } = await runDoctor({ kubeconfig: path, only: [BARRIER], timeoutMs: 30_000, minBackoffMs: 10 });
      expectCheck(report, BARRIER, 'error', /forbidden/, /pods\/log/);
    });
  });

  test('restarting the stuck operator pod heals it (afterRestart): barrier and /status pass', async () => {
    await withSim('f-operator-new-stuck', async (sim) => {
      const before = await runDoctor({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, only: [BARRIER, STATUS], timeoutMs: 30_000, checkTimeoutsMs: { [STATUS]: HANGING_STATUS_BUDGET_MS }, minBackoffMs: 10 });
      expectCheck(before.report, BARRIER, 'fail');
      expectCheck(before.report, STATUS, 'fail', /did not answer/);
      const restart = result(before.report, BARRIER).remedy!;
      // what `kubectl -n akash-services delete pod -l <selector>` does
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(sim.kubeconfigPath);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const namespace = restart.params!.namespace!;
      const old = await core.listNamespacedPod({ namespace, labelSelector: restart.params!.selector });
      assert.equal(old.items.length, 1);
      for (const p of old.items) await core.deleteNamespacedPod({ namespace, name: p.metadata!.name! });
      const oldName = old.items[0]!.metadata!.name;
      for (let i = 0; i < 100; i++) {
        const now = await core.listNamespacedPod({ namespace, labelSelector: restart.params!.selector });
        if (now.items.some((p) => p.metadata?.name !== oldName)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const after = await runDoctor({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, only: [BARRIER, STATUS], timeoutMs: 30_000, minBackoffMs: 10 });
      expectCheck(after.report, BARRIER, 'pass', /then "barrier can now be passed"/);
      expectCheck(after.report, STATUS, 'pass');
    });
  });
});

describe('demo scenario', () => {
  test('several problems at once', async () => {
    const report = await run('demo', ALL);
    expectCheck(report, API, 'pass');
    expectCheck(report, NS, 'pass');
    expectCheck(report, SVC, 'fail', /named "metrics", not "monitoring"/);
    expectCheck(report, ARP, 'fail', /strictARP: false/);
    expectCheck(report, FLAG, 'pass');
    expectCheck(report, STATUS, 'fail', /did not answer/);
    expectCheck(report, BARRIER, 'fail', /still locked/);
  });
});
