/**
 * Running the command line in tests: in-process through main(argv, io) (the same parser,
 * commands and exit codes, stdout and stderr captured), or as the real binary in a child
 * process, only for what a process alone can show (exit status, signals, what is loaded).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { main } from '../src/cli.js';
import { repoRoot } from './report-schema.js';

export const bin = path.join(repoRoot, 'bin', 'akash-ip-doctor.js');

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI in-process; `env` is added to process.env (NO_COLOR set). */
export async function runMain(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stdinIsTTY: false,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    columns: 120,
    env: { ...process.env, NO_COLOR: '', ...env },
  });
  return { code, stdout, stderr };
}

/** The real binary in a child process; `env` is added to process.env (undefined removes a variable). */
export function runBin(args: string[], env: Record<string, string | undefined> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '', ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}
