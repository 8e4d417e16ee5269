/** MetalLB fixes on the simulated cluster: legacy ConfigMap migration, pool rename, L2Advertisement. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SimState } from '../src/sim/index.js';
import { withSim } from './helpers.js';
import { diagnose, fixFlow, plan, skipOf, state, status } from './fix-metallb-lib.js';

const find = (s: SimState, kind: string, name: string): any => {
  const o = s.objects.find((x) => x.kind === kind && x.metadata?.name === name);
  assert.ok(o, `${kind} ${name} in the scenario`);
  return o;
};
const objs = (sim: { objects(): any[] }, kind: string) => sim.objects().filter((o) => o.kind === kind && o.metadata?.namespace === 'metallb-system');

const LAYER2_ONLY = `address-pools:
- name: default
  protocol: layer2
  addresses:
  - 203.0.113.0/28
- name: Extra_Pool
  protocol: layer2
  auto-assign: false
  addresses:
  - 198.51.100.0/29
`;

describe('metallb.migrate-legacy-config', () => {
  it('layer2 legacy config: pools and advertisements created as configmaptocrs does, verified, backed up, ConfigMap deleted', async () => {
    const s = await state('m-legacy-config', (st) => {
      find(st, 'ConfigMap', 'config').data.config = LAYER2_ONLY;
    });
    await withSim(s, async (sim) => {
      const passes = ['metallb.legacy-config', 'metallb.default-pool', 'metallb.advertisement'];
      const { plan: p, before } = await fixFlow(sim, 'metallb.migrate-legacy-config', passes);
      assert.equal(status(before, 'metallb.legacy-config'), 'fail:not-migrated');
      assert.deepEqual(p.steps.map((x) => `${x.verb} ${x.object.kind.kind} ${x.object.name}`.replace(/-\d{14}$/, '-<ts>')), [
        'create IPAddressPool default',
        'create IPAddressPool extra-pool',
        'create L2Advertisement l2advertisement1',
        'create L2Advertisement l2advertisement2',
        'create ConfigMap config-backup-<ts>',
        'delete ConfigMap config',
      ]);
      const pools = objs(sim, 'IPAddressPool');
      assert.deepEqual(pools.map((o) => [o.metadata.name, o.spec]).sort(), [
        ['default', { addresses: ['203.0.113.0/28'] }],
        ['extra-pool', { addresses: ['198.51.100.0/29'], autoAssign: false }],
      ]);
      assert.deepEqual(objs(sim, 'L2Advertisement').map((o) => [o.metadata.name, o.spec.ipAddressPools]).sort(), [['l2advertisement1', ['default']], ['l2advertisement2', ['extra-pool']]]);
      const cms = objs(sim, 'ConfigMap').filter((o) => /^config/.test(o.metadata.name));
      assert.equal(cms.length, 1);
      assert.match(cms[0].metadata.name, /^config-backup-\d{14}$/);
      assert.equal(cms[0].data.config, LAYER2_ONLY);
    });
  });
  it('left-over ConfigMap (resources exist and match): only backup and delete', async () => {
    await withSim('m-legacy-leftover', async (sim) => {
      const { plan: p, before } = await fixFlow(sim, 'metallb.migrate-legacy-config', ['metallb.legacy-config']);
      assert.equal(status(before, 'metallb.legacy-config'), 'warn:leftover');
      assert.deepEqual(p.steps.map((x) => x.verb), ['create', 'delete']);
    });
  });
  it('bgp pools: refused with why, nothing planned', async () => {
    await withSim('m-legacy-config', async (sim) => {
      assert.match(skipOf(await plan(sim, 'metallb.migrate-legacy-config')), /bgp-protocol pool Bgp_Pool.*only layer2/);
    });
  });
  it('MetalLB 0.12 (no CRDs): refused with why', async () => {
    await withSim('m-metallb-0-12', async (sim) => {
      assert.match(skipOf(await plan(sim, 'metallb.migrate-legacy-config')), /v0\.12\.1 is older than 0\.13.*upgrade MetalLB first/);
    });
  });
});

describe('metallb.rename-pool', () => {
  it('pool public -> default: advertisement moved, old pool deleted, steps in webhook-safe order', async () => {
    await withSim('m-pool-not-default', async (sim) => {
      const oldUid = objs(sim, 'IPAddressPool')[0].metadata.uid;
      const { plan: p, before } = await fixFlow(sim, 'metallb.rename-pool', ['metallb.default-pool', 'metallb.advertisement']);
      assert.equal(status(before, 'metallb.default-pool'), 'fail:pool-missing');
      assert.deepEqual(p.steps.map((x) => `${x.verb} ${x.object.kind.kind} ${x.object.name}`), [
        'update L2Advertisement l2advertisement1',
        'delete IPAddressPool public',
        'create IPAddressPool default',
        'update L2Advertisement l2advertisement1',
      ]);
      assert.ok(p.steps[2]!.needsEarlierSteps, 'the create may be refused in a dry run while the old pool exists');
      assert.ok(p.notes?.some((n) => /Backup of the old pool/.test(n) && /name: public/.test(n)));
      assert.ok(p.notes?.some((n) => /re-allocates/.test(n)));
      const pools = objs(sim, 'IPAddressPool');
      assert.deepEqual(pools.map((o) => [o.metadata.name, o.spec.addresses]), [['default', ['203.0.113.0/28']]]);
      assert.notEqual(pools[0].metadata.uid, oldUid);
      assert.deepEqual(objs(sim, 'L2Advertisement').map((o) => o.spec.ipAddressPools), [['default']]);
    });
  });
  it('refused when the IP operator reads another pool (--metal-lb-pool / AP_METAL_LB_POOL)', async () => {
    const s = await state('m-pool-not-default', (st) => {
      find(st, 'Deployment', 'operator-ip').spec.template.spec.containers[0].env.push({ name: 'AP_METAL_LB_POOL', value: 'other' });
    });
    await withSim(s, async (sim) => {
      assert.match(skipOf(await plan(sim, 'metallb.rename-pool')), /configured to read pool other.*AP_METAL_LB_POOL/);
    });
  });
  it('refused when the operator pool setting cannot be read (a Secret); the checks say unknown, not default', async () => {
    const s = await state('m-pool-not-default', (st) => {
      find(st, 'Deployment', 'operator-ip').spec.template.spec.containers[0].env.push({ name: 'AP_METAL_LB_POOL', valueFrom: { secretKeyRef: { name: 'operator-secret', key: 'pool' } } });
    });
    await withSim(s, async (sim) => {
      const report = await diagnose(sim, ['metallb.default-pool', 'metallb.advertisement']);
      assert.equal(status(report, 'metallb.default-pool'), 'skip:operator-pool-unknown');
      assert.equal(status(report, 'metallb.advertisement'), 'skip:operator-pool-unknown');
      assert.match(skipOf(await plan(sim, 'metallb.rename-pool', report)), /unknown.*secret operator-secret/);
      assert.match(skipOf(await plan(sim, 'metallb.create-l2-advertisement', report)), /unknown/);
    });
  });
  it('the operator pool comes from the layout the provider uses, not from another operator left over', async () => {
    const s = await state('m-pool-not-default', (st) => {
      // an old-layout operator (not the one provider 0.x >= 0.5 talks to) that reads pool public
      const dep = structuredClone(find(st, 'Deployment', 'operator-ip'));
      dep.metadata = { name: 'akash-ip-operator', namespace: 'akash-services' };
      dep.metadata.uid = undefined;
      dep.spec.template.spec.containers[0].args = [...(dep.spec.template.spec.containers[0].args ?? []), '--metal-lb-pool=public'];
      st.objects.push(dep);
    });
    await withSim(s, async (sim) => {
      const report = await diagnose(sim, ['metallb.default-pool']);
      assert.equal(status(report, 'metallb.default-pool'), 'fail:pool-missing');
      assert.equal(report.checks.find((c) => c.id === 'metallb.default-pool')?.remedy?.fixId, 'metallb.rename-pool');
    });
  });
});

describe('metallb.create-l2-advertisement', () => {
  it('m-no-advertisement: creates L2Advertisement default for pool default', async () => {
    await withSim('m-no-advertisement', async (sim) => {
      const { plan: p, before } = await fixFlow(sim, 'metallb.create-l2-advertisement', ['metallb.advertisement'], { only: ['metallb.advertisement'] });
      assert.equal(before.checks.find((c) => c.id === 'metallb.advertisement')?.remedy?.fixId, 'metallb.create-l2-advertisement');
      assert.match(p.summary, /L2Advertisement metallb-system\/default announcing pool default/);
      assert.deepEqual(objs(sim, 'L2Advertisement').map((o) => [o.metadata.name, o.spec.ipAddressPools]), [['default', ['default']]]);
    });
  });
  it('m-advertisement-other-pool: a new advertisement next to the one for another pool', async () => {
    await withSim('m-advertisement-other-pool', async (sim) => {
      const { before } = await fixFlow(sim, 'metallb.create-l2-advertisement', ['metallb.advertisement'], { only: ['metallb.advertisement'] });
      assert.equal(status(before, 'metallb.advertisement'), 'fail:pool-not-selected');
      assert.equal(objs(sim, 'L2Advertisement').length, 2);
    });
  });
});
