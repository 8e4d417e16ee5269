/**
 * kube-proxy.enable-strict-arp on the simulated cluster: plan, dry run (nothing changes),
 * apply (config.conf edited in place, kube-proxy pods replaced), re-check, idempotence,
 * a ConfigMap changed between plan and apply (and a 409 during the write), the refusals.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { withSim } from './helpers.js';
import { asPlan, fixHarness, planOf, runSteps } from './fix-helpers.js';
import { runDoctor } from '../src/core/engine.js';
import { loadScenario, type SimHandle, type SimState } from '../src/sim/index.js';
import { KINDS, Writer, type KubeObject, type WriteOptions } from '../src/cluster/writer.js';
import { KUBECTL_RESTARTED_AT, snapshotFactory } from '../src/fixes/lib.js';
import { enableStrictArp } from '../src/fixes/kube-proxy/enable-strict-arp.js';
import { isNoPlan, type FixPlan } from '../src/fixes/types.js';
import type { Report } from '../src/core/types.js';

const ID = 'kube-proxy.enable-strict-arp';
const CHECK = 'kube-proxy.strict-arp';

/** The scenario: healthy-helm (which they extend) has two running kube-proxy pods of DaemonSet kube-system/kube-proxy. */
async function withKubeProxyPods(name: string): Promise<SimState> {
  const st = await loadScenario(name);
  const pods = st.objects.filter((o) => o.kind === 'Pod' && o.metadata.namespace === 'kube-system' && o.metadata.labels?.['k8s-app'] === 'kube-proxy');
  assert.equal(pods.length, 2, `${name} has the two kube-proxy pods of healthy-helm`);
  return st;
}

async function diagnose(sim: SimHandle): Promise<Report> {
  return (await runDoctor({ kubeconfig: sim.kubeconfigPath, providerUrl: sim.providerUrl, minBackoffMs: 10, only: [CHECK] })).report;
}

function status(report: Report, id: string): string {
  return report.checks.find((c) => c.id === id)?.status ?? 'missing';
}

function configConf(sim: SimHandle): string {
  const cm = sim.objects().find((o) => o.kind === 'ConfigMap' && o.metadata.namespace === 'kube-system' && o.metadata.name === 'kube-proxy') as unknown as { data: Record<string, string> };
  return cm.data['config.conf']!;
}

function kubeProxyPods(sim: SimHandle): { name: string; uid: string }[] {
  return sim
    .objects()
    .filter((o) => o.kind === 'Pod' && o.metadata.namespace === 'kube-system' && o.metadata.labels?.['k8s-app'] === 'kube-proxy')
    .map((o) => ({ name: o.metadata.name, uid: String(o.metadata.uid) }));
}

async function settle(sim: SimHandle, h: ReturnType<typeof fixHarness>, plan: FixPlan, startedAt: Date) {
  assert.ok(plan.settle, 'the plan waits for the rollout');
  return plan.settle({ writer: h.writer, fresh: snapshotFactory(h.client), timeoutMs: 20_000, startedAt, signal: new AbortController().signal });
}

/** Lines that differ between two texts (same line count assumed where asserted). */
function changedLines(a: string, b: string): { removed: string[]; added: string[] } {
  const la = a.split('\n');
  const lb = b.split('\n');
  return { removed: la.filter((l) => !lb.includes(l)), added: lb.filter((l) => !la.includes(l)) };
}

describe('enableStrictArp edits the YAML in place', () => {
  test('false becomes true on the same line; comments, order and other fields stay', () => {
    const text = '# kube-proxy config, managed by hand\napiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs # IPVS for MetalLB\nipvs:\n  excludeCIDRs: null\n  minSyncPeriod: 0s\n  # strict ARP is required by MetalLB\n  strictARP: false # was off\n  syncPeriod: 30s\niptables:\n  masqueradeAll: false\n';
    const r = enableStrictArp(text);
    assert.ok(r.ok && r.text !== null);
    assert.deepEqual(changedLines(text, r.text), { removed: ['  strictARP: false # was off'], added: ['  strictARP: true # was off'] });
    assert.equal(r.text.split('\n').length, text.split('\n').length);
    assert.equal(r.reformatted, false);
  });
  test('absent: the key is added under ipvs, nothing else changes', () => {
    const text = 'kind: KubeProxyConfiguration\nmode: "ipvs"\nipvs:\n  scheduler: rr # round robin\n  syncPeriod: 30s\n# trailing comment';
    const r = enableStrictArp(text);
    assert.ok(r.ok && r.text !== null);
    const d = changedLines(text, r.text);
    assert.deepEqual(d, { removed: [], added: ['  strictARP: true'] });
    assert.equal(parse(r.text).ipvs.strictARP, true);
    assert.ok(!r.text.endsWith('\n'), 'a text without a final newline keeps it that way');
  });
  test('no ipvs section: one is added', () => {
    const r = enableStrictArp('kind: KubeProxyConfiguration\nmode: ipvs\n');
    assert.ok(r.ok && r.text !== null);
    assert.deepEqual(parse(r.text), { kind: 'KubeProxyConfiguration', mode: 'ipvs', ipvs: { strictARP: true } });
  });
  test('a flow-style ipvs section is edited through the Document API (re-rendered, data checked)', () => {
    const r = enableStrictArp('kind: KubeProxyConfiguration # kp\nmode: ipvs\nipvs: {scheduler: rr}\n');
    assert.ok(r.ok && r.text !== null);
    assert.deepEqual(parse(r.text), { kind: 'KubeProxyConfiguration', mode: 'ipvs', ipvs: { scheduler: 'rr', strictARP: true } });
    assert.match(r.text, /# kp/);
  });
  test('quoted or capitalised false values are replaced in place', () => {
    for (const v of ['"false"', 'False', "'false'"]) {
      const text = `mode: ipvs\nipvs:\n  strictARP: ${v}   # x\n  scheduler: rr\n`;
      const r = enableStrictArp(text);
      assert.ok(r.ok && r.text !== null);
      assert.equal(r.text, `mode: ipvs\nipvs:\n  strictARP: true   # x\n  scheduler: rr\n`);
    }
  });
  test('already true: nothing to write; broken YAML: a problem', () => {
    const r = enableStrictArp('mode: ipvs\nipvs:\n  strictARP: true\n');
    assert.ok(r.ok && r.text === null);
    const bad = enableStrictArp('mode: ipvs\nipvs:\n  scheduler: rr\n   strictARP: true\n');
    assert.equal(bad.ok, false);
  });
});

describe('kube-proxy.enable-strict-arp on the sim', () => {
  test('f-ipvs-no-strictarp: plan, dry run, apply, pods replaced, re-check passes, plan again skips', async () => {
    await withSim(await withKubeProxyPods('f-ipvs-no-strictarp'), async (sim) => {
      const report = await diagnose(sim);
      assert.equal(status(report, CHECK), 'fail');
      const h = fixHarness(sim, report, ID);
      try {
        assert.equal(h.ctx.findings.length, 1);
        const plan = asPlan(await planOf(h, ID));
        assert.deepEqual(plan.steps.map((s) => s.verb), ['update', 'restart']);
        assert.deepEqual(plan.restarts, { kind: KINDS.daemonSet, namespace: 'kube-system', name: 'kube-proxy' });
        assert.ok(plan.steps[1]!.disruptive);
        assert.match(plan.steps[0]!.command, /sed -e "s\/strictARP: false\/strictARP: true\/"/);
        assert.match(plan.steps[1]!.command, /^kubectl -n kube-system rollout restart daemonset\/kube-proxy$/);
        // the diff shows the embedded YAML and touches exactly one line
        const diffLines = plan.steps[0]!.diff!.split('\n').filter((l) => /^[-+][^-+]/.test(l));
        assert.deepEqual(diffLines, ['-  strictARP: false', '+  strictARP: true']);
        assert.ok(plan.notes?.some((n) => /kube_proxy_strict_arp: true/.test(n) && /k8s-cluster\.yml/.test(n)), 'Kubespray note names the inventory variable');

        const before = JSON.stringify(sim.objects());
        const podsBefore = kubeProxyPods(sim);
        assert.equal(podsBefore.length, 2);
        const textBefore = configConf(sim);
        await runSteps(plan, h.writer, true);
        assert.equal(JSON.stringify(sim.objects()), before, 'the dry run changes nothing');

        const startedAt = new Date();
        await runSteps(plan, h.writer, false);
        const textAfter = configConf(sim);
        assert.deepEqual(changedLines(textBefore, textAfter), { removed: ['  strictARP: false'], added: ['  strictARP: true'] });
        const s = await settle(sim, h, plan, startedAt);
        assert.ok(s.ok, s.message);
        const podsAfter = kubeProxyPods(sim);
        assert.equal(podsAfter.length, 2);
        for (const p of podsAfter) assert.ok(!podsBefore.some((b) => b.uid === p.uid), `pod ${p.name} is new`);
        const ds = sim.objects().find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'kube-proxy') as KubeObject & { spec: { template: { metadata: { annotations?: Record<string, string> } } } };
        assert.ok(ds.spec.template.metadata.annotations?.[KUBECTL_RESTARTED_AT], 'rollout restart annotation set');

        const again = await diagnose(sim);
        assert.equal(status(again, CHECK), 'pass');
        const h2 = fixHarness(sim, again, ID);
        try {
          const p2 = await planOf(h2, ID);
          assert.ok(isNoPlan(p2), JSON.stringify(p2));
          assert.match(p2.skip, /already sets ipvs\.strictARP: true/);
        } finally {
          await h2.close();
        }
      } finally {
        await h.close();
      }
    });
  });

  test('f-ipvs-strictarp-absent: the key is added, comments survive, re-check passes', async () => {
    await withSim(await withKubeProxyPods('f-ipvs-strictarp-absent'), async (sim) => {
      // a comment an administrator left in config.conf
      const w0 = new Writer(fixHarness(sim, { checks: [] } as unknown as Report, ID).client);
      await w0.update(KINDS.configMap, 'kube-system', 'kube-proxy', (cm) => {
        const d = (cm as { data: Record<string, string> }).data;
        d['config.conf'] = d['config.conf']!.replace('ipvs:\n', 'ipvs: # IPVS settings\n  # the scheduler\n');
        return cm;
      });
      const report = await diagnose(sim);
      assert.equal(status(report, CHECK), 'fail');
      const h = fixHarness(sim, report, ID);
      try {
        const plan = asPlan(await planOf(h, ID));
        const textBefore = configConf(sim);
        assert.match(textBefore, /# the scheduler/);
        await runSteps(plan, h.writer, false);
        const textAfter = configConf(sim);
        assert.deepEqual(changedLines(textBefore, textAfter), { removed: [], added: ['  strictARP: true'] });
        assert.match(textAfter, /ipvs: # IPVS settings\n  strictARP: true\n  # the scheduler\n  scheduler: rr/);
        assert.equal(parse(textAfter).ipvs.strictARP, true);
        assert.equal(status(await diagnose(sim), CHECK), 'pass');
      } finally {
        await h.close();
      }
    });
  });

  test('a ConfigMap changed after the plan is re-read and edited; a 409 during the write is retried', async () => {
    await withSim(await withKubeProxyPods('f-ipvs-no-strictarp'), async (sim) => {
      const report = await diagnose(sim);
      const h = fixHarness(sim, report, ID);
      const other = new Writer(h.client);
      const bump = (from: string, to: string) =>
        other.update(KINDS.configMap, 'kube-system', 'kube-proxy', (cm) => {
          const d = (cm as { data: Record<string, string> }).data;
          d['config.conf'] = d['config.conf']!.replace(from, to);
          return cm;
        });
      try {
        const plan = asPlan(await planOf(h, ID));
        // someone edits the ConfigMap between plan and apply
        await bump('syncPeriod: 30s', 'syncPeriod: 45s');
        // and again right before our PUT: the PUT carries a stale resourceVersion and gets 409
        let raced = false;
        class RacingWriter extends Writer {
          override async replace<T extends KubeObject = KubeObject>(kind: typeof KINDS.configMap, obj: KubeObject, opts: WriteOptions = {}): Promise<T> {
            if (!raced && !opts.dryRun) {
              raced = true;
              await bump('scheduler: rr', 'scheduler: lc');
            }
            return super.replace<T>(kind, obj, opts);
          }
        }
        const w = new RacingWriter(h.client);
        await plan.steps[0]!.apply(w, { dryRun: false });
        assert.ok(raced);
        const puts = sim.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/configmaps/kube-proxy'));
        assert.ok(puts.some((r) => r.status === 409), `a 409 was answered: ${JSON.stringify(puts.map((r) => r.status))}`);
        const conf = parse(configConf(sim));
        assert.equal(conf.ipvs.strictARP, true);
        assert.equal(conf.ipvs.syncPeriod, '45s', 'the change made after the plan is kept');
        assert.equal(conf.ipvs.scheduler, 'lc', 'the change made during the write is kept');
      } finally {
        await h.close();
      }
    });
  });

  test('refusals: YAML that does not parse, a mode other than ipvs', async () => {
    for (const [scenario, re] of [
      ['f-kube-proxy-bad-yaml', /does not parse as YAML .*repair it by hand/],
      ['f-iptables', /not IPVS: strictARP only matters in IPVS mode/],
    ] as const) {
      await withSim(scenario, async (sim) => {
        const report = await diagnose(sim);
        const h = fixHarness(sim, report, ID);
        try {
          const before = JSON.stringify(sim.objects());
          const p = await planOf(h, ID);
          assert.ok(isNoPlan(p), `${scenario}: ${JSON.stringify(p)}`);
          assert.match(p.skip, re);
          assert.equal(JSON.stringify(sim.objects()), before);
        } finally {
          await h.close();
        }
      });
    }
  });
});
