// test-runner: serial (changes process-wide state: see scripts/run-tests.mjs)
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { runChecks, selectChecks, SelectionError } from '../src/core/runner.js';
import { registry } from '../src/checks/index.js';
import { DEFAULT_RUN_OPTIONS } from '../src/core/engine.js';
import { ClusterError } from '../src/cluster/errors.js';
import type { Check, Finding } from '../src/core/types.js';
import type { Snapshot } from '../src/cluster/snapshot.js';

const snap = {} as Snapshot;
// a generous budget: no test here depends on how fast the machine is (budgets are tested with a fake clock)
const opts = { ...DEFAULT_RUN_OPTIONS, timeoutMs: 30_000 };
const doc = { what: 'w', why: 'y', fix: 'f' };

function mk(id: string, run: Check['run'], dependsOn: string[] = []): Check {
  return { id, title: id, category: 'cluster', dependsOn, doc, run };
}
/** Let pending promise callbacks run (setImmediate is not faked). */
const flush = () => new Promise<void>((r) => setImmediate(r));
const finding = (status: Finding['status']) => async (): Promise<Finding> => ({ status, message: status });

describe('runner', () => {
  test('dependants of a failed check are skipped with the reason', async () => {
    let ran = false;
    const res = await runChecks(
      [
        mk('a', async () => ({ status: 'fail', message: 'API down' })),
        mk('b', async () => ((ran = true), { status: 'pass', message: 'ok' }), ['a']),
        mk('c', finding('pass')),
      ],
      snap,
      opts,
    );
    assert.equal(ran, false);
    assert.deepEqual(res.map((r) => r.id), ['a', 'b', 'c']);
    assert.equal(res[1].status, 'skip');
    assert.match(res[1].message, /a failed \(API down\)/);
    assert.equal(res[2].status, 'pass');
  });

  test('a warn upstream does not block; error and skip upstreams do', async () => {
    const res = await runChecks(
      [mk('w', finding('warn')), mk('e', finding('error')), mk('s', finding('skip')), mk('x', finding('pass'), ['w']), mk('y', finding('pass'), ['e']), mk('z', finding('pass'), ['s'])],
      snap,
      opts,
    );
    assert.deepEqual(res.map((r) => r.status), ['warn', 'error', 'skip', 'pass', 'skip', 'skip']);
    assert.match(res[4].message, /e could not run/);
    assert.match(res[5].message, /s was skipped/);
  });

  test('a check over its budget becomes error and its signal is aborted (fake clock)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let aborted = false;
    const running = runChecks(
      [
        // hangs until aborted, then answers too late to count
        mk('slow', (ctx) => new Promise<Finding>((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            resolve({ status: 'pass', message: 'late' });
          });
        })),
      ],
      snap,
      { ...opts, timeoutMs: 15_000 },
    );
    await flush();
    t.mock.timers.tick(14_999);
    await flush();
    assert.equal(aborted, false, 'not aborted before its budget');
    t.mock.timers.tick(1);
    const res = await running;
    assert.equal(res[0].status, 'error');
    assert.match(res[0].message, /within its 15s budget/);
    assert.equal(aborted, true);
  });

  test('a check that answers within its budget keeps its finding (fake clock)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let answer!: (f: Finding) => void;
    const running = runChecks([mk('steady', () => new Promise<Finding>((resolve) => (answer = resolve)))], snap, { ...opts, timeoutMs: 5_000 });
    await flush();
    t.mock.timers.tick(4_999);
    answer({ status: 'pass', message: 'in time' });
    const res = await running;
    assert.equal(res[0].status, 'pass');
    t.mock.timers.tick(10_000); // the budget timer was cleared: nothing fires later
  });

  test('the longest budget the CLI accepts (1h) fires exactly at timeoutMs (fake clock)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const running = runChecks([mk('hang', () => new Promise<Finding>(() => {}))], snap, { ...opts, timeoutMs: 3_600_000 });
    await flush();
    t.mock.timers.tick(3_600_000);
    const res = await running;
    assert.equal(res[0].status, 'error');
    assert.match(res[0].message, /3600s budget/);
  });

  test('a per-check budget overrides timeoutMs for that check only, and the check sees it (fake clock)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const seen = new Map<string, number>();
    const hang = (id: string) => (ctx: Parameters<Check['run']>[0]) => (seen.set(id, ctx.options.timeoutMs), new Promise<Finding>(() => {}));
    const running = runChecks([mk('short', hang('short')), mk('long', hang('long'))], snap, { ...opts, timeoutMs: 8_000, checkTimeoutsMs: { short: 3_000 } });
    await flush();
    t.mock.timers.tick(3_000);
    await flush();
    t.mock.timers.tick(5_000);
    const res = await running;
    assert.deepEqual(Object.fromEntries(seen), { short: 3_000, long: 8_000 });
    assert.match(res[0].message, /within its 3s budget/);
    assert.match(res[1].message, /within its 8s budget/);
  });

  test('a throw becomes error; a ClusterError keeps its plain message and reason', async () => {
    const res = await runChecks(
      [
        mk('boom', async () => {
          throw new TypeError('cannot read x of undefined');
        }),
        mk('forbidden', async () => {
          throw new ClusterError('forbidden', 'forbidden: the credentials may not list pods', { status: 403, request: { verb: 'list', resource: 'pods' } });
        }),
      ],
      snap,
      opts,
    );
    assert.equal(res[0].status, 'error');
    assert.match(res[0].message, /unexpected error: cannot read x/);
    assert.equal(res[1].status, 'error');
    assert.equal((res[1].details as any).reason, 'forbidden');
    assert.match(res[1].message, /may not list pods/);
  });

  test('independent checks run concurrently', async () => {
    // every check waits until all four are running: a runner that ran them one by one would
    // never get there (and would end on the generous budget with errors)
    let active = 0;
    let peak = 0;
    let release!: () => void;
    const allIn = new Promise<void>((r) => (release = r));
    const body = async (): Promise<Finding> => {
      active++;
      peak = Math.max(peak, active);
      if (active === 4) release();
      await allIn;
      active--;
      return { status: 'pass', message: 'ok' };
    };
    const res = await runChecks([mk('a', body), mk('b', body), mk('c', body), mk('d', body)], snap, opts);
    assert.equal(peak, 4);
    assert.deepEqual(res.map((r) => r.status), ['pass', 'pass', 'pass', 'pass']);
  });

  test('results are in registry order whatever the finishing order', async () => {
    // finishing order is forced: third, then second, then first
    const gates = new Map<string, () => void>();
    const done: string[] = [];
    const gated = (id: string) => () => new Promise<Finding>((resolve) => gates.set(id, () => (done.push(id), resolve({ status: 'pass', message: id }))));
    const running = runChecks([mk('first', gated('first')), mk('second', gated('second')), mk('third', gated('third'))], snap, opts);
    await flush();
    for (const id of ['third', 'second', 'first']) {
      gates.get(id)!();
      await flush();
    }
    const res = await running;
    assert.deepEqual(done, ['third', 'second', 'first']);
    assert.deepEqual(res.map((r) => r.id), ['first', 'second', 'third']);
  });
});

describe('selection', () => {
  test('--only pulls in dependencies; categories expand', () => {
    const ids = selectChecks(registry, ['kube-proxy']).map((c) => c.id);
    assert.ok(ids.includes('kube-proxy.strict-arp'));
    assert.ok(ids.includes('cluster.api'), 'dependency cluster.api runs too');
    assert.ok(!ids.includes('metallb.namespace'));
  });
  test('--skip removes checks; comma lists work', () => {
    const ids = selectChecks(registry, [], ['metallb,kube-proxy.strict-arp']).map((c) => c.id);
    assert.ok(!ids.some((i) => i.startsWith('metallb.')));
    assert.ok(!ids.includes('kube-proxy.strict-arp'));
    assert.ok(ids.includes('cluster.api'));
  });
  test('zero selected checks is a selection error, never an empty healthy run', () => {
    // an empty environment variable in a cron line: --only "$CHECKS"
    assert.throws(() => selectChecks(registry, ['']), /no check selected/);
    assert.throws(() => selectChecks(registry, [' , ']), /no check selected/);
    assert.throws(() => selectChecks(registry, [',', ' ']), SelectionError);
    // skipping every category
    assert.throws(() => selectChecks(registry, [], ['cluster,metallb,kube-proxy,provider,ip-operator']), /no check selected/);
    // --only one check and --skip that same check
    assert.throws(() => selectChecks(registry, ['kube-proxy.strict-arp'], ['kube-proxy,cluster']), /no check selected/);
    // no --only at all still selects everything
    assert.equal(selectChecks(registry, []).length, registry.length);
  });
  test('unknown terms are a selection error', () => {
    assert.throws(() => selectChecks(registry, ['nope.nothing']), SelectionError);
    assert.throws(() => selectChecks(registry, [], ['metalb']), /unknown check or category "metalb"/);
  });
});

describe('registry', () => {
  test('ids are unique, lowercase dotted, dependencies exist and come first', () => {
    const seen = new Set<string>();
    for (const c of registry) {
      assert.match(c.id, /^[a-z]+(-[a-z]+)*\.[a-z]+(-[a-z]+)*$/, c.id);
      assert.ok(!seen.has(c.id), `duplicate ${c.id}`);
      for (const d of c.dependsOn ?? []) assert.ok(seen.has(d), `${c.id} depends on ${d}, which must be registered before it`);
      seen.add(c.id);
      assert.ok(c.doc.what.length > 20 && c.doc.why.length > 20 && c.doc.fix.length > 10, `${c.id} lacks documentation`);
      assert.ok(c.id.startsWith(c.category + '.'), `${c.id} is not in category ${c.category}`);
    }
  });
});
