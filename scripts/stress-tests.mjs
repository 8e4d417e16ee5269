#!/usr/bin/env node
// The whole test suite while two busy-looping CPU hogs compete for the cores: no test may
// depend on the machine's speed. The hogs are child processes with a hard time limit of their
// own, and are stopped when the suite ends, fails, or this script is interrupted.
// Usage: node scripts/stress-tests.mjs [test-file-substring ...]   (after `npm run build`)
import { spawn } from 'node:child_process';

const HOGS = Number(process.env.STRESS_HOGS ?? 2);
// a hog never outlives this, even if this script is killed with SIGKILL
const HOG_LIMIT_MS = Number(process.env.STRESS_HOG_LIMIT_MS ?? 40 * 60 * 1000);

const hogs = [];
for (let i = 0; i < HOGS; i++) {
  const hog = spawn(process.execPath, ['-e', `const end = Date.now() + ${HOG_LIMIT_MS}; let x = 0; while (Date.now() < end) x = (x + 1) % 1e9;`], { stdio: 'ignore' });
  hogs.push(hog);
}
console.log(`test:stress: ${HOGS} CPU hogs running (pids ${hogs.map((h) => h.pid).join(', ')}, at most ${Math.round(HOG_LIMIT_MS / 60000)} min)`);

function stopHogs() {
  for (const h of hogs) if (h.exitCode === null && h.signalCode === null) h.kill('SIGKILL');
}
process.on('exit', stopHogs);

const suite = spawn(process.execPath, ['scripts/run-tests.mjs', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    suite.kill(sig);
    stopHogs();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}
const started = Date.now();
suite.on('close', (code, signal) => {
  stopHogs();
  console.log(`test:stress: suite ${code === 0 ? 'passed' : `failed (${code ?? signal})`} in ${((Date.now() - started) / 1000).toFixed(0)} s under ${HOGS} CPU hogs`);
  process.exit(code ?? 1);
});
