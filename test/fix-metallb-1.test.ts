// test-runner: concurrent (every test on its own simulator)
/** MetalLB fixes on the simulated cluster: namespace, Pod Security labels, Service controller, manual plans. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withSim } from './helpers.js';
import { diagnose, fixFlow, isManual, plan, skipOf, state, status } from './fix-metallb-lib.js';

describe('metallb.create-namespace', () => {
  it('creates metallb-system labelled privileged; metallb.namespace passes; install stays manual', async () => {
    await withSim('f-no-metallb-ns', async (sim) => {
      const { plan: p, before } = await fixFlow(sim, 'metallb.create-namespace', ['metallb.namespace', 'metallb.pod-security']);
      assert.equal(status(before, 'metallb.namespace'), 'fail:namespace-missing');
      assert.match(p.steps[0]!.command, /kubectl create -f -/);
      const ns = sim.objects().find((o) => o.kind === 'Namespace' && o.metadata?.name === 'metallb-system');
      assert.deepEqual(
        Object.fromEntries(Object.entries(ns?.metadata?.labels ?? {}).filter(([k]) => k.startsWith('pod-security'))),
        { 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/audit': 'privileged', 'pod-security.kubernetes.io/warn': 'privileged' },
      );
      const install = await plan(sim, 'metallb.install');
      assert.ok(isManual(install));
      assert.deepEqual(install.manual.at(-1), 'helm -n metallb-system install metallb metallb/metallb --version 0.14.9');
    });
  });
  it('install is skipped when a controller exists', async () => {
    await withSim('healthy-helm', async (sim) => {
      assert.match(skipOf(await plan(sim, 'metallb.install')), /metallb-controller/);
      assert.match(skipOf(await plan(sim, 'metallb.create-namespace')), /exists/);
    });
  });
});

describe('metallb.label-psa', () => {
  for (const [scenario, before] of [['m-psa-baseline', 'fail:enforce-not-privileged'], ['m-psa-missing', 'warn:labels-missing']] as const) {
    it(`${scenario}: labels the namespace privileged; metallb.pod-security passes`, async () => {
      await withSim(scenario, async (sim) => {
        const { plan: p, before: b } = await fixFlow(sim, 'metallb.label-psa', ['metallb.pod-security'], { only: ['metallb.pod-security'] });
        assert.equal(status(b, 'metallb.pod-security'), before);
        assert.equal(p.steps[0]!.verb, 'patch');
        assert.match(p.steps[0]!.diff ?? '', /\+\s+pod-security.kubernetes.io\/enforce: privileged/);
      });
    });
  }
});

describe('metallb.expose-controller', () => {
  const SVC = ['metallb.controller-service', 'metallb.metrics'];
  const svcOf = (sim: { objects(): any[] }) => sim.objects().find((o) => o.kind === 'Service' && o.metadata?.namespace === 'metallb-system' && o.metadata?.name === 'controller');
  // the f-* scenarios script the metrics proxy as 404 (the sim answers the script, not the Service):
  // there only metallb.controller-service can pass; m-metrics-svc-missing scripts the metrics
  for (const [scenario, selector, passes] of [
    ['f-controller-svc-missing', { 'app.kubernetes.io/name': 'metallb', 'app.kubernetes.io/instance': 'metallb', 'app.kubernetes.io/component': 'controller' }, ['metallb.controller-service']],
    ['m-metrics-svc-missing', null, SVC],
    ['f-kubespray-svc-missing', { app: 'metallb', component: 'controller' }, ['metallb.controller-service']],
  ] as const) {
    it(`${scenario}: creates Service controller (port monitoring 7472); ${passes.join(', ')} pass`, async () => {
      await withSim(scenario, async (sim) => {
        const { plan: p } = await fixFlow(sim, 'metallb.expose-controller', [...passes], { only: SVC });
        assert.equal(p.steps[0]!.verb, 'create');
        const svc = svcOf(sim);
        assert.deepEqual(svc.spec.ports.map((x: any) => [x.name, x.protocol, x.port, x.targetPort]), [['monitoring', 'TCP', 7472, 'monitoring']]);
        if (selector) assert.deepEqual(Object.fromEntries(Object.entries(svc.spec.selector).filter(([k]) => k in selector)), selector);
      });
    });
  }
  for (const scenario of ['f-controller-port-misnamed', 'f-controller-port-wrong', 'f-controller-selector-nothing']) {
    it(`${scenario}: repairs the Service in place (same uid, other fields kept)`, async () => {
      await withSim(scenario, async (sim) => {
        const old = svcOf(sim);
        const { plan: p } = await fixFlow(sim, 'metallb.expose-controller', ['metallb.controller-service'], { only: SVC });
        assert.equal(p.steps[0]!.verb, 'update');
        assert.match(p.steps[0]!.command, /kubectl -n metallb-system patch service controller --type merge/);
        const now = svcOf(sim);
        assert.equal(now.metadata.uid, old.metadata.uid);
        assert.equal(now.spec.clusterIP, old.spec.clusterIP);
        assert.ok(now.spec.ports.some((x: any) => x.name === 'monitoring'));
      });
    });
  }
  it('f-controller-selects-speaker: the selector that also picks the speaker becomes the controller pod labels', async () => {
    await withSim('f-controller-selects-speaker', async (sim) => {
      const before = await diagnose(sim, SVC);
      assert.equal(status(before, 'metallb.controller-service'), 'warn:selects-other-pods');
      const { plan: p } = await fixFlow(sim, 'metallb.expose-controller', ['metallb.controller-service'], { only: SVC });
      assert.match(p.summary, /selector/);
      assert.equal(svcOf(sim).spec.selector['app.kubernetes.io/component'], 'controller');
    });
  });
  it('a working Service (port 80 -> 7472) is left alone', async () => {
    await withSim('f-controller-port-80', async (sim) => {
      assert.match(skipOf(await plan(sim, 'metallb.expose-controller')), /already has TCP port monitoring/);
    });
  });
  it('refused for MetalLB 0.16 (HTTPS-only metrics on 9120), even with the Service missing', async () => {
    const s = await state('m-metallb-0-16', (st) => {
      st.objects = st.objects.filter((o) => !(o.kind === 'Service' && o.metadata?.namespace === 'metallb-system' && o.metadata?.name === 'controller'));
    });
    await withSim(s, async (sim) => {
      const before = await diagnose(sim, SVC);
      assert.equal(status(before, 'metallb.controller-service'), 'fail:service-missing');
      assert.match(skipOf(await plan(sim, 'metallb.expose-controller', before)), /0\.16.*HTTPS.*9120.*metallb\.pin-version/);
    });
  });
});

describe('metallb.pin-version (manual)', () => {
  it('MetalLB 0.16: prints the backup and the pinned Helm downgrade to 0.15.3', async () => {
    await withSim('m-metallb-0-16', async (sim) => {
      const p = await plan(sim, 'metallb.pin-version');
      assert.ok(isManual(p));
      assert.ok(p.manual.some((c) => /get ipaddresspools,l2advertisements,bgpadvertisements -o yaml > metallb-backup.yaml/.test(c)));
      assert.ok(p.manual.some((c) => /^helm -n metallb-system upgrade metallb metallb\/metallb --version 0\.15\.3$/.test(c)), p.manual.join('\n'));
    });
  });
  it('skipped for 0.14', async () => {
    await withSim('healthy-helm', async (sim) => assert.match(skipOf(await plan(sim, 'metallb.pin-version')), /plain-HTTP/));
  });
});
