/**
 * MetalLB pool checks against the simulated cluster: metrics, legacy-config,
 * default-pool, advertisement, pool-capacity, pending-services (scenarios m-*).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { loadScenario, type KubeObject, type SimState } from '../src/sim/index.js';
import { expectCheck, result, runScenario, withSim } from './helpers.js';
import { runDoctor } from '../src/core/engine.js';

const METRICS_PATH = '/api/v1/namespaces/metallb-system/services/controller:monitoring/proxy/metrics';

function find(s: SimState, kind: string, name: string): any {
  const o = s.objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind} ${name} not in scenario`);
  return o;
}

describe('metallb.metrics', () => {
  test('healthy: reads pool default through the service proxy', async () => {
    const { report } = await runScenario('healthy-helm', { only: ['metallb.metrics'] });
    const r = expectCheck(report, 'metallb.metrics', 'pass', /metallb-system\/controller:monitoring/, /pool default: 16 addresses, 1 in use/);
    assert.equal(r.details?.total, 16);
    assert.equal(r.details?.inUse, 1);
  });

  test('Service controller missing: 404 in its own words, with the expose remedy', async () => {
    const { report } = await runScenario('m-metrics-svc-missing', { only: ['metallb.metrics'] });
    const r = expectCheck(report, 'metallb.metrics', 'fail', /Service metallb-system\/controller does not exist/, /404/);
    assert.equal(r.details?.problem, 'service-missing');
    assert.match(r.remedy!.commands.at(-1)!, /expose deployment metallb-controller --name=controller/);
  });

  test('no endpoints (controller not ready): 503 no ready endpoint', async () => {
    const { report } = await runScenario('m-controller-unavailable', { only: ['metallb.metrics'] });
    const r = expectCheck(report, 'metallb.metrics', 'fail', /no ready endpoint for port "monitoring"/, /503/);
    assert.equal(r.details?.problem, 'no-endpoints');
  });

  test('port not named monitoring: 503 told apart by the Service', async () => {
    const s = await loadScenario('healthy-helm');
    find(s, 'Service', 'controller').spec.ports[0].name = 'metrics';
    const { report } = await runScenario(s, { only: ['metallb.metrics'] });
    const r = expectCheck(report, 'metallb.metrics', 'fail', /has no port named "monitoring"/, /"metrics" 7472/);
    assert.equal(r.details?.problem, 'no-monitoring-port');
  });

  test('connection refused behind the proxy: 503 could not reach', async () => {
    const { report } = await runScenario('m-metrics-unreachable', { only: ['metallb.metrics'] });
    const r = expectCheck(report, 'metallb.metrics', 'fail', /could not reach the controller/, /HTTP 503/, /connection refused/);
    assert.equal(r.details?.problem, 'unreachable');
  });

  test('other HTTP status and non-Prometheus bodies', async () => {
    const s = await loadScenario('healthy-helm');
    s.behaviour.proxy['metallb-system/controller:monitoring/metrics'] = { status: 500, body: 'internal error' };
    const { report } = await runScenario(s, { only: ['metallb.metrics'] });
    expectCheck(report, 'metallb.metrics', 'fail', /failed with HTTP 500/, /internal error/);

    const h = await loadScenario('healthy-helm');
    h.behaviour.proxy['metallb-system/controller:monitoring/metrics'] = { status: 200, body: '<html>hello</html>', contentType: 'text/html' };
    const { report: r2 } = await runScenario(h, { only: ['metallb.metrics'] });
    expectCheck(r2, 'metallb.metrics', 'fail', /not in the Prometheus text format/);
  });

  test('no series for pool default: names the pools that exist', async () => {
    const { report } = await runScenario('m-pool-not-default', { only: ['metallb.metrics'] });
    expectCheck(report, 'metallb.metrics', 'fail', /no metallb_allocator_addresses_total\{pool="default"\}/, /pools in the metrics: public/, /0 IPs/);
  });

  test('no allocator series at all', async () => {
    const { report } = await runScenario('m-legacy-config', { only: ['metallb.metrics'] });
    expectCheck(report, 'metallb.metrics', 'fail', /no metallb_allocator_addresses_total series at all/);
  });

  test('metrics and pool-capacity share one proxy request', async () => {
    const { report, sim } = await runScenario('healthy-helm', { only: ['metallb.metrics', 'metallb.pool-capacity'] });
    expectCheck(report, 'metallb.pool-capacity', 'pass', /controller metrics/);
    assert.equal(sim.requests.filter((r) => r.path === METRICS_PATH).length, 1);
  });

  test('a forbidden proxy is an error naming the request, not a pass', async () => {
    await withSim('healthy-helm', async (sim) => {
      // may read everything except the service proxy
      const kc = await sim.addUser('viewer', [{ verbs: ['get', 'list'], resources: ['namespaces', 'deployments', 'services', 'configmaps', 'pods', 'nodes', 'version'] }]);
      const { report } = await runDoctor({ kubeconfig: kc, timeoutMs: 30_000, minBackoffMs: 10, only: ['metallb.metrics'] });
      const r = result(report, 'metallb.metrics');
      assert.equal(r.status, 'error', r.message);
      assert.match(r.message, /forbidden/);
      assert.match(r.message, /services\/proxy/);
    });
  });
});

describe('metallb.legacy-config', () => {
  test('no legacy ConfigMap passes', async () => {
    const { report } = await runScenario('healthy-helm', { only: ['metallb.legacy-config'] });
    expectCheck(report, 'metallb.legacy-config', 'pass', /no legacy MetalLB ConfigMap/);
  });

  test('0.12 leftovers not migrated (layer2 + bgp): fail with the converted resources', async () => {
    const { report } = await runScenario('m-legacy-config', { only: ['metallb.legacy-config'] });
    const r = expectCheck(
      report,
      'metallb.legacy-config',
      'fail',
      /ConfigMap metallb-system\/config \(2 pools\)/,
      /not migrated/,
      /IPAddressPool default, IPAddressPool bgp-pool, L2Advertisement l2advertisement1, BGPAdvertisement bgpadvertisement1/,
    );
    assert.equal(r.remedy?.fixId, 'metallb.migrate-legacy-config');
    assert.deepEqual(r.remedy?.params, { namespace: 'metallb-system', configMap: 'config' });
    assert.ok(r.remedy?.commands.includes('kubectl -n metallb-system delete cm config'));
    const yaml = String(r.details?.convertedYaml);
    const docs = (parseAllDocuments(yaml) as unknown as { toJS(): any }[]).map((d) => d.toJS());
    assert.deepEqual(
      docs.map((d) => `${d.kind}/${d.metadata.name}`),
      ['IPAddressPool/default', 'IPAddressPool/bgp-pool', 'L2Advertisement/l2advertisement1', 'BGPAdvertisement/bgpadvertisement1'],
    );
    const bgpPool = docs.find((d) => d.metadata.name === 'bgp-pool');
    assert.deepEqual(bgpPool.spec, { addresses: ['198.51.100.0/24'], autoAssign: false, avoidBuggyIPs: true });
    const bgpAdv = docs.find((d) => d.kind === 'BGPAdvertisement');
    assert.deepEqual(bgpAdv.spec.communities, ['65535:65282']);
    const cms = r.details?.configMaps as any[];
    assert.ok(cms[0].notes.some((n: string) => /BGP peer/.test(n)));
  });

  test('migrated, old ConfigMap left over: warn with the delete command', async () => {
    const { report } = await runScenario('m-legacy-leftover', { only: ['metallb.legacy-config'] });
    const r = expectCheck(report, 'metallb.legacy-config', 'warn', /left over/, /metallb-system\/config/);
    assert.equal(r.remedy?.commands.at(-1), 'kubectl -n metallb-system delete cm config');
  });

  test('partially migrated (pool exists, advertisement missing): fail naming what is missing', async () => {
    const s = await loadScenario('m-legacy-leftover');
    s.objects = s.objects.filter((o) => o.kind !== 'L2Advertisement');
    const { report } = await runScenario(s, { only: ['metallb.legacy-config'] });
    expectCheck(report, 'metallb.legacy-config', 'fail', /missing: L2Advertisement for pool default/);
  });

  test('MetalLB still 0.12 with the old Helm chart ConfigMap "metallb": the ConfigMap is live', async () => {
    const { report } = await runScenario('m-metallb-0-12', { only: ['metallb.legacy-config'] });
    const r = expectCheck(report, 'metallb.legacy-config', 'fail', /v0\.12\.1 is still configured by ConfigMap metallb-system\/metallb/, /upgrade to 0\.14\.9/);
    assert.match(r.remedy!.commands[0]!, /helm -n metallb-system upgrade/);
  });

  test('MetalLB still 0.12 with an unconvertible config: no upgrade remedy (0.13+ would ignore the only config)', async () => {
    const s = await loadScenario('m-metallb-0-12');
    find(s, 'ConfigMap', 'metallb').data.config = 'address-pools:\n- name: default\n  protocol: layer2\n  addresses:\n  - 203.0.113.7\n';
    const { report } = await runScenario(s, { only: ['metallb.legacy-config'] });
    const r = expectCheck(report, 'metallb.legacy-config', 'fail', /v0\.12\.1 is still configured by ConfigMap metallb-system\/metallb/, /cannot be converted/, /invalid address "203\.0\.113\.7"/, /Do not upgrade yet/);
    assert.equal(r.remedy, undefined, 'an upgrade alone would leave MetalLB without pools');
  });

  test('unconvertible legacy config says why', async () => {
    const s = await loadScenario('m-legacy-config');
    find(s, 'ConfigMap', 'config').data.config = 'address-pools:\n- name: default\n  protocol: layer2\n  addresses:\n  - 203.0.113.7\n';
    const { report } = await runScenario(s, { only: ['metallb.legacy-config'] });
    expectCheck(report, 'metallb.legacy-config', 'fail', /cannot be converted/, /invalid address "203\.0\.113\.7"/);
  });
});

describe('metallb.default-pool', () => {
  test('healthy: size and no overlaps', async () => {
    const { report } = await runScenario('healthy-helm', { only: ['metallb.default-pool'] });
    const r = expectCheck(report, 'metallb.default-pool', 'pass', /IPAddressPool metallb-system\/default: 1 entry, 16 IPv4 addresses/, /no overlaps/);
    assert.deepEqual(r.details?.size, { ipv4: 16, ipv6: 0, total: 16 });
  });

  test('no pool default but pool public: fail naming it and the silent 0-IP effect', async () => {
    const { report } = await runScenario('m-pool-not-default', { only: ['metallb.default-pool'] });
    const r = expectCheck(report, 'metallb.default-pool', 'fail', /no IPAddressPool named default \(found: public\)/, /silently reports 0 IPs/, /never bids/);
    assert.ok(r.remedy?.commands.some((c) => c.includes('delete ipaddresspools.metallb.io public')));
  });

  test('the rename remedy also points the advertisement that names the old pool at the new one', async () => {
    // without it, pool "default" would be announced by nothing: every LoadBalancer IP goes dark
    const { report } = await runScenario('m-pool-not-default', { only: ['metallb.default-pool'] });
    const r = expectCheck(report, 'metallb.default-pool', 'fail', /no IPAddressPool named default/);
    const cmds = r.remedy!.commands;
    const patch = cmds.findIndex((c) => c.includes('patch l2advertisements.metallb.io l2advertisement1'));
    assert.ok(patch >= 0, cmds.join('\n'));
    assert.match(cmds[patch]!, /--type=json -p '\[\{"op":"replace","path":"\/spec\/ipAddressPools\/0","value":"default"\}\]'$/);
    assert.ok(patch > cmds.findIndex((c) => c.startsWith('kubectl apply -f pool-default.json')), 'patched after the pool is recreated');
    assert.match(r.hint!, /patch l2advertisements\.metallb\.io l2advertisement1/);
  });

  test('no pool at all', async () => {
    const { report } = await runScenario('m-legacy-config', { only: ['metallb.default-pool'] });
    expectCheck(report, 'metallb.default-pool', 'fail', /no IPAddressPool in metallb-system/);
  });

  test('CRD missing (MetalLB 0.12)', async () => {
    const { report } = await runScenario('m-metallb-0-12', { only: ['metallb.default-pool'] });
    expectCheck(report, 'metallb.default-pool', 'fail', /ipaddresspools\.metallb\.io\) is not installed/);
  });

  test('invalid address entry', async () => {
    const { report } = await runScenario('m-pool-invalid-entry', { only: ['metallb.default-pool'] });
    expectCheck(report, 'metallb.default-pool', 'fail', /invalid address entry "198\.51\.100\.7"/, /bare IP/, /198\.51\.100\.7\/32/);
  });

  test('overlapping pools', async () => {
    const { report } = await runScenario('m-pool-overlap', { only: ['metallb.default-pool'] });
    const r = expectCheck(report, 'metallb.default-pool', 'fail', /IPAddressPool default entry 203\.0\.113\.0\/28 overlaps IPAddressPool reserved entry 203\.0\.113\.8-203\.0\.113\.12/);
    assert.equal((r.details?.overlaps as unknown[]).length, 1);
  });

  test('an invalid entry in another pool also breaks pool default', async () => {
    const s = await loadScenario('m-pool-overlap');
    find(s, 'IPAddressPool', 'reserved').spec.addresses = ['198.51.100.0/33'];
    const { report } = await runScenario(s, { only: ['metallb.default-pool'] });
    expectCheck(report, 'metallb.default-pool', 'fail', /IPAddressPool metallb-system\/reserved has an invalid address entry/, /pool default included/);
  });

  test('the IP operator started with --metal-lb-pool reads that pool instead', async () => {
    const s = await loadScenario('m-pool-not-default');
    find(s, 'Deployment', 'operator-ip').spec.template.spec.containers[0].args.push('--metal-lb-pool=public');
    const { report } = await runScenario(s, { only: ['metallb.default-pool', 'metallb.advertisement', 'metallb.metrics'] });
    const r = expectCheck(report, 'metallb.default-pool', 'pass', /IPAddressPool metallb-system\/public/);
    assert.match(String(r.details?.poolSource), /--metal-lb-pool on deployment akash-services\/operator-ip/);
    expectCheck(report, 'metallb.advertisement', 'pass', /announces pool public/);
    expectCheck(report, 'metallb.metrics', 'pass', /pool public: 16 addresses/);
  });
});

test('metallb.default-pool: the pool name may also come from the operator ConfigMap (env AP_METAL_LB_POOL from key metal-lb-pool)', async () => {
  const s = await loadScenario('m-pool-not-default');
  find(s, 'ConfigMap', 'operator-ip').data['metal-lb-pool'] = 'public';
  find(s, 'Deployment', 'operator-ip').spec.template.spec.containers[0].env.push({ name: 'AP_METAL_LB_POOL', valueFrom: { configMapKeyRef: { name: 'operator-ip', key: 'metal-lb-pool' } } });
  const { report } = await runScenario(s, { only: ['metallb.default-pool'] });
  expectCheck(report, 'metallb.default-pool', 'pass', /IPAddressPool metallb-system\/public/);
});

describe('metallb.advertisement', () => {
  test('explicit name passes', async () => {
    const { report } = await runScenario('healthy-helm', { only: ['metallb.advertisement'] });
    expectCheck(report, 'metallb.advertisement', 'pass', /L2Advertisement metallb-system\/l2advertisement1 announces pool default by name/);
  });

  test('no advertisement at all', async () => {
    const { report } = await runScenario('m-no-advertisement', { only: ['metallb.advertisement'] });
    const r = expectCheck(report, 'metallb.advertisement', 'fail', /no L2Advertisement or BGPAdvertisement/, /never announced/);
    assert.match(r.remedy!.commands[0]!, /"kind":"L2Advertisement".*"ipAddressPools":\["default"\].*\| kubectl apply -f -$/);
  });

  test('the only advertisement selects another pool', async () => {
    const { report } = await runScenario('m-advertisement-other-pool', { only: ['metallb.advertisement'] });
    const r = expectCheck(report, 'metallb.advertisement', 'fail', /no advertisement selects pool default/, /l2advertisement1 selects pool public/);
    // the proposed advertisement does not clash with the existing name
    assert.match(r.remedy!.commands[0]!, /"name":"l2advertisement2"/);
  });

  test('selected by label selector passes', async () => {
    const { report } = await runScenario('m-advertisement-selector', { only: ['metallb.advertisement'] });
    expectCheck(report, 'metallb.advertisement', 'pass', /L2Advertisement metallb-system\/lease-pools announces pool default by label selector/);
  });

  test('an advertisement naming no pool selects all pools; BGP counts too', async () => {
    const s = await loadScenario('m-no-advertisement');
    s.objects.push({ apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: { name: 'everything', namespace: 'metallb-system' }, spec: {} } as KubeObject);
    const { report } = await runScenario(s, { only: ['metallb.advertisement'] });
    expectCheck(report, 'metallb.advertisement', 'pass', /BGPAdvertisement metallb-system\/everything announces pool default as it names no pool/);
  });

  test('skips when pool default is missing', async () => {
    const { report } = await runScenario('m-pool-not-default', { only: ['metallb.advertisement'] });
    expectCheck(report, 'metallb.advertisement', 'skip', /no IPAddressPool default/);
  });
});

describe('metallb.pool-capacity', () => {
  test('healthy: from the metrics', async () => {
    const { report } = await runScenario('healthy-helm', { only: ['metallb.pool-capacity'] });
    const r = expectCheck(report, 'metallb.pool-capacity', 'pass', /15 of 16 addresses free/, /controller metrics/);
    assert.equal(r.details?.source, 'metrics');
  });

  test('exhausted: 0 free fails', async () => {
    const { report } = await runScenario('m-pool-exhausted', { only: ['metallb.pool-capacity'] });
    const r = expectCheck(report, 'metallb.pool-capacity', 'fail', /exhausted: 0 of 4 addresses free/, /edit ipaddresspools\.metallb\.io default/);
    assert.equal(r.details?.source, 'metrics');
  });

  test('low: at the threshold warns; a lower threshold passes', async () => {
    const { report } = await runScenario('m-pool-low', { only: ['metallb.pool-capacity'] });
    expectCheck(report, 'metallb.pool-capacity', 'warn', /nearly exhausted: 2 of 16 addresses free/, /low-water mark of 2/);
    const { report: r2 } = await runScenario('m-pool-low', { only: ['metallb.pool-capacity'], poolLowThreshold: 1 });
    expectCheck(r2, 'metallb.pool-capacity', 'pass', /2 of 16 addresses free/);
  });

  test('metrics unreadable, MetalLB 0.15: from the pool status', async () => {
    const { report } = await runScenario('m-pool-status-capacity', { only: ['metallb.pool-capacity'] });
    const r = expectCheck(report, 'metallb.pool-capacity', 'warn', /2 of 16 addresses free/, /pool status/);
    assert.equal(r.details?.source, 'pool-status');
  });

  test('metrics unreadable, no status: computed from the pool minus lease Service IPs', async () => {
    const { report } = await runScenario('m-metrics-svc-missing', { only: ['metallb.pool-capacity'] });
    const r = expectCheck(report, 'metallb.pool-capacity', 'pass', /15 of 16 addresses free/, /computed/);
    assert.equal(r.details?.source, 'computed');
    assert.ok((r.details?.notes as string[]).some((n) => /HTTP 404/.test(n)));
  });

  test('computed source counts only IPs inside the pool and honours avoidBuggyIPs', async () => {
    const s = await loadScenario('m-pool-exhausted');
    delete s.behaviour.proxy['metallb-system/controller:monitoring/metrics'];
    s.objects = s.objects.filter((o) => !(o.kind === 'Service' && o.metadata.name === 'controller'));
    // 203.0.113.0/30 with avoidBuggyIPs: .0 is skipped, 3 usable, held by .2 and .3 (.1 too) -> 0 free
    find(s, 'IPAddressPool', 'default').spec.avoidBuggyIPs = true;
    const { report } = await runScenario(s, { only: ['metallb.pool-capacity'] });
    const r = expectCheck(report, 'metallb.pool-capacity', 'fail', /0 of 3 addresses free/, /computed/);
    assert.equal(r.details?.inUse, 3);
  });

  test('skipped when pool default fails', async () => {
    const { report } = await runScenario('m-pool-overlap', { only: ['metallb.pool-capacity'] });
    expectCheck(report, 'metallb.pool-capacity', 'skip', /metallb\.default-pool failed/);
  });
});

describe('metallb.pending-services', () => {
  test('healthy: none pending, with the count', async () => {
    const { report } = await runScenario('healthy-helm', { only: ['metallb.pending-services'] });
    expectCheck(report, 'metallb.pending-services', 'pass', /the 1 lease LoadBalancer Service has its IP/);
  });

  test('exhausted pool: the pending Service with MetalLB\'s AllocationFailed text', async () => {
    const { report, sim } = await runScenario('m-pool-exhausted', { only: ['metallb.pending-services'] });
    const r = expectCheck(report, 'metallb.pending-services', 'fail', /1 of 5 lease LoadBalancer Services has no IP/, /lease-b2\/web-ip-80-tcp/, /no available IPs/, /pool is exhausted/);
    assert.deepEqual(r.details?.causes, { noAvailableIps: 1, allocationFailed: 0, noEvent: 0 });
    // one event lookup, only for the pending Service, by field selector
    const ev = sim.requests.filter((x) => x.path.endsWith('/events'));
    assert.equal(ev.length, 1);
    assert.match(ev[0]!.path, /\/namespaces\/lease-b2\/events$/);
    assert.match(decodeURIComponent(ev[0]!.query), /involvedObject\.name=web-ip-80-tcp,reason=AllocationFailed/);
  });

  test('pending without any event points at the controller', async () => {
    const s = await loadScenario('m-pool-exhausted');
    s.objects = s.objects.filter((o) => o.kind !== 'Event');
    const { report } = await runScenario(s, { only: ['metallb.pending-services'] });
    expectCheck(report, 'metallb.pending-services', 'fail', /no AllocationFailed event/, /check the controller/);
  });

  test('other allocation failures keep their own words', async () => {
    const s = await loadScenario('m-pool-exhausted');
    const ev = s.objects.find((o) => o.kind === 'Event' && (o as any).reason === 'AllocationFailed') as any;
    ev.message = 'Failed to allocate IP for "lease-b2/web-ip-80-tcp": unknown pool "premium"';
    const { report } = await runScenario(s, { only: ['metallb.pending-services'] });
    expectCheck(report, 'metallb.pending-services', 'fail', /unknown pool "premium"/, /describe service web-ip-80-tcp/);
  });

  test('event lookups are bounded (at most 20)', async () => {
    const s = await loadScenario('healthy-helm');
    for (let i = 0; i < 25; i++) {
      s.objects.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `svc-${i}`, namespace: 'lease-7d1c0fa2b3', labels: { 'akash.network': 'true', 'akash.network/service-target': 'metal-lb' } },
        spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
        status: { loadBalancer: {} },
      } as KubeObject);
    }
    const { report, sim } = await runScenario(s, { only: ['metallb.pending-services'] });
    const r = expectCheck(report, 'metallb.pending-services', 'fail', /25 of 26 lease LoadBalancer Services have no IP/, /and 21 more/);
    assert.equal(r.details?.eventsNotLookedUp, 5);
    assert.equal(sim.requests.filter((x) => x.path.endsWith('/events')).length, 20);
  });

  test('only LoadBalancer lease Services count', async () => {
    const s = await loadScenario('healthy-helm');
    s.objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'cluster-ip', namespace: 'lease-7d1c0fa2b3', labels: { 'akash.network/service-target': 'metal-lb' } },
      spec: { type: 'ClusterIP', ports: [{ port: 80 }] },
    } as KubeObject);
    const { report } = await runScenario(s, { only: ['metallb.pending-services'] });
    expectCheck(report, 'metallb.pending-services', 'pass', /the 1 lease LoadBalancer Service/);
  });
});

describe('metallb.default-pool: can MetalLB auto-assign pool default to lease Services?', () => {
  test('autoAssign: false fails, and the pending lease Service is blamed on it, not on exhaustion', async () => {
    const { report } = await runScenario('m-pool-no-autoassign', { only: ['metallb.default-pool', 'metallb.pending-services'] });
    const r = expectCheck(report, 'metallb.default-pool', 'fail', /autoAssign: false/, /<pending>/);
    assert.equal(r.details?.reason, 'auto-assign-disabled');
    assert.deepEqual(r.remedy?.commands, [`kubectl -n metallb-system patch ipaddresspools.metallb.io default --type=merge -p '{"spec":{"autoAssign":true}}'`]);
    const p = expectCheck(report, 'metallb.pending-services', 'fail', /lease-c3a9e41f07\/web-ip-80-tcp/);
    assert.equal(p.details?.reason, 'pool-not-assignable');
    assert.match(p.hint!, /autoAssign: false/);
  });

  test('a serviceAllocation listing only today\'s lease namespace misses new leases', async () => {
    const { report } = await runScenario('m-pool-service-allocation', { only: ['metallb.default-pool'] });
    const r = expectCheck(report, 'metallb.default-pool', 'fail', /serviceAllocation \(namespaces lease-7d1c0fa2b3, priority 50\)/, /a new lease/);
    assert.equal(r.details?.reason, 'service-allocation-excludes-leases');
    assert.deepEqual(r.details?.notCovered, [{ lease: 'a new lease', why: 'namespace' }]);
    assert.deepEqual(r.details?.leasesChecked, ['a new lease', 'lease-7d1c0fa2b3/web-ip-80-tcp']);
  });

  test('a namespaceSelector on akash.network=true covers every lease: pass', async () => {
    const s = await loadScenario('m-pool-service-allocation');
    find(s, 'IPAddressPool', 'default').spec.serviceAllocation = { priority: 50, namespaceSelectors: [{ matchLabels: { 'akash.network': 'true' } }] };
    const { report } = await runScenario(s, { only: ['metallb.default-pool'] });
    assert.equal(expectCheck(report, 'metallb.default-pool', 'pass').details?.reason, 'pool-ok');
  });

  test('a serviceSelector on a label leases do not carry fails; one on service-target=metal-lb passes', async () => {
    for (const [sel, status, reason] of [
      [{ matchLabels: { app: 'web' } }, 'fail', 'service-allocation-excludes-leases'],
      [{ matchLabels: { 'akash.network/service-target': 'metal-lb' } }, 'pass', 'pool-ok'],
    ] as const) {
      const s = await loadScenario('m-pool-service-allocation');
      find(s, 'IPAddressPool', 'default').spec.serviceAllocation = { serviceSelectors: [sel] };
      const { report } = await runScenario(s, { only: ['metallb.default-pool'] });
      assert.equal(expectCheck(report, 'metallb.default-pool', status).details?.reason, reason);
    }
  });

  test('with --metal-lb-pool the operator names the pool on lease Services: autoAssign does not matter', async () => {
    const s = await loadScenario('m-pool-no-autoassign');
    const pool = find(s, 'IPAddressPool', 'default');
    pool.metadata.name = 'public';
    const dep = find(s, 'Deployment', 'operator-ip');
    dep.spec.template.spec.containers[0].args = ['provider-services', 'operator', 'ip', '--metal-lb-pool=public'];
    const { report } = await runScenario(s, { only: ['metallb.default-pool'] });
    const r = expectCheck(report, 'metallb.default-pool', 'pass', /IPAddressPool metallb-system\/public/);
    assert.equal(r.details?.leaseServicesNamePool, true);
  });

  test('another pool whose serviceAllocation selects lease Services takes them first: warn', async () => {
    const s = await loadScenario('healthy-helm');
    s.objects.push({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'tenants', namespace: 'metallb-system' },
      spec: { addresses: ['198.51.100.0/28'], serviceAllocation: { namespaceSelectors: [{ matchLabels: { 'akash.network': 'true' } }] } },
    } as KubeObject);
    const { report } = await runScenario(s, { only: ['metallb.default-pool'] });
    const r = expectCheck(report, 'metallb.default-pool', 'warn', /IPAddressPool tenants selects lease Services/);
    assert.equal(r.details?.reason, 'other-pool-captures-leases');
  });
});
