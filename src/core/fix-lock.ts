/**
 * The lock of `--fix`: a coordination.k8s.io/v1 Lease in akash-services, so a cron job and a
 * person never change the cluster at the same time. Taken with a create (or, when expired, a
 * conditional update), renewed between fixes, released (deleted, only if still ours) on exit.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { KINDS, WriteError, type KubeObject, type Writer } from '../cluster/writer.js';

export const LOCK_NAMESPACE = 'akash-services';
export const LOCK_NAME = 'akash-ip-doctor-fix';
/** Long enough for the slowest fix (a settle wait) between renewals; a crashed holder blocks at most this long. */
export const LOCK_DURATION_SECONDS = 600;

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
}

type Lease = KubeObject & { spec?: LeaseSpec };

/** MicroTime as the API server writes it. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function holderIdentity(): string {
  return `${hostname()}/pid-${process.pid}/${randomBytes(3).toString('hex')}`;
}

export type LockResult =
  | { ok: true; lock: FixLock }
  | { ok: false; reason: 'lock-held'; message: string }
  | { ok: false; reason: string; message: string; missing?: string };

export class FixLock {
  private lease: Lease;
  constructor(
    private readonly writer: Writer,
    readonly holder: string,
    lease: Lease,
  ) {
    this.lease = lease;
  }

  static async acquire(writer: Writer, holder: string, now: () => Date = () => new Date()): Promise<LockResult> {
    const body = (): Lease => ({
      metadata: { name: LOCK_NAME, namespace: LOCK_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'akash-ip-doctor' } },
      spec: { holderIdentity: holder, leaseDurationSeconds: LOCK_DURATION_SECONDS, acquireTime: microTime(now()), renewTime: microTime(now()) },
    });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const cur = await writer.get<Lease>(KINDS.lease, LOCK_NAMESPACE, LOCK_NAME);
        if (!cur) {
          try {
            return { ok: true, lock: new FixLock(writer, holder, await writer.create<Lease>(KINDS.lease, body())) };
          } catch (err) {
            if (err instanceof WriteError && err.reason === 'already-exists') continue;
            throw err;
          }
        }
        const spec = cur.spec ?? {};
        const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '') || 0;
        const expires = renewed + (spec.leaseDurationSeconds ?? LOCK_DURATION_SECONDS) * 1000;
        if (spec.holderIdentity && spec.holderIdentity !== holder && expires > now().getTime()) {
          const ago = Math.max(0, Math.round((now().getTime() - renewed) / 1000));
          return {
            ok: false,
            reason: 'lock-held',
            message: `another akash-ip-doctor --fix holds the lock (Lease ${LOCK_NAMESPACE}/${LOCK_NAME}, holder ${spec.holderIdentity}, renewed ${ago} s ago, expires in ${Math.round((expires - now().getTime()) / 1000)} s): nothing was changed`,
          };
        }
        // free, released or expired: take it over, conditional on what was read
        const next: Lease = { ...cur, spec: { ...body().spec } };
        try {
          return { ok: true, lock: new FixLock(writer, holder, await writer.replace<Lease>(KINDS.lease, next)) };
        } catch (err) {
          if (err instanceof WriteError && err.reason === 'conflict') continue;
          throw err;
        }
      }
      return { ok: false, reason: 'lock-held', message: `the lock Lease ${LOCK_NAMESPACE}/${LOCK_NAME} kept changing under us: another fixer is starting; nothing was changed` };
    } catch (err) {
      if (err instanceof WriteError) {
        if (err.reason === 'not-found') return { ok: false, reason: 'no-lock', message: `cannot take the lock: namespace ${LOCK_NAMESPACE} does not exist (${err.message}); nothing was changed` };
        return { ok: false, reason: err.reason, message: `cannot take the lock Lease ${LOCK_NAMESPACE}/${LOCK_NAME}: ${err.message}; nothing was changed`, ...(err.missing ? { missing: err.missing } : {}) };
      }
      throw err;
    }
  }

  /** Renew (best effort: a failed renewal is reported by the next acquire of someone else, not fatal here). */
  async renew(now: Date = new Date()): Promise<void> {
    try {
      this.lease = await this.writer.replace<Lease>(KINDS.lease, { ...this.lease, spec: { ...this.lease.spec, renewTime: microTime(now) } });
    } catch {
      /* keep going: the lease lasts LOCK_DURATION_SECONDS */
    }
  }

  /** Delete the Lease if it is still ours (uid and resourceVersion preconditions). */
  async release(): Promise<void> {
    const md = this.lease.metadata ?? {};
    try {
      await this.writer.delete(KINDS.lease, LOCK_NAMESPACE, LOCK_NAME, { preconditions: { uid: md.uid, resourceVersion: md.resourceVersion } });
    } catch {
      /* changed by someone else since (then it is not ours to delete), or already gone */
    }
  }
}
