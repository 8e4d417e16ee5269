#!/usr/bin/env node
// Runs the compiled test files (dist/test/*.test.js) and fails when no test ran.
//
// Node 20's `node --test` starts one process per file, and each of those pays ~0.9 s of CPU
// loading the Kubernetes client, the simulator and the sources before its first test. Most
// files then spend their time waiting on sockets, not on the CPU. So the files are run in a
// few shard processes instead: each shard imports its files once and runs them side by side
// (a few files at a time; every file's own tests still run one after another, in order, as
// they would alone).
// Which files go to which shard, and in what order, comes from test/test-costs.json.
// A file that changes process-wide state (fake timers, the working directory, environment
// variables) says so with the line `// test-runner: serial`; those files share one shard
// that runs them one at a time. Files that share work in memory (e.g. test/scenario-runs.ts)
// say `// test-runner: group NAME` and go to the same shard. A file whose tests are independent
// of each other (each its own simulator, nothing shared) says `// test-runner: concurrent`:
// its tests then run side by side too (a describe can still ask for { concurrency: 1 }).
//
//   node scripts/run-tests.mjs                 # every file
//   node scripts/run-tests.mjs fix- sim        # files whose name contains one of these
//   node scripts/run-tests.mjs cli.test.js     # that file only
//   TEST_SHARDS=1 node scripts/run-tests.mjs   # how many shards run at once (default: 2)
//   TEST_FILES_AT_ONCE, TEST_TESTS_AT_ONCE      # files per shard (6), tests per concurrent file (4)
import { readdirSync, existsSync, readFileSync, writeFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const dir = path.resolve('dist/test');
const filter = process.argv.slice(2);
if (!existsSync(dir)) {
  console.error('dist/test is missing: run `npm run build` first');
  process.exit(1);
}
let files = readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort();
// a whole file name matches that file only; anything else is a part of the name
if (filter.length) files = files.filter((f) => filter.some((x) => (x.endsWith('.test.js') ? f === x : f.includes(x))));
if (files.length === 0) {
  console.error('no test files found in dist/test');
  process.exit(1);
}

const SERIAL = /^\/\/ test-runner: serial\b/m;
const CONCURRENT = /^\/\/ test-runner: concurrent\b/m;
const GROUP = /^\/\/ test-runner: group ([\w-]+)/m;

// How long each file takes alone, as this runner runs it (scripts/measure-tests.mjs): the files
// are spread over the shards by it and the longest start first. (Spreading them by CPU time
// instead, also in the table, made the slower shard slower: a shard is held up by its long
// chains of waiting tests as much as by its CPU.) A file not in the table counts as the median
// one; without a table, file sizes stand in.
let table = {};
try {
  table = JSON.parse(readFileSync(path.resolve('test/test-costs.json'), 'utf8'));
} catch {
  /* no table */
}
const walls = Object.values(table).map((c) => c.wallMs).filter(Number.isFinite).sort((a, b) => a - b);
const medianWall = walls.length ? walls[Math.floor(walls.length / 2)] : undefined;
const costOf = (f) => (medianWall === undefined ? statSync(path.join(dir, f)).size : (table[f]?.wallMs ?? medianWall));

const serial = [];
const concurrentFiles = new Set();
/** units placed on shards: a file, or the files of one group (they share work in memory) */
const units = new Map();
for (const f of files) {
  const text = readFileSync(path.join(dir, f), 'utf8');
  if (SERIAL.test(text)) {
    serial.push(f);
    continue;
  }
  if (CONCURRENT.test(text)) concurrentFiles.add(f);
  const key = GROUP.exec(text)?.[1] ?? `file:${f}`;
  const u = units.get(key) ?? { files: [] };
  u.files.push(f);
  units.set(key, u);
}
// a group shares its work: it takes about as long as its longest file
for (const u of units.values()) u.cost = Math.max(...u.files.map(costOf));

// How much runs at once. More than this does not finish sooner on two cores: the shards are
// CPU-bound then, and an event loop shared by more tests only answers each of them later.
const nShards = Math.max(1, Math.min(Number(process.env.TEST_SHARDS ?? 2) || 2, units.size || 1));
const FILES_AT_ONCE = Number(process.env.TEST_FILES_AT_ONCE ?? 6) || 6; // per shard
const TESTS_AT_ONCE = Number(process.env.TEST_TESTS_AT_ONCE ?? 4) || 4; // per `concurrent` file

// units go to the shards greedily (longest first); each shard starts its longest files first
const shards = Array.from({ length: nShards }, () => ({ files: [], cost: 0 }));
for (const u of [...units.values()].sort((a, b) => b.cost - a.cost)) {
  const s = shards.reduce((m, x) => (x.cost < m.cost ? x : m));
  s.files.push(...u.files);
  s.cost += u.cost;
}
for (const s of shards) s.files.sort((a, b) => costOf(b) - costOf(a) || a.localeCompare(b));

const shardDir = path.join(dir, '.shards');
rmSync(shardDir, { recursive: true, force: true });
mkdirSync(shardDir, { recursive: true });
const entries = [];
function writeShard(name, list, concurrent) {
  if (list.length === 0) return;
  const urls = list.map((f) => [f, pathToFileURL(path.join(dir, f)).href, concurrent && concurrentFiles.has(f) ? TESTS_AT_ONCE : 1]);
  const body = [
    `import { describe } from 'node:test';`,
    `const files = ${JSON.stringify(urls)};`,
    `describe(${JSON.stringify(name)}, { concurrency: ${concurrent ? FILES_AT_ONCE : 1} }, () => {`,
    `  for (const [name, url, concurrency] of files) describe(name, { concurrency }, async () => { await import(url); });`,
    `});`,
    '',
  ].join('\n');
  const file = path.join(shardDir, `${name.replace(/[^a-z0-9]+/gi, '-')}.mjs`);
  writeFileSync(file, body);
  entries.push(file);
}
shards.forEach((s, i) => writeShard(`shard ${i + 1} of ${nShards}`, s.files, true));
writeShard('serial', serial, false);

// a timeout per test (a shard counts as one) turns a hang into a failure; it is no performance threshold,
// so it is far above what a shard takes even under `npm run test:stress`
const args = ['--test', '--test-reporter=spec', `--test-concurrency=${entries.length}`, '--test-timeout=600000', ...entries];
// tests that spawn bin/akash-ip-doctor.js run the compiled sources, not the bundle
const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, AKASH_IP_DOCTOR_NO_BUNDLE: '1' } });
let tail = '';
child.stdout.on('data', (d) => {
  process.stdout.write(d);
  tail = (tail + d.toString()).slice(-4000);
});
child.on('close', (code) => {
  const m = /ℹ tests (\d+)/.exec(tail) ?? /# tests (\d+)/.exec(tail);
  const ran = m ? Number(m[1]) : 0;
  if (code === 0 && ran === 0) {
    console.error('the test runner exited 0 but ran no test');
    process.exit(1);
  }
  process.exit(code ?? 1);
});
