/**
 * Pure logic of the foundation checks: kube-proxy config parsing and flags,
 * the barrier log scanner, the controller Service port rules, the status URL.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ciliumReplacesKubeProxy, flagValue, goBoolFalse, goBoolTrue, kubeRouterRunsServiceProxy, parseKubeProxyConfig } from '../src/checks/lib/kube-proxy-config.js';
import { barrierScanner, scanBarrierText } from '../src/checks/lib/barrier-scan.js';
import { goBoolFlag, speakerArgv } from '../src/checks/metallb/excluded-nodes.js';
import { controllerMetricsPort, exposeCommand, exposeRemedy, monitoringPortProblem } from '../src/checks/metallb/controller-service.js';
import { statusSummary, statusUrl } from '../src/checks/provider/status-endpoint.js';
import { formatWindow } from '../src/checks/ip-operator/barrier.js';
import { installOperatorCommand as installCommand } from '../src/checks/lib/ip-operator.js';
import { SED_FALSE_TO_TRUE, SED_INSERT_UNDER_IPVS } from '../src/checks/kube-proxy/strict-arp.js';

describe('parseKubeProxyConfig', () => {
  test('ipvs with strictARP true / false / absent', () => {
    const t = parseKubeProxyConfig('kind: KubeProxyConfiguration\nmode: ipvs\nipvs:\n  strictARP: true\n');
    assert.deepEqual(t, { ok: true, mode: 'ipvs', strictArp: true, hasIpvsSection: true });
    const f = parseKubeProxyConfig('mode: "ipvs"\nipvs:\n  strictARP: false\n');
    assert.equal(f.ok && f.strictArp, false);
    const a = parseKubeProxyConfig('mode: ipvs\nipvs:\n  scheduler: rr\n');
    assert.ok(a.ok && a.strictArp === undefined && a.hasIpvsSection);
    const none = parseKubeProxyConfig('mode: ipvs\n');
    assert.ok(none.ok && none.strictArp === undefined && !none.hasIpvsSection);
    // a flow-style section has no `ipvs:` line the insert sed could add strictARP under
    const flow = parseKubeProxyConfig('mode: ipvs\nipvs: {}\n');
    assert.ok(flow.ok && flow.strictArp === undefined && !flow.hasIpvsSection);
    const flow2 = parseKubeProxyConfig('mode: ipvs\nipvs: {scheduler: rr}\n');
    assert.ok(flow2.ok && !flow2.hasIpvsSection);
  });

  test('empty and missing mode are ""', () => {
    const p = parseKubeProxyConfig('kind: KubeProxyConfiguration\nmode: ""\n');
    assert.ok(p.ok && p.mode === '');
    const q = parseKubeProxyConfig('kind: KubeProxyConfiguration\n');
    assert.ok(q.ok && q.mode === '');
  });

  test('invalid YAML gives the parser message with line and column, on one line', () => {
    const p = parseKubeProxyConfig('mode: ipvs\nipvs:\n  scheduler: rr\n   strictARP: true\n');
    assert.equal(p.ok, false);
    if (p.ok) return;
    assert.match(p.problem, /line \d+, column \d+/);
    assert.doesNotMatch(p.problem, /\n/);
  });

  test('non-mapping documents are problems', () => {
    assert.equal(parseKubeProxyConfig('').ok, false);
    const l = parseKubeProxyConfig('- a\n- b\n');
    assert.ok(!l.ok && /list/.test(l.problem));
    const m = parseKubeProxyConfig('mode: [ipvs]\n');
    assert.ok(!m.ok && /mode/.test(m.problem));
  });
});

describe('flags and replacements', () => {
  test('flagValue reads =, separate and bare forms', () => {
    assert.equal(flagValue(['kube-proxy', '--proxy-mode=ipvs'], 'proxy-mode'), 'ipvs');
    assert.equal(flagValue(['kube-proxy', '--proxy-mode', 'iptables'], 'proxy-mode'), 'iptables');
    assert.equal(flagValue(['x', '--ipvs-strict-arp'], 'ipvs-strict-arp'), 'true');
    assert.equal(flagValue(['x', '--ipvs-strict-arp', '--v=2'], 'ipvs-strict-arp'), 'true');
    assert.equal(flagValue(['x'], 'proxy-mode'), undefined);
    assert.equal(flagValue(['--proxy-modex=1'], 'proxy-mode'), undefined);
  });

  test('kube-router runs the service proxy unless disabled', () => {
    assert.equal(kubeRouterRunsServiceProxy(['--run-router=true']), true);
    assert.equal(kubeRouterRunsServiceProxy(['--run-service-proxy=true']), true);
    assert.equal(kubeRouterRunsServiceProxy(['--run-service-proxy=false']), false);
    assert.equal(kubeRouterRunsServiceProxy(['--run-service-proxy', 'false']), false);
  });

  test('Cilium replaces kube-proxy only with true/strict', () => {
    for (const v of ['true', 'strict', ' True ']) assert.equal(ciliumReplacesKubeProxy(v), true, v);
    for (const v of ['false', 'partial', 'probe', 'disabled', undefined]) assert.equal(ciliumReplacesKubeProxy(v), false, String(v));
  });

  test('Go booleans', () => {
    for (const v of ['true', 'True', 'TRUE', '1', 't']) assert.equal(goBoolTrue(v), true, v);
    for (const v of ['false', 'yes', '', undefined, 'on']) assert.equal(goBoolTrue(v), false, String(v));
    assert.equal(goBoolFalse('0'), true);
    assert.equal(goBoolFalse('yes'), false);
  });
});

describe('barrier scanner', () => {
  const L = "E[2023-06-22|13:11:42.428] barrier is locked, can't service request     operator=ip path=/health";
  const U = 'I[2023-06-22|13:11:43.000] barrier can now be passed operator=ip';

  test('only lock lines: locked', () => {
    const r = scanBarrierText([L, L, L].join('\n'));
    assert.equal(r.locked, true);
    assert.equal(r.lockLines, 3);
    assert.equal(r.lockLinesSinceUnlock, 3);
    assert.ok(r.lastLockLine?.includes('barrier is locked'));
  });

  test('lock lines followed by an unlock: not locked, count kept', () => {
    const r = scanBarrierText([L, L, U, 'I ip usage'].join('\n'));
    assert.equal(r.locked, false);
    assert.equal(r.lockLines, 2);
    assert.equal(r.unlockLines, 1);
    assert.equal(r.lockLinesSinceUnlock, 0);
  });

  test('re-locked after an unlock: locked again', () => {
    const r = scanBarrierText([L, U, 'x', L].join('\n'));
    assert.equal(r.locked, true);
    assert.equal(r.lockLinesSinceUnlock, 1);
  });

  test('no barrier lines: not locked', () => {
    const r = scanBarrierText('hello\nworld');
    assert.deepEqual({ locked: r.locked, lockLines: r.lockLines }, { locked: false, lockLines: 0 });
  });

  test('streams in constant memory: a million lines keep only counters', () => {
    const sc = barrierScanner();
    for (let i = 0; i < 1_000_000; i++) sc.line(i % 2 ? L : 'noise');
    sc.line(U);
    const r = sc.result();
    assert.equal(r.lockLines, 500_000);
    assert.equal(r.locked, false);
    assert.ok((r.lastLockLine?.length ?? 0) <= 201);
  });
});

describe('controller Service port rules', () => {
  test('correct port: the port NAMED monitoring reaches the controller\'s metrics port; its number is free', () => {
    assert.equal(monitoringPortProblem([{ name: 'monitoring', port: 7472, protocol: 'TCP', targetPort: 7472 as any }]), null);
    assert.equal(monitoringPortProblem([{ name: 'monitoring', port: 7472 }]), null);
    assert.equal(monitoringPortProblem([{ name: 'monitoring', port: 7472, targetPort: 'monitoring' as any }], [{ name: 'monitoring', containerPort: 7472 }]), null);
    // the IP operator resolves the port by name (SRV / API proxy): 80 -> 7472 works
    assert.equal(monitoringPortProblem([{ name: 'monitoring', port: 80, targetPort: 7472 as any }]), null);
    assert.equal(monitoringPortProblem([{ name: 'monitoring', port: 8080, targetPort: 'monitoring' as any }], [{ name: 'monitoring', containerPort: 7472 }]), null);
    // a controller started with --port=7473 serves there
    assert.equal(monitoringPortProblem([{ name: 'monitoring', port: 7473 }], undefined, 7473), null);
  });
  test('misnamed, unnamed, missing, UDP, wrong target, unresolvable named target', () => {
    assert.equal(monitoringPortProblem([{ name: 'metrics', port: 7472 }])?.code, 'port-misnamed');
    assert.equal(monitoringPortProblem([{ name: 'metrics', port: 80, targetPort: 7472 as any }])?.code, 'port-misnamed');
    assert.match(monitoringPortProblem([{ name: 'metrics', port: 7472 }])!.message, /named "metrics", not "monitoring"/);
    assert.match(monitoringPortProblem([{ port: 7472 }])!.message, /has no name/);
    assert.equal(monitoringPortProblem([{ name: 'http', port: 80 }])?.code, 'port-missing');
    assert.equal(monitoringPortProblem([])?.code, 'port-missing');
    // no targetPort: it is the port number, which must then be the metrics port
    assert.equal(monitoringPortProblem([{ name: 'monitoring', port: 7473 }])?.code, 'target-port');
    assert.equal(monitoringPortProblem([{ name: 'monitoring', port: 7472, protocol: 'UDP' }])?.code, 'port-protocol');
    assert.equal(monitoringPortProblem([{ name: 'monitoring', port: 7472, targetPort: 9090 as any }])?.code, 'target-port');
    assert.equal(monitoringPortProblem([{ name: 'monitoring', port: 7472, targetPort: 'metrics' as any }], [{ name: 'monitoring', containerPort: 7472 }])?.code, 'target-port-unresolved');
    assert.equal(monitoringPortProblem([{ name: 'monitoring', port: 7472, targetPort: 'webhook-server' as any }], [{ name: 'webhook-server', containerPort: 9443 }])?.code, 'target-port');
  });
  test('--ignore-exclude-lb as Go\'s flag package reads a bool flag', () => {
    assert.equal(goBoolFlag(['--port=7472', '--ignore-exclude-lb'], 'ignore-exclude-lb'), true);
    assert.equal(goBoolFlag(['-ignore-exclude-lb'], 'ignore-exclude-lb'), true);
    assert.equal(goBoolFlag(['--ignore-exclude-lb=false'], 'ignore-exclude-lb'), false);
    assert.equal(goBoolFlag(['--ignore-exclude-lb=T'], 'ignore-exclude-lb'), true);
    assert.equal(goBoolFlag(['--ignore-exclude-lb', '--ignore-exclude-lb=0'], 'ignore-exclude-lb'), false);
    assert.equal(goBoolFlag(['--', '--ignore-exclude-lb'], 'ignore-exclude-lb'), undefined);
    assert.equal(goBoolFlag(['--ignore-exclude-lb-x'], 'ignore-exclude-lb'), undefined);
    assert.equal(goBoolFlag([], 'ignore-exclude-lb'), undefined);
    const ds = (c: object) => ({ spec: { template: { spec: { containers: [{ name: 'speaker', ...c }] } } } }) as any;
    assert.deepEqual(speakerArgv(ds({ args: ['--ignore-exclude-lb'] })), ['--ignore-exclude-lb']);
    assert.deepEqual(speakerArgv(ds({ command: ['/speaker', '--ignore-exclude-lb'], args: ['--port=7472'] })), ['--ignore-exclude-lb', '--port=7472']);
  });
  test('controller metrics port from --port (Go flag forms, last wins), else the default of the version', () => {
    const dep = (args: string[]) => ({ spec: { template: { spec: { containers: [{ name: 'controller', image: 'quay.io/metallb/controller:v0.14.9', args }] } } } }) as any;
    assert.equal(controllerMetricsPort(dep(['--port=7472', '--log-level=info'])), 7472);
    assert.equal(controllerMetricsPort(dep(['-port', '7000'])), 7000);
    assert.equal(controllerMetricsPort(dep(['--port=7000', '--port=7100'])), 7100);
    assert.equal(controllerMetricsPort(dep([])), 7472);
    assert.equal(controllerMetricsPort(dep([]), true), 9120);
    assert.equal(controllerMetricsPort(undefined), 7472);
  });
  test('expose command follows the guide and names the Deployment', () => {
    assert.equal(
      exposeCommand('metallb-controller'),
      `kubectl -n metallb-system expose deployment metallb-controller --name=controller --overrides='{"spec":{"ports":[{"protocol":"TCP","name":"monitoring","port":7472}]}}'`,
    );
    const r = exposeRemedy('controller', true);
    assert.equal(r.fixId, 'metallb.expose-controller');
    assert.deepEqual(r.params, { deployment: 'controller' });
    assert.equal(r.commands[0], 'kubectl -n metallb-system delete service controller');
    assert.match(r.commands[1]!, /expose deployment controller /);
  });
});

describe('status URL', () => {
  test('--provider-url with and without a path', () => {
    assert.deepEqual(statusUrl('https://provider.example.com:8443', undefined), { url: 'https://provider.example.com:8443/status', from: 'option' });
    assert.deepEqual(statusUrl('https://provider.example.com:8443/status', 'x'), { url: 'https://provider.example.com:8443/status', from: 'option' });
    assert.deepEqual(statusUrl('provider.example.com:8443', undefined), { url: 'https://provider.example.com:8443/status', from: 'option' });
    assert.ok('problem' in (statusUrl('ftp://x', undefined) ?? {}));
  });
  test('from AKASH_CLUSTER_PUBLIC_HOSTNAME', () => {
    assert.deepEqual(statusUrl(undefined, 'provider.example.com'), { url: 'https://provider.example.com:8443/status', from: 'env' });
    assert.deepEqual(statusUrl(undefined, 'provider.example.com:9443'), { url: 'https://provider.example.com:9443/status', from: 'env' });
    // IPv6 literals: bare (no port to split off) and bracketed with a port
    assert.deepEqual(statusUrl(undefined, '2001:db8::10'), { url: 'https://[2001:db8::10]:8443/status', from: 'env' });
    assert.deepEqual(statusUrl(undefined, '[2001:db8::10]:9443'), { url: 'https://[2001:db8::10]:9443/status', from: 'env' });
    assert.deepEqual(statusUrl(undefined, '[2001:db8::10]'), { url: 'https://[2001:db8::10]:8443/status', from: 'env' });
    assert.equal(statusUrl(undefined, undefined), null);
    assert.equal(statusUrl(undefined, '  '), null);
  });
  test('summary keeps a few scalar fields only', () => {
    const s = statusSummary({ address: 'akash1x', cluster: { leases: 3, inventory: { available: { nodes: [{}, {}] } } }, bidengine: { orders: 2 }, secret: 'no', manifest: { deployments: 1 } });
    assert.deepEqual(s, { address: 'akash1x', leases: 3, bidengineOrders: 2, manifestDeployments: 1, availableNodes: 2 });
    assert.deepEqual(statusSummary('text'), {});
    assert.deepEqual(statusSummary({ cluster: { leases: { active: 4 } } }), { leases: 4 });
  });
});

describe('barrier helpers', () => {
  test('window formatting', () => {
    assert.equal(formatWindow(1800), '30m');
    assert.equal(formatWindow(3600), '1h');
    assert.equal(formatWindow(5400), '1h30m');
    assert.equal(formatWindow(45), '45s');
  });
  test('install command', () => {
    assert.equal(installCommand(null), 'helm install akash-ip-operator akash/akash-ip-operator -n akash-services --version 19.0.2 --set provider_address=<provider-address>');
    assert.match(installCommand('akash1abc', 'old'), / --version 8\.0\.0 /);
    assert.match(installCommand('akash1abc'), /provider_address=akash1abc$/);
  });
});

describe('strictARP sed pipelines edit kubectl -o yaml output as intended', () => {
  // what `kubectl get configmap kube-proxy -n kube-system -o yaml` prints for a kubeadm cluster
  const cm = (ipvs: string) =>
    ['apiVersion: v1', 'data:', '  config.conf: |-', '    apiVersion: kubeproxy.config.k8s.io/v1alpha1', '    kind: KubeProxyConfiguration', '    mode: ipvs', ...ipvs.split('\n').map((l) => '    ' + l), '  kubeconfig.conf: |-', '    apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: kube-proxy', '  namespace: kube-system', ''].join('\n');
  const sedOf = (pipeline: string) => /sed -e (".*?"|'.*?') \|/.exec(pipeline)![1]!.slice(1, -1);
  const runSed = (expr: string, input: string) => {
    try {
      return execFileSync('sed', ['-e', expr], { input, encoding: 'utf8' });
    } catch {
      return null;
    }
  };
  test('false -> true (the guide pipeline)', (t) => {
    const out = runSed(sedOf(SED_FALSE_TO_TRUE), cm('ipvs:\n  scheduler: rr\n  strictARP: false'));
    if (out === null) return t.skip('sed not available');
    assert.match(out, /^ {6}strictARP: true$/m);
    assert.doesNotMatch(out, /strictARP: false/);
  });
  test('absent -> inserted under ipvs: with the right indentation', (t) => {
    const out = runSed(sedOf(SED_INSERT_UNDER_IPVS), cm('ipvs:\n  scheduler: rr'));
    if (out === null) return t.skip('sed not available');
    const conf = /config\.conf: \|-\n((?: {4}.*\n)+)/.exec(out)![1]!.replace(/^ {4}/gm, '');
    const parsed = parseKubeProxyConfig(conf);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.equal(parsed.ok && parsed.strictArp, true);
  });
});
