/**
 * --report-file is atomic: a reader in another thread, reading the file in a tight
 * loop while it is rewritten (large documents, by the library and by the real CLI),
 * never sees a partial document; no temporary file is left behind.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { writeFileAtomic } from '../src/report/file.js';
import { renderJson } from '../src/report/json.js';
import type { Report } from '../src/core/types.js';
import { startSim, loadScenario, type SimHandle } from '../src/sim/index.js';
import { assertValidReport } from './report-schema.js';
import { runBin } from './cli-helpers.js';
import { runScenario } from './helpers.js';


/** A reader thread: reads and parses `file` until told to stop; counts whole and broken documents. */
function startReader(file: string): { stop: () => Promise<{ reads: number; broken: number; versions: string[]; firstBroken: string }> } {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { readFileSync } = require('node:fs');
    const { file, flag } = workerData;
    let reads = 0, broken = 0, firstBroken = '';
    const versions = new Set();
    while (Atomics.load(flag, 0) === 0) {
      let text;
      try { text = readFileSync(file, 'utf8'); } catch (e) { if (e.code === 'ENOENT') continue; throw e; }
      reads++;
      try { versions.add(String(JSON.parse(text).startedAt)); }
      catch (e) { broken++; if (!firstBroken) firstBroken = text.length + ' bytes: ' + text.slice(-80); }
    }
    parentPort.postMessage({ reads, broken, versions: [...versions], firstBroken });
  `;
  const w = new Worker(code, { eval: true, workerData: { file, flag } });
  const result = new Promise<{ reads: number; broken: number; versions: string[]; firstBroken: string }>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  return {
    stop: async () => {
      Atomics.store(flag, 0, 1);
      const r = await result;
      await w.terminate();
      return r;
    },
  };
}

describe('--report-file under a concurrent reader', () => {
  let dir: string;
  let base: Report;
  let sim: SimHandle;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'aid-report-file-'));
    base = (await runScenario('healthy-helm')).report;
    sim = await startSim(await loadScenario('healthy-helm'));
  });
  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('library: 60 rewrites of multi-megabyte reports, never a partial document', async () => {
    const file = path.join(dir, 'report.json');
    // large documents: many checks with long messages, so one write is many syscalls
    const big = (n: number): string => {
      const checks = Array.from({ length: 3000 }, (_, i) => ({ ...base.checks[i % base.checks.length]!, message: `${'x'.repeat(400)} ${n}-${i}` }));
      return renderJson({ ...base, startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), checks });
    };
    const docs = [big(1), big(2), big(3)];
    assert.ok(docs[0]!.length > 1_000_000, `document is ${docs[0]!.length} bytes`);
    await writeFileAtomic(file, docs[0]!);
    const reader = startReader(file);
    for (let i = 0; i < 60; i++) await writeFileAtomic(file, docs[i % docs.length]!);
    const r = await reader.stop();
    assert.equal(r.broken, 0, `the reader saw ${r.broken} partial documents of ${r.reads} (first: ${r.firstBroken})`);
    assert.ok(r.reads > 0, 'the reader read');
    assert.equal(await readFile(file, 'utf8'), docs[59 % docs.length], 'the last write wins');
    assert.deepEqual(await readdir(dir), ['report.json'], 'no temporary file left behind');
  });

  test('the real CLI rewriting the file while it is read: always a whole, schema-valid report', async () => {
    const file = path.join(dir, 'cli-report.json');
    await writeFileAtomic(file, renderJson(base));
    const reader = startReader(file);
    const args = ['check', '--kubeconfig', sim.kubeconfigPath, '--provider-url', sim.providerUrl, '--timeout', '30s', '-o', 'table', '--report-file', file];
    // two writers at once, as two overlapping cron runs would be
    const codes = (await Promise.all([runBin(args), runBin(args)])).map((r) => r.code);
    assert.deepEqual(codes, [0, 0]);
    const r = await reader.stop();
    assert.equal(r.broken, 0, `partial documents seen: ${r.firstBroken}`);
    const doc = JSON.parse(await readFile(file, 'utf8'));
    assertValidReport(doc, 'report file');
    assert.notEqual(doc.startedAt, base.startedAt, 'a CLI run replaced the file');
    assert.ok(r.versions.length >= 1);
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left behind');
  });

  test('write errors are configuration errors naming the file; the temporary file is removed', async () => {
    const sub = path.join(dir, 'is-a-dir');
    await writeFileAtomic(path.join(dir, 'x.json'), '{}');
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    await assert.rejects(writeFileAtomic(sub, '{}'), (e: Error) => e.name === 'ConfigError' && /cannot write .*is-a-dir/.test(e.message));
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), []);
  });
});
