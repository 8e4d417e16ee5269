/**
 * `check --fix`: diagnose, plan, dry-run, confirm, apply, settle, re-check, record.
 *
 * - Plans come from the failed findings whose remedy names a registered fix (`fixId`), in the
 *   fixes' `order` (namespace before Service, CRs before deleting the legacy ConfigMap, config
 *   before restarts). Each plan reads the cluster fresh.
 * - Every write of every plan is first sent as a server dry run (`dryRun=All`); if one is
 *   refused nothing is written at all.
 * - A Lease in akash-services serialises fixers (a cron job and a person); released on exit.
 * - Restarts are rate-limited by an annotation on the workload (`--min-restart-interval`).
 * - Every object touched gets a Kubernetes Event (best effort).
 * - The first failure stops the plan; the report says what was done and what was not.
 * - After the writes, every check runs again on fresh reads: the report's `checks` and the exit
 *   code are the re-checked state; each fix is `applied` only if the checks it addresses pass.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Snapshot } from '../cluster/snapshot.js';
import { apiVersionOf, KINDS, WriteError, Writer, type KubeObject } from '../cluster/writer.js';
import { fixRegistry as defaultFixRegistry } from '../fixes/index.js';
import { patchStep, RESTARTED_AT_ANNOTATION, refText } from '../fixes/lib.js';
import { isManual, isNoPlan, type Fix, type FixContext, type FixPlan, type FixStep, type ObjectRef } from '../fixes/types.js';
import { diagnoseOnce, prepareRun, type DoctorOptions, type DoctorRun } from './engine.js';
import { FixLock, holderIdentity } from './fix-lock.js';
import type { CheckResult, FixRecord, FixStepRecord, Report, Status } from './types.js';

export const DEFAULT_MIN_RESTART_INTERVAL_MS = 15 * 60_000;
export const DEFAULT_SETTLE_TIMEOUT_MS = 120_000;

export interface FixRunOptions extends DoctorOptions {
  mode: 'apply' | 'dry-run';
  /** Apply without asking. */
  yes?: boolean;
  /** Ask a person (a terminal); required in apply mode without `yes`. */
  confirm?: (question: string) => Promise<boolean>;
  /** Shown before asking: the planned (and dry-run) fixes of the diagnosis. */
  onPlan?: (before: Report, fixes: FixRecord[]) => void | Promise<void>;
  /** Progress lines (applying, waiting). */
  onProgress?: (line: string) => void;
  minRestartIntervalMs?: number;
  settleTimeoutMs?: number;
  fixRegistry?: readonly Fix[];
  /** Aborted on SIGINT/SIGTERM: no further write is sent, the lock is released, the report says what was done. */
  signal?: AbortSignal;
  /** Identity in the lock Lease (default host/pid/random). */
  holder?: string;
}

/** A planned fix while the run goes on. */
interface Planned {
  fix: Fix;
  record: FixRecord;
  plan?: FixPlan;
  steps: FixStep[];
}

const VERIFIED_OK: readonly Status[] = ['pass', 'warn'];

function objectOf(ref: ObjectRef): FixStepRecord['object'] {
  return { apiVersion: apiVersionOf(ref.kind), kind: ref.kind.kind, ...(ref.namespace && ref.kind.namespaced ? { namespace: ref.namespace } : {}), name: ref.name };
}

function stepRecord(s: FixStep): FixStepRecord {
  return {
    verb: s.verb,
    object: objectOf(s.object),
    description: s.description,
    command: s.command,
    ...(s.diff ? { diff: s.diff } : {}),
    ...(s.disruptive ? { disruptive: true } : {}),
    state: 'planned',
  };
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The fix ids the failed findings ask for, with the checks that asked. */
export function requestedFixes(report: Report, registry: readonly Fix[]): { fix: Fix; triggeredBy: CheckResult[] }[] {
  const byId = new Map<string, CheckResult[]>();
  for (const c of report.checks) {
    const id = c.status === 'fail' ? c.remedy?.fixId : undefined;
    if (!id) continue;
    if (!byId.has(id)) byId.set(id, []);
    byId.get(id)!.push(c);
  }
  const out: { fix: Fix; triggeredBy: CheckResult[] }[] = [];
  for (const [id, triggeredBy] of byId) {
    const fix = registry.find((f) => f.id === id);
    if (fix) out.push({ fix, triggeredBy });
  }
  return out.sort((a, b) => a.fix.order - b.fix.order || a.fix.id.localeCompare(b.fix.id));
}

/** The annotation step a rate-limited restart carries, or why the restart must wait. */
async function rateLimit(writer: Writer, ref: ObjectRef, intervalMs: number, now: Date): Promise<{ step: FixStep } | { skip: string }> {
  const obj = await writer.get(ref.kind, ref.namespace, ref.name);
  if (!obj) return { skip: `${refText(ref)} does not exist` };
  const last = Date.parse(obj.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] ?? '');
  if (Number.isFinite(last) && now.getTime() - last < intervalMs) {
    const mins = (ms: number) => `${Math.round(ms / 60_000)} min`;
    return {
      skip: `${refText(ref)} was restarted by --fix ${mins(now.getTime() - last)} ago (annotation ${RESTARTED_AT_ANNOTATION}); restarts are at least --min-restart-interval (${mins(intervalMs)}) apart so an unattended run cannot crash-loop it`,
    };
  }
  const step = patchStep(ref, obj, 'merge', { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: now.toISOString() } } }, `record the restart time on ${refText(ref)} (rate limit of --fix)`);
  return { step };
}

/** Post an Event on an object the fix touched (best effort). */
async function recordEvent(writer: Writer, fixId: string, step: FixStep, obj: KubeObject | void, restarts?: ObjectRef): Promise<string | undefined> {
  const ref = step.verb === 'restart' && restarts ? restarts : step.object;
  const namespace = ref.kind.namespaced && ref.namespace ? ref.namespace : 'default';
  const now = new Date().toISOString();
  const involved: Record<string, string> = { apiVersion: apiVersionOf(ref.kind), kind: ref.kind.kind, name: ref.name };
  if (ref.kind.namespaced && ref.namespace) involved.namespace = ref.namespace;
  const uid = obj && step.verb !== 'restart' ? obj.metadata?.uid : undefined;
  if (uid) involved.uid = uid;
  const base = ref.name.split(',')[0] || 'object';
  try {
    await writer.create(KINDS.event, {
      metadata: { name: `${base}.${Date.now().toString(16)}${randomBytes(2).toString('hex')}`, namespace },
      involvedObject: involved,
      reason: 'AkashIpDoctorFix',
      message: `${fixId}: ${step.description}`.slice(0, 1000),
      type: 'Normal',
      source: { component: 'akash-ip-doctor', host: hostname() },
      reportingComponent: 'akash-ip-doctor',
      reportingInstance: hostname(),
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
    return undefined;
  } catch (err) {
    return `no Event recorded on ${refText(ref)}: ${errText(err)}`;
  }
}

function markRest(planned: Planned[], from: number, reason: string, message: string): void {
  for (const p of planned.slice(from)) {
    if (p.record.outcome !== 'dry-run') continue; // still pending: not failed, skipped or manual
    p.record.outcome = 'skipped';
    p.record.reason = reason;
    p.record.message = message;
    for (const s of p.record.steps) if (s.state !== 'failed') s.state = 'skipped';
  }
}

function failFix(p: Planned, stepIndex: number, err: unknown, dryRun: boolean): void {
  const we = err instanceof WriteError ? err : undefined;
  p.record.outcome = 'failed';
  p.record.reason = we?.reason ?? 'error';
  p.record.message = `${dryRun ? 'the server dry run refused' : 'the server refused'} step ${stepIndex + 1} (${p.steps[stepIndex]!.description}): ${errText(err)}`;
  if (we?.missing) p.record.missing = we.missing;
  const sr = p.record.steps[stepIndex];
  if (sr) {
    sr.state = 'failed';
    sr.error = errText(err);
  }
}

/**
 * Diagnose, then plan and (dry-)run the fixes; returns the report with `fixes`, whose `checks`
 * are the re-checked state after an apply.
 */
export async function runDoctorWithFixes(opts: FixRunOptions): Promise<DoctorRun> {
  const run = prepareRun(opts);
  const { client } = run;
  const registry = opts.fixRegistry ?? defaultFixRegistry;
  const progress = opts.onProgress ?? (() => undefined);
  const signal = opts.signal ?? new AbortController().signal;
  const dryRun = opts.mode === 'dry-run';
  if (!dryRun && !opts.yes && !opts.confirm) throw Object.assign(new Error('refusing to change the cluster without --yes (no terminal to ask on)'), { name: 'UsageError' });
  let lock: FixLock | undefined;
  try {
    await client.prepare();
    const writer = new Writer(client);
    const before = await diagnoseOnce(run, opts);
    // apply: when something is to be written, take the lock before planning. The plans read the
    // cluster fresh under it, so a second fixer either finds the lock held or, once the first is
    // done, plans that find the work done (skipped: not-applicable). A healthy cluster or a dry
    // run takes no lock.
    let lockFailure: { reason: string; message: string; missing?: string } | undefined;
    if (!dryRun && requestedFixes(before, registry).some((r) => r.fix.risk !== 'manual')) {
      const got = await FixLock.acquire(writer, opts.holder ?? holderIdentity());
      if (got.ok) lock = got.lock;
      else lockFailure = { reason: got.reason, message: got.message, ...('missing' in got && got.missing ? { missing: got.missing } : {}) };
    }
    const planning = new Snapshot(client);
    const now = new Date();
    const fixOptions = { minRestartIntervalMs: opts.minRestartIntervalMs ?? DEFAULT_MIN_RESTART_INTERVAL_MS, settleTimeoutMs: opts.settleTimeoutMs ?? DEFAULT_SETTLE_TIMEOUT_MS };
    const results = new Map(before.checks.map((c) => [c.id, c]));

    // ---- plan ---------------------------------------------------------------------------
    const planned: Planned[] = [];
    const fixedEarlier = new Set<string>();
    for (const { fix, triggeredBy } of requestedFixes(before, registry)) {
      const record: FixRecord = {
        id: fix.id,
        title: fix.title,
        risk: fix.risk,
        addresses: fix.addresses,
        triggeredBy: triggeredBy.map((c) => c.id),
        summary: fix.title,
        outcome: 'dry-run',
        steps: [],
      };
      const p: Planned = { fix, record, steps: [] };
      planned.push(p);
      const ctx: FixContext = { writer, cluster: planning, findings: triggeredBy, results, fixedEarlier, options: fixOptions, now, signal };
      let res;
      try {
        res = await fix.plan(ctx);
      } catch (err) {
        record.outcome = 'failed';
        record.reason = err instanceof WriteError ? err.reason : 'plan-error';
        record.message = `could not plan: ${errText(err)}`;
        if (err instanceof WriteError && err.missing) record.missing = err.missing;
        continue;
      }
      if (isNoPlan(res)) {
        record.outcome = 'skipped';
        record.reason = 'not-applicable';
        record.message = res.skip;
        continue;
      }
      if (isManual(res)) {
        record.outcome = 'manual';
        record.summary = res.summary;
        record.commands = res.manual;
        if (res.notes?.length) record.notes = res.notes;
        record.message = 'not run by the tool: run these commands yourself';
        continue;
      }
      record.summary = res.summary;
      if (res.notes?.length) record.notes = [...res.notes];
      let steps = res.steps;
      if (res.restarts && !lockFailure) {
        const rl = await rateLimit(writer, res.restarts, fixOptions.minRestartIntervalMs, now).catch((err: unknown) => ({ skip: `cannot read ${refText(res.restarts!)}: ${errText(err)}` }));
        if ('skip' in rl) {
          record.outcome = 'skipped';
          record.reason = 'rate-limited';
          record.message = rl.skip;
          record.steps = steps.map(stepRecord);
          for (const s of record.steps) s.state = 'skipped';
          continue;
        }
        const firstRestart = steps.findIndex((s) => s.verb === 'restart');
        steps = firstRestart < 0 ? [...steps, rl.step] : [...steps.slice(0, firstRestart), rl.step, ...steps.slice(firstRestart)];
      }
      p.plan = res;
      p.steps = steps;
      for (const id of fix.addresses) fixedEarlier.add(id);
      record.steps = steps.map(stepRecord);
    }
    await planning.release();
    const actionable = () => planned.filter((p) => p.plan && p.record.outcome === 'dry-run');

    if (lockFailure) {
      for (const p of actionable()) {
        p.record.outcome = lockFailure.reason === 'lock-held' ? 'skipped' : 'failed';
        p.record.reason = lockFailure.reason;
        p.record.message = lockFailure.message;
        if (lockFailure.missing) p.record.missing = lockFailure.missing;
        for (const s of p.record.steps) s.state = 'skipped';
      }
    }

    // ---- server dry run of every write ---------------------------------------------------
    let dryRunFailed: Planned | undefined;
    for (const p of actionable()) {
      for (let i = 0; i < p.steps.length; i++) {
        const s = p.steps[i]!;
        try {
          await s.apply(writer, { dryRun: true, signal });
          delete p.record.steps[i]!.error;
          p.record.steps[i]!.state = 'dry-run';
        } catch (err) {
          if (s.needsEarlierSteps && !lockFailure) {
            // what an earlier step creates or removes is not there yet in a dry run (a namespace, or an
            // overlapping pool a webhook refuses): proven by a dry run right before its own write
            p.record.steps[i]!.error = `dry run deferred until the earlier steps are applied: ${errText(err)}`;
            continue;
          }
          failFix(p, i, err, true);
          dryRunFailed = p;
          break;
        }
      }
      if (dryRunFailed && !dryRun) break;
    }
    if (dryRunFailed && !dryRun) markRest(planned, 0, 'dry-run-failed', `nothing was changed: the server dry run of ${dryRunFailed.fix.id} failed`);

    await opts.onPlan?.(before, planned.map((p) => p.record));

    if (dryRun || actionable().length === 0) {
      const report: Report = { ...before, fixMode: opts.mode, before: { summary: before.summary, diagnosis: before.diagnosis }, fixes: planned.map((p) => p.record) };
      return { report, requestCount: client.requestCount, connections: client.counters.connections, tlsHandshakes: client.counters.tlsHandshakes };
    }

    // ---- confirm ------------------------------------------------------------------------
    if (!opts.yes && opts.confirm) {
      const safe = actionable().filter((p) => !p.steps.some((s) => s.disruptive));
      if (safe.length) {
        const n = safe.reduce((a, p) => a + p.steps.length, 0);
        const ok = await opts.confirm(`Apply ${n} change${n === 1 ? '' : 's'} of ${safe.map((p) => p.fix.id).join(', ')}?`);
        if (!ok) for (const p of safe) declined(p);
      }
      for (const p of actionable().filter((x) => x.steps.some((s) => s.disruptive))) {
        for (const s of p.steps.filter((x) => x.disruptive)) {
          if (p.record.outcome !== 'dry-run') break;
          const ok = await opts.confirm(`${p.fix.id}: ${s.description} (${s.command})?`);
          if (!ok) declined(p);
        }
      }
    }

    // ---- apply ---------------------------------------------------------------------------
    const todo = actionable();
    for (let k = 0; k < todo.length; k++) {
      const p = todo[k]!;
      if (signal.aborted) {
        markRest(todo, k, 'interrupted', 'not run: interrupted before this fix');
        break;
      }
      progress(`applying ${p.fix.id}: ${p.record.summary}`);
      const startedAt = new Date();
      let failed = false;
      for (let i = 0; i < p.steps.length; i++) {
        const s = p.steps[i]!;
        if (signal.aborted) {
          p.record.outcome = 'failed';
          p.record.reason = 'interrupted';
          p.record.message = `interrupted after step ${i} of ${p.steps.length}`;
          for (const r of p.record.steps.slice(i)) r.state = 'skipped';
          failed = true;
          break;
        }
        try {
          if (s.needsEarlierSteps && p.record.steps[i]!.state === 'planned') await s.apply(writer, { dryRun: true, signal });
          const obj = await s.apply(writer, { signal });
          p.record.steps[i]!.state = 'applied';
          delete p.record.steps[i]!.error;
          const note = await recordEvent(writer, p.fix.id, s, obj, p.plan?.restarts);
          if (note) (p.record.notes ??= []).push(note);
        } catch (err) {
          failFix(p, i, err, false);
          for (const r of p.record.steps.slice(i + 1)) r.state = 'skipped';
          failed = true;
          break;
        }
      }
      if (failed) {
        await rollBack(writer, p);
        const done = p.record.steps.filter((s) => s.state === 'applied').length;
        p.record.message += done ? ` (${done} earlier step${done === 1 ? ' was' : 's were'} applied and stay)` : ' (nothing of this fix was applied)';
        if (p.record.reason === 'interrupted') markRest(todo, k + 1, 'interrupted', 'not run: interrupted before this fix');
        else markRest(todo, k + 1, 'stopped', `not run: ${p.fix.id} failed before it`);
        break;
      }
      p.record.outcome = 'applied';
      if (p.plan?.settle) {
        progress(`waiting for ${p.fix.id} to take effect (at most ${Math.round(fixOptions.settleTimeoutMs / 1000)} s)`);
        const fresh = () => new Snapshot(client);
        p.record.settle = await p.plan.settle({ writer, fresh, timeoutMs: fixOptions.settleTimeoutMs, startedAt, signal }).catch((err: unknown) => ({ ok: false, message: errText(err) }));
      }
      await lock?.renew();
    }
    await lock?.release();
    lock = undefined;

    // ---- re-check on fresh reads ---------------------------------------------------------
    progress('checking again');
    const after = await diagnoseOnce(run, opts);
    const status = new Map(after.checks.map((c) => [c.id, c.status]));
    for (const p of planned) {
      if (p.record.outcome !== 'applied') continue;
      const verified: Record<string, Status> = {};
      for (const id of p.fix.addresses) {
        const st = status.get(id);
        if (st) verified[id] = st;
      }
      p.record.verified = verified;
      const bad = Object.entries(verified).filter(([, st]) => !VERIFIED_OK.includes(st));
      if (p.record.settle && !p.record.settle.ok) {
        p.record.outcome = 'applied-unverified';
        p.record.reason = 'not-settled';
        p.record.message = p.record.settle.message;
      } else if (bad.length) {
        p.record.outcome = 'applied-unverified';
        p.record.reason = 'still-failing';
        p.record.message = `applied, but on re-check ${bad.map(([id, st]) => `${id} is ${st}`).join(', ')}`;
      } else {
        p.record.message = Object.keys(verified).length ? `re-checked: ${Object.entries(verified).map(([id, st]) => `${id} ${st}`).join(', ')}` : 'applied';
      }
    }
    const report: Report = { ...after, fixMode: opts.mode, before: { summary: before.summary, diagnosis: before.diagnosis }, fixes: planned.map((p) => p.record) };
    return { report, requestCount: client.requestCount, connections: client.counters.connections, tlsHandshakes: client.counters.tlsHandshakes };
  } finally {
    await lock?.release();
    await client.close();
  }
}

/**
 * A fix failed part way: steps that can be put back (they carry `undo`) are undone in reverse
 * order, so e.g. a pool deleted before its replacement could be created comes back.
 */
async function rollBack(writer: Writer, p: Planned): Promise<void> {
  for (let i = p.steps.length - 1; i >= 0; i--) {
    const s = p.steps[i]!;
    const r = p.record.steps[i]!;
    if (r.state !== 'applied' || !s.undo) continue;
    try {
      await s.undo(writer);
      r.state = 'rolled-back';
      (p.record.notes ??= []).push(`rolled back step ${i + 1} (${s.description}) because a later step failed`);
    } catch (err) {
      (p.record.notes ??= []).push(`could not roll back step ${i + 1} (${s.description}): ${errText(err)}; restore it by hand`);
    }
  }
}

function declined(p: Planned): void {
  p.record.outcome = 'skipped';
  p.record.reason = 'declined';
  p.record.message = 'not applied: declined at the prompt';
  for (const s of p.record.steps) s.state = 'skipped';
}
