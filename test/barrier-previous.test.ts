/**
 * A crash-looping IP operator has no current log: the barrier check reads the
 * log of the container that just died instead of giving up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadScenario } from '../src/sim/index.js';
import { runScenario, expectCheck } from './helpers.js';

async function crashLooping(previousLog: string[]) {
  const state = structuredClone(await loadScenario('healthy-helm'));
  const pod = state.objects.find((o) => o.kind === 'Pod' && o.metadata.name === 'operator-ip-6f9c7b-x2x9k')!;
  (pod as any).status.containerStatuses[0] = {
    name: 'operator-ip',
    ready: false,
    restartCount: 7,
    state: { waiting: { reason: 'CrashLoopBackOff' } },
    lastState: { terminated: { exitCode: 1, reason: 'Error' } },
  };
  (state.behaviour.logs as any)['akash-services/operator-ip-6f9c7b-x2x9k#previous'] = previousLog;
  return state;
}

test('crash-looping operator: the previous container log shows the barrier stuck', async () => {
  const state = await crashLooping([
    "E[2026-11-26|08:06:01.431] barrier is locked, can't service request     operator=ip path=/health",
    "E[2026-11-26|08:06:03.431] barrier is locked, can't service request     operator=ip path=/health",
  ]);
  const { report, sim } = await runScenario(state, { only: ['ip-operator.barrier'] });
  const r = expectCheck(report, 'ip-operator.barrier', 'fail', /barrier is still locked/);
  assert.equal((r.details as any).pods[0].previousLog, true);
  assert.ok(sim.requests.some((q) => q.path.endsWith('/pods/operator-ip-6f9c7b-x2x9k/log') && /previous=true/.test(q.query)));
});

test('crash-looping operator whose previous run unlocked passes the barrier check', async () => {
  const state = await crashLooping([
    "E[2026-11-26|08:06:01.431] barrier is locked, can't service request     operator=ip path=/health",
    'I[2026-11-26|08:06:02.512] barrier can now be passed                       operator=ip',
  ]);
  const { report } = await runScenario(state, { only: ['ip-operator.barrier'] });
  expectCheck(report, 'ip-operator.barrier', 'pass', /then "barrier can now be passed"/);
});

test('a second operator pod whose log cannot be read: warn, not pass (it may be the stuck one)', async () => {
  const state = structuredClone(await loadScenario('healthy-helm'));
  const pod = state.objects.find((o) => o.kind === 'Pod' && o.metadata.name === 'operator-ip-6f9c7b-x2x9k')!;
  const second = structuredClone(pod) as any;
  second.metadata.name = 'operator-ip-6f9c7b-zz9zz';
  second.status.containerStatuses[0] = { name: 'operator-ip', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } };
  state.objects.push(second);
  const { report } = await runScenario(state, { only: ['ip-operator.barrier'] });
  const r = expectCheck(report, 'ip-operator.barrier', 'warn', /not locked in pod akash-services\/operator-ip-6f9c7b-x2x9k/, /log of akash-services\/operator-ip-6f9c7b-zz9zz could not be read/);
  assert.ok(!/\n/.test(r.message), 'one line');
});
