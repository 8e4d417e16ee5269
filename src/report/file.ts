/**
 * `--report-file PATH`: the JSON report written atomically — a temporary file in the
 * same directory, flushed, then renamed over PATH — so a reader (a cron job's
 * collector, a sidecar) sees the previous document or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** A configuration error (exit 2) like a bad --kubeconfig: the CLI knows it by its name. */
export class ReportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? (err instanceof Error ? err.message.split('\n')[0]! : String(err));
}

/** Fail early (before a run) when PATH cannot be written: its folder must exist and be writable, PATH must not be a folder. */
export async function assertWritableReportPath(file: string): Promise<void> {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new ReportFileError(`--report-file: ${dir} is not a directory`);
    await access(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof ReportFileError) throw err;
    throw new ReportFileError(`--report-file: cannot write to ${dir}: ${why(err)}`);
  }
  try {
    if ((await stat(target)).isDirectory()) throw new ReportFileError(`--report-file: ${target} is a directory`);
  } catch (err) {
    if (err instanceof ReportFileError) throw err;
    // ENOENT: a new file
  }
}

/** Write `content` to `file` atomically (same-directory temporary file + fsync + rename). */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const target = path.resolve(file);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(tmp, 'wx', 0o644);
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, target);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new ReportFileError(`--report-file: cannot write ${target}: ${why(err)}`);
  }
}
