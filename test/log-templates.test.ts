/**
 * Scenario log lines are real log lines: every line a scenario serves (Behaviour
 * `logs` and `afterRestart` logs, generated lines included) must be an instance of a
 * template in src/checks/lib/log-templates.ts, which names the upstream source of each.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listScenarios, loadScenario } from '../src/sim/index.js';
import type { LogSource } from '../src/sim/index.js';
import { LOG_TEMPLATES, matchLogLine, parseFields, parseLogLine, field } from '../src/checks/lib/log-templates.js';


function linesOf(src: LogSource): string[] {
  if (Array.isArray(src)) return src.map((l) => (typeof l === 'string' ? l : l.text));
  const g = src.generate;
  return [g.text.replaceAll('{n}', '10'), ...(g.lastLines ?? []).map((l) => (typeof l === 'string' ? l : l.text))];
}

describe('log templates', () => {
  test('every template cites its upstream source', () => {
    const ids = new Set<string>();
    for (const t of LOG_TEMPLATES) {
      assert.ok(!ids.has(t.id), `duplicate template id ${t.id}`);
      ids.add(t.id);
      assert.match(t.source, /^(akash-network\/provider|metallb\/metallb|akash-network\/helm-charts):[\w./-]+\.go:\d+/, `${t.id}: source ${t.source}`);
    }
  });

  test('both console formats and MetalLB JSON are recognised', () => {
    const tm = matchLogLine('E[2024-04-20|08:48:41.105] dns discovery failed                         operator=ip cmp=service-discovery-agent error="lookup _monitoring._TCP.controller.metallb-system.svc.cluster.local on 169.254.25.10:53: server misbehaving" portName=monitoring service-name=controller namespace=metallb-system');
    assert.equal(tm?.template.id, 'sda-dns-failed');
    assert.equal(tm?.format, 'tendermint');
    assert.equal(field(tm!, 'err|error'), 'lookup _monitoring._TCP.controller.metallb-system.svc.cluster.local on 169.254.25.10:53: server misbehaving');
    assert.equal(tm?.fields['service-name'], 'controller');
    const zl = matchLogLine('8:48AM ERR not yet ready cmp=waiter err="hostname operator is not yet alive" waitable="<*hostname.client 0xc000a12b40>"');
    assert.equal(zl?.template.id, 'waiter-not-ready');
    assert.equal(zl?.format, 'zerolog');
    assert.equal(zl?.fields.waitable, '<*hostname.client 0xc000a12b40>');
    assert.equal(matchLogLine('<nil> INF all waitables ready cmp=waiter')?.template.id, 'waiter-all-ready');
    assert.equal(matchLogLine('{"caller":"service.go:180","event":"ipAllocated","ip":["203.0.113.1"],"level":"info","msg":"IP address assigned by controller","ts":"2026-11-20T08:20:00Z"}')?.template.id, 'metallb-ip-assigned');
    assert.equal(matchLogLine('I[2024-04-20|08:48:41.093] associated provider                          operator=ip addr=akash15tl6v6gd0nte0syyxnv57zmmspgju4c3xfmdhk')?.template.id, 'ip-associated-provider');
  });

  test('invented lines, wrong levels and missing keys match nothing', () => {
    for (const line of [
      'I[2026-11-20|08:05:10.000] ip operator is healthy                          module=provider-cluster-kube',
      'I[2026-11-20|08:05:11.000] bid engine started                              module=bidengine',
      'E[2026-11-20|08:06:02.512] barrier can now be passed                       operator=ip',
      'I[2026-11-20|08:06:02.512] ip address inventory                            operator=ip available=15',
      'E[2026-11-20|08:06:01.431] barrier is locked, can\'t service request',
      'barrier can now be passed',
      '{"level":"info","msg":"MetalLB controller starting (commit v0.14.8)"}',
    ]) {
      assert.equal(matchLogLine(line), null, line);
    }
  });

  test('fields parse like logfmt, quoted values unescaped', () => {
    assert.deepEqual(parseFields(' a=1 b="x y \\"z\\"" c='), { a: '1', b: 'x y "z"', c: '' });
    assert.equal(parseFields(' not a field'), null);
    assert.equal(parseLogLine('random text'), null);
  });

  test('every scenario log line is a real upstream line', async () => {
    const bad: string[] = [];
    for (const { name } of await listScenarios()) {
      const st = await loadScenario(name);
      const sources: [string, LogSource][] = [
        ...Object.entries(st.behaviour.logs),
        ...Object.entries(st.behaviour.afterRestart).flatMap(([w, a]) => (a.logs ? [[`afterRestart ${w}`, a.logs] as [string, LogSource]] : [])),
      ];
      for (const [key, src] of sources) {
        for (const line of linesOf(src)) {
          if (!matchLogLine(line)) bad.push(`${name}: ${key}: ${line}`);
        }
      }
    }
    assert.deepEqual([...new Set(bad)], [], 'scenario log lines that match no template in src/checks/lib/log-templates.ts');
  });
});
