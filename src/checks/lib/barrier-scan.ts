/**
 * Line scanner for the IP operator's barrier: counts `barrier is locked` lines
 * and tells whether the last one was followed by `barrier can now be passed`.
 * Constant memory, whatever the log size.
 */
import type { LineScanner } from '../../cluster/snapshot.js';

export const LOCKED_TEXT = 'barrier is locked';
export const UNLOCKED_TEXT = 'barrier can now be passed';

export interface BarrierScan {
  /** `barrier is locked` lines in the window. */
  lockLines: number;
  /** `barrier can now be passed` lines in the window. */
  unlockLines: number;
  /** Lock lines after the last unlock (all of them when there was no unlock). */
  lockLinesSinceUnlock: number;
  /** True when a lock line came after the last unlock line (or there was no unlock). */
  locked: boolean;
  /** The last lock line, shortened (for evidence). */
  lastLockLine?: string;
}

export function barrierScanner(): LineScanner<BarrierScan> {
  const s: BarrierScan = { lockLines: 0, unlockLines: 0, lockLinesSinceUnlock: 0, locked: false };
  return {
    line(text: string) {
      if (text.includes(LOCKED_TEXT)) {
        s.lockLines++;
        s.lockLinesSinceUnlock++;
        s.locked = true;
        s.lastLockLine = text.length > 200 ? text.slice(0, 200) + '…' : text;
      } else if (text.includes(UNLOCKED_TEXT)) {
        s.unlockLines++;
        s.lockLinesSinceUnlock = 0;
        s.locked = false;
      }
    },
    result: () => ({ ...s }),
  };
}

/** Scan a whole text (tests, offline use). */
export function scanBarrierText(text: string): BarrierScan {
  const sc = barrierScanner();
  for (const line of text.split(/\r?\n/)) sc.line(line);
  return sc.result();
}
