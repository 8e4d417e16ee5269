import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { runChecks, selectChecks, SelectionError } from '../src/core/runner.js';
import { registry } from '../src/checks/index.js';
import { DEFAULT_RUN_OPTIONS } from '../src/core/engine.js';
import { ClusterError } from '../src/cluster/errors.js';
import type { Check, Finding } from '../src/core/types.js';
import type { Snapshot } from '../src/cluster/snapshot.js';

const snap = {} as Snapshot;
const opts = { ...DEFAULT_RUN_OPTIONS, timeoutMs: 200 };
const doc = { what: 'w', why: 'y', fix: 'f' };

function mk(id: string, run: Check['run'], dependsOn: string[] = []): Check {
  return { id, title: id, category: 'cluster', dependsOn, doc, run };
}
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

  test('a check over its budget becomes error and its signal is aborted', async () => {
    let aborted = false;
    const res = await runChecks(
      [
        mk('slow', (ctx) => new Promise<Finding>((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            setTimeout(() => resolve({ status: 'pass', message: 'late' }), 10);
          });
        })),
      ],
      snap,
      { ...opts, timeoutMs: 50 },
    );
    assert.equal(res[0].status, 'error');
    assert.match(res[0].message, /budget/);
    assert.equal(aborted, true);
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
    let active = 0;
    let peak = 0;
    const body = async (): Promise<Finding> => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 30));
      active--;
      return { status: 'pass', message: 'ok' };
    };
    await runChecks([mk('a', body), mk('b', body), mk('c', body), mk('d', body)], snap, opts);
    assert.equal(peak, 4);
  });

  test('results are in registry order whatever the finishing order', async () => {
    const delay = (ms: number) => async (): Promise<Finding> => (await new Promise((r) => setTimeout(r, ms)), { status: 'pass', message: String(ms) });
    const res = await runChecks([mk('first', delay(40)), mk('second', delay(1)), mk('third', delay(20))], snap, opts);
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
