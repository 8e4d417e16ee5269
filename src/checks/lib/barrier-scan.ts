/**
 * Line scanner for the IP operator's barrier (akash-network/provider:operator/ip/operator.go):
 * `barrier is locked, can't service request` is logged by the barrier middleware only when a
 * request arrives while locked (:486-495); `barrier can now be passed` when the observation loop
 * finished its start-up (:123); `dns discovery failed` (cmp=service-discovery-agent) and
 * `observation stopped` mark a failed loop, after which the barrier is locked again until the
 * next successful start. The scanner tells whether the last word of the log is "unlocked" or
 * "locked/stuck". Constant memory, whatever the log size.
 */
import type { LineScanner } from '../../cluster/snapshot.js';

export const LOCKED_TEXT = 'barrier is locked';
export const UNLOCKED_TEXT = 'barrier can now be passed';
export const DNS_FAILED_TEXT = 'dns discovery failed';
export const OBSERVATION_STOPPED_TEXT = 'observation stopped';

export interface BarrierScan {
  /** `barrier is locked` lines in the window. */
  lockLines: number;
  /** `barrier can now be passed` lines in the window. */
  unlockLines: number;
  /** Lock lines after the last unlock (all of them when there was no unlock). */
  lockLinesSinceUnlock: number;
  /** `dns discovery failed` / `observation stopped` lines in the window. */
  dnsFailures: number;
  observationStops: number;
  /** Stuck-state evidence (dns failures + observation stops) after the last unlock. */
  stuckLinesSinceUnlock: number;
  /** True when a lock line or stuck-state evidence came after the last unlock (or there was no unlock). */
  locked: boolean;
  /** The last lock line, shortened (for evidence). */
  lastLockLine?: string;
  /** The last dns-failure / observation-stopped line, shortened. */
  lastStuckLine?: string;
}

function short(text: string): string {
  return text.length > 200 ? text.slice(0, 200) + '…' : text;
}

export function barrierScanner(): LineScanner<BarrierScan> {
  const s: BarrierScan = { lockLines: 0, unlockLines: 0, lockLinesSinceUnlock: 0, dnsFailures: 0, observationStops: 0, stuckLinesSinceUnlock: 0, locked: false };
  return {
    line(text: string) {
      if (text.includes(LOCKED_TEXT)) {
        s.lockLines++;
        s.lockLinesSinceUnlock++;
        s.locked = true;
        s.lastLockLine = short(text);
      } else if (text.includes(UNLOCKED_TEXT)) {
        s.unlockLines++;
        s.lockLinesSinceUnlock = 0;
        s.stuckLinesSinceUnlock = 0;
        s.locked = false;
      } else if (text.includes(DNS_FAILED_TEXT) || text.includes(OBSERVATION_STOPPED_TEXT)) {
        if (text.includes(DNS_FAILED_TEXT)) s.dnsFailures++;
        else s.observationStops++;
        s.stuckLinesSinceUnlock++;
        s.locked = true;
        s.lastStuckLine = short(text);
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
