#!/usr/bin/env node
// Measures every compiled test file alone (through scripts/run-tests.mjs, so as the suite runs
// it), one after another, and writes test/test-costs.json:
// per file its wall time, by which scripts/run-tests.mjs spreads the files over its shards and
// starts the longest first, and, to find the tests that cost most, the CPU time of its
// processes and those they started (Linux: cutime/cstime of /proc/self/stat). Only scheduling
// depends on it: a stale or missing entry costs speed, never a result. Run it after adding or
// much changing a test file (takes a few minutes):
//
//   npm run test:costs
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';

const dir = path.resolve('dist/test');
const out = path.resolve('test/test-costs.json');
const files = readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort();
const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU of the children this process has waited for, in ms (Linux), or undefined. */
function childrenCpuMs() {
  try {
    // fields after the command name "(…)": cutime and cstime are the 14th and 15th
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) * TICK_MS;
  } catch {
    return undefined;
  }
}

const costs = {};
for (const f of files) {
  const cpu0 = childrenCpuMs();
  const t0 = Date.now();
  const code = await new Promise((resolve) => {
    // as the runner runs it (a `concurrent` file's tests side by side), alone
    const child = spawn(process.execPath, ['scripts/run-tests.mjs', f], { stdio: 'ignore' });
    child.on('close', resolve);
  });
  const wallMs = Date.now() - t0;
  const cpu1 = childrenCpuMs();
  costs[f] = { wallMs, ...(cpu0 !== undefined && cpu1 !== undefined ? { cpuMs: cpu1 - cpu0 } : {}) };
  console.log(`${f}: ${wallMs} ms wall${costs[f].cpuMs !== undefined ? `, ${costs[f].cpuMs} ms CPU` : ''}${code === 0 ? '' : ` (exit ${code})`}`);
}
writeFileSync(out, JSON.stringify(costs, null, 1) + '\n');
console.log(`wrote ${path.relative(process.cwd(), out)}`);
