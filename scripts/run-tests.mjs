#!/usr/bin/env node
// Runs every compiled test file explicitly (node --test on Node 20 takes no globs
// and silently finds nothing in a directory of .ts files) and fails when no test ran.
import { readdirSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';

const dir = path.resolve('dist/test');
const filter = process.argv.slice(2);
if (!existsSync(dir)) {
  console.error('dist/test is missing: run `npm run build` first');
  process.exit(1);
}
let files = readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort();
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files found in dist/test');
  process.exit(1);
}
// a per-test (and per-file) timeout turns a hang into a failure; it is no performance threshold,
// so it is far above what a file takes even under `npm run test:stress`
const args = ['--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=600000', ...files.map((f) => path.join(dir, f))];
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
