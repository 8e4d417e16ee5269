/**
 * The simulator's connection bookkeeping that the benchmark reads: TLS handshakes per
 * server, the connection and start/end time of each logged request, and the control API
 * (/sim/v1/requests) that `sim serve` exposes to a client in another process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { loadScenario, startSim, type RequestRecord } from '../src/sim/index.js';

function creds(kubeconfigPath: string): { ca: string; token: string } {
  const kc = parseYaml(readFileSync(kubeconfigPath, 'utf8'));
  return { ca: Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), token: kc.users[0].user.token };
}

test('TLS handshakes are counted per server; requests record their connection and start/end times', async () => {
  const sim = await startSim(await loadScenario('_sim-selftest'));
  try {
    const { ca, token } = creds(sim.kubeconfigPath);
    const headers = { authorization: `Bearer ${token}` };
    const pooled = new Agent({ connect: { ca }, connections: 1 });
    for (let i = 0; i < 3; i++) {
      const r = await request(`${sim.server}/api/v1/namespaces`, { dispatcher: pooled, headers });
      await r.body.text();
    }
    const other = new Agent({ connect: { ca } });
    await (await request(`${sim.server}/version`, { dispatcher: other, headers })).body.text();
    const prov = new Agent({ connect: { rejectUnauthorized: false }, connections: 1 });
    await (await request(`${sim.providerUrl}/status`, { dispatcher: prov })).body.text();
    await (await request(`${sim.providerUrl}/status`, { dispatcher: prov })).body.text();

    assert.deepEqual(sim.tlsHandshakes(), { api: 2, provider: 1 });
    assert.deepEqual(sim.requests.map((q) => q.conn), [1, 1, 1, 2]);
    assert.deepEqual(sim.providerRequests.map((q) => q.conn), [1, 1]);
    for (const q of [...sim.requests, ...sim.providerRequests]) {
      assert.ok(q.startMs !== undefined && q.endMs !== undefined && q.endMs >= q.startMs, JSON.stringify(q));
    }
    // sequential requests on one connection: each started after the previous one ended
    for (let i = 1; i < 3; i++) assert.ok(sim.requests[i]!.startMs! >= sim.requests[i - 1]!.endMs!);

    // the control API: what an out-of-process benchmark reads; its own connection is not counted
    const ctl = new Agent({ connect: { ca } });
    const got = await request(`${sim.server}/sim/v1/requests`, { dispatcher: ctl, headers });
    const body = (await got.body.json()) as { tlsHandshakes: unknown; requests: RequestRecord[]; providerRequests: RequestRecord[] };
    assert.equal(got.statusCode, 200);
    assert.deepEqual(body.tlsHandshakes, { api: 2, provider: 1 });
    assert.equal(body.requests.length, 4);
    assert.equal(body.providerRequests.length, 2);
    assert.ok(!sim.requests.some((q) => q.path.startsWith('/sim/')), 'control requests are not logged');

    const del = await request(`${sim.server}/sim/v1/requests`, { dispatcher: ctl, method: 'DELETE', headers });
    await del.body.text();
    assert.equal(del.statusCode, 200);
    assert.deepEqual(sim.tlsHandshakes(), { api: 0, provider: 0 });
    assert.equal(sim.requests.length, 0);
    await (await request(`${sim.server}/version`, { dispatcher: other, headers })).body.text();
    assert.deepEqual(sim.tlsHandshakes(), { api: 0, provider: 0 }, 'a kept-alive connection is no new handshake');

    const anon = await request(`${sim.server}/sim/v1/requests`, { dispatcher: ctl });
    await anon.body.text();
    assert.equal(anon.statusCode, 401);
    await Promise.all([pooled.close(), other.close(), prov.close(), ctl.close()]);
  } finally {
    await sim.close();
  }
});

test('with http2: true the API server offers HTTP/2 like kube-apiserver: parallel requests share one connection', async () => {
  const state = await loadScenario('_sim-selftest');
  state.behaviour.http2 = true;
  const sim = await startSim(state);
  try {
    const { ca, token } = creds(sim.kubeconfigPath);
    const headers = { authorization: `Bearer ${token}` };
    // connections: 1 — an undici pool opens one connection per waiting request before it knows the peer speaks HTTP/2
    const h2 = new Agent({ connect: { ca }, allowH2: true, connections: 1 });
    const answers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const r = await request(`${sim.server}/api/v1/namespaces`, { dispatcher: h2, headers });
        return { status: r.statusCode, items: ((await r.body.json()) as { items: unknown[] }).items.length };
      }),
    );
    assert.ok(answers.every((a) => a.status === 200 && a.items > 0));
    assert.deepEqual(sim.tlsHandshakes(), { api: 1, provider: 0 });
    assert.deepEqual(new Set(sim.requests.map((q) => q.conn)), new Set([1]));
    // an HTTP/1.1 client still gets answers
    const h1 = new Agent({ connect: { ca } });
    const r = await request(`${sim.server}/version`, { dispatcher: h1, headers });
    assert.equal(r.statusCode, 200);
    await r.body.text();
    await Promise.all([h2.close(), h1.close()]);
  } finally {
    await sim.close();
  }
});
