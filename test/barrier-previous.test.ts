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
  // a crash-looping pod is not Ready: the Service has no endpoint, /health tells nothing
  (pod as any).status.conditions = [{ type: 'Ready', status: 'False' }];
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
  assert.equal((r.details as any).reason, 'locked');
  assert.equal((r.details as any).pods[0].previousLog, true);
  assert.ok(sim.requests.some((q) => q.path.endsWith('/pods/operator-ip-6f9c7b-x2x9k/log') && /previous=true/.test(q.query)));
});

test('crash-looping operator whose previous run unlocked passes the barrier check', async () => {
  const state = await crashLooping([
    "E[2026-11-26|08:06:01.431] barrier is locked, can't service request     operator=ip path=/health",
    'I[2026-11-26|08:06:02.512] barrier can now be passed                       operator=ip',
  ]);
  const { report } = await runScenario(state, { only: ['ip-operator.barrier'] });
  assert.equal((expectCheck(report, 'ip-operator.barrier', 'pass', /then "barrier can now be passed"/).details as any).reason, 'unlocked');
});

async function withOperatorLog(lines: string[], health?: { status: number; body: string }) {
  const state = structuredClone(await loadScenario('healthy-helm'));
  (state.behaviour.logs as any)['akash-services/operator-ip-6f9c7b-x2x9k'] = lines;
  if (health) (state.behaviour.proxy as any)['akash-services/operator-ip:rest/health'] = health;
  return (await runScenario(state, { only: ['ip-operator.barrier'] })).report;
}

test('no barrier line is no proof: /health 200 passes, an unanswerable /health is a warn', async () => {
  const quiet = ['I[2026-11-26|08:06:01.102] ip operator start', 'I[2026-11-26|08:06:01.120] starting observation'];
  assert.equal((expectCheck(await withOperatorLog(quiet), 'ip-operator.barrier', 'pass', /answers \/health with 200/).details as any).reason, 'health-ok');
  const r = expectCheck(await withOperatorLog(quiet, { status: 418, body: '' }), 'ip-operator.barrier', 'warn', /no evidence either way/);
  assert.equal((r.details as any).reason, 'no-evidence');
});

test('dns discovery failed / observation stopped after the last unlock count as the stuck state', async () => {
  const lines = [
    'I[2026-11-26|08:06:02.512] barrier can now be passed',
    'E[2026-11-26|08:06:03.007] dns discovery failed                         cmp=service-discovery-agent error="lookup _monitoring._TCP.controller.metallb-system.svc.cluster.local on 10.233.0.3:53: server misbehaving"',
    'E[2026-11-26|08:07:02.010] observation stopped                          err="context deadline exceeded"',
  ];
  const r = expectCheck(await withOperatorLog(lines, { status: 503, body: '' }), 'ip-operator.barrier', 'fail', /1 "dns discovery failed", 1 "observation stopped"/, /\/health answers 503/);
  assert.equal((r.details as any).reason, 'locked');
});

test('a lock that cleared within one loop restart is no fault', async () => {
  const lines = [
    "E[2026-11-26|08:06:01.431] barrier is locked, can't service request     path=/health",
    'E[2026-11-26|08:06:02.010] observation stopped                          err="context deadline exceeded"',
    'I[2026-11-26|08:06:05.011] starting observation',
    'I[2026-11-26|08:06:05.512] barrier can now be passed',
  ];
  const r = expectCheck(await withOperatorLog(lines), 'ip-operator.barrier', 'pass', /then "barrier can now be passed"/);
  assert.equal((r.details as any).reason, 'unlocked');
});

test('/health 503 with a log that unlocked earlier: fail on the 503', async () => {
  const r = expectCheck(await withOperatorLog(['I[2026-11-26|08:06:02.512] barrier can now be passed'], { status: 503, body: '' }), 'ip-operator.barrier', 'fail', /answers \/health with 503/);
  assert.equal((r.details as any).reason, 'locked-health-503');
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

test('an operator stuck for hours that nobody calls logs no lock line: observation stopped and /health 503 still fail it', async () => {
  const { report } = await runScenario('f-operator-stuck-quiet', { only: ['ip-operator.barrier'] });
  const r = expectCheck(report, 'ip-operator.barrier', 'fail', /still locked/, /"observation stopped"/, /\/health answers 503/);
  assert.equal((r.details as any).reason, 'locked');
  assert.equal((r.details as any).pods[0].lockLines, 0, 'no lock line in the window');
});
