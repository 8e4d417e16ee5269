/**
 * The check model. A check is a plain object in its own file; it reads the
 * cluster through `ctx.cluster` (a per-run memoised snapshot) and returns a
 * Finding. Checks never talk to @kubernetes/client-node directly and never print.
 */
import type { Snapshot } from '../cluster/snapshot.js';

export type Status = 'pass' | 'warn' | 'fail' | 'skip' | 'error';

export const STATUSES: readonly Status[] = ['pass', 'warn', 'fail', 'skip', 'error'];

export type Category =
  | 'cluster'
  | 'metallb'
  | 'kube-proxy'
  | 'provider'
  | 'ip-operator';

export const CATEGORIES: readonly Category[] = ['cluster', 'metallb', 'kube-proxy', 'provider', 'ip-operator'];

/** A proposed fix: the exact commands an operator would run, plus an optional automated fix id. */
export interface Remedy {
  /** One line: what the fix does. */
  summary: string;
  /** The exact shell command(s), in order. */
  commands: string[];
  /** Id of an automated fix in src/fixes, when one exists (applied by `check --fix`). */
  fixId?: string;
  /** Parameters the automated fix needs (names, selectors). Never secrets. */
  params?: Record<string, string>;
}

export interface Finding {
  status: Status;
  /** One line, plain words. */
  message: string;
  /** Structured evidence: names, counts, versions. Never secrets. */
  details?: Record<string, unknown>;
  /** What to do, with the exact command. */
  hint?: string;
  remedy?: Remedy;
}

/** Documentation of a check; docs/checks.md and `explain <id>` are generated from it. */
export interface CheckDoc {
  /** What the check looks at. */
  what: string;
  /** Why it matters for IP leases. */
  why: string;
  /** How to fix a failure. */
  fix: string;
}

export interface RunOptions {
  /** Per-check time budget in milliseconds. */
  timeoutMs: number;
  /** Budgets of single checks (id -> ms) that override timeoutMs; the check sees its own as timeoutMs. */
  checkTimeoutsMs?: Readonly<Record<string, number>>;
  /** Explicit provider status URL (--provider-url); otherwise derived from the provider's env. */
  providerUrl?: string;
  /** Log window in seconds (--log-since). */
  logSinceSeconds: number;
  /** Upper bound of log lines read per pod (0: no bound; the log is streamed either way). */
  logTailLines: number;
  /** Warn when the default pool has this many free addresses or fewer. */
  poolLowThreshold: number;
  /** Akash chain REST API (--chain-api), for on-chain attributes. */
  chainApi?: string;
}

export interface CheckContext {
  cluster: Snapshot;
  options: RunOptions;
  /** Aborted when the check's budget runs out. */
  signal: AbortSignal;
  /** Results of the checks this one depends on (all finished before run()). */
  upstream: ReadonlyMap<string, CheckResult>;
}

export interface Check {
  /** Stable, never reused, lowercase dotted. */
  id: string;
  title: string;
  category: Category;
  /** Ids of checks that must not fail/error/skip for this one to run. */
  dependsOn?: string[];
  /**
   * Checks that depend on this one may start before it has finished: it only decides whether
   * their findings are shown (a fail/error/skip here still makes them `skip`, and what they
   * found is dropped), not what they read. Their reads then share a round trip with this
   * check's instead of waiting for its answer. Set only on checks whose dependants merely
   * read (every check does) and whose dependants' reads are harmless when this one fails.
   */
  dependantsStartEarly?: boolean;
  doc: CheckDoc;
  run(ctx: CheckContext): Promise<Finding>;
}

export interface CheckResult extends Finding {
  id: string;
  title: string;
  category: Category;
  /** Link or path to the check's documentation. */
  docs: string;
  durationMs: number;
}

export interface ClusterInfo {
  context: string;
  server: string;
  version: string | null;
}

export interface Diagnosis {
  /** Rule id that produced this cause. */
  rule: string;
  /** The most likely root cause, in plain words. */
  cause: string;
  /** The one first step to take. */
  firstStep: string;
  /** Check ids this cause explains (the symptoms). */
  explains: string[];
}

/** The report's schema version: changes only when the shape changes incompatibly (added optional fields keep it). */
export const REPORT_SCHEMA_VERSION = 1 as const;

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: string; version: string };
  startedAt: string;
  durationMs: number;
  cluster: ClusterInfo;
  summary: Record<Status, number> & { healthy: boolean };
  diagnosis?: Diagnosis[];
  checks: CheckResult[];
  /** With `--fix`: whether the plan was applied or only dry-run. */
  fixMode?: 'apply' | 'dry-run';
  /** With `--fix`: the diagnosis before any fix (`checks` then hold the re-checked state). */
  before?: { summary: Report['summary']; diagnosis?: Diagnosis[] };
  /** With `--fix`: every planned fix and its outcome (src/core/fixer.ts). */
  fixes?: FixRecord[];
}

export type FixOutcome = 'applied' | 'applied-unverified' | 'dry-run' | 'failed' | 'skipped' | 'manual';

export interface FixStepRecord {
  verb: 'create' | 'patch' | 'update' | 'delete' | 'restart';
  object: { apiVersion: string; kind: string; namespace?: string; name: string };
  description: string;
  /** The kubectl command that makes the same change. */
  command: string;
  /** Unified diff of the object's YAML. */
  diff?: string;
  disruptive?: boolean;
  /** planned: not sent; dry-run: accepted by the server's dry run; applied; failed; skipped (declined or not reached) */
  state: 'planned' | 'dry-run' | 'applied' | 'failed' | 'skipped' | 'rolled-back';
  error?: string;
}

export interface FixRecord {
  id: string;
  title: string;
  risk: 'safe' | 'restart' | 'manual';
  /** The checks the fix makes pass. */
  addresses: string[];
  /** The failed checks whose remedy named this fix. */
  triggeredBy: string[];
  summary: string;
  outcome: FixOutcome;
  /** Stable code of why (skipped, failed, applied-unverified): e.g. declined, rate-limited, lock-held, forbidden. */
  reason?: string;
  /** Plain words: what happened. */
  message?: string;
  /** For failed: forbidden writes name the missing permission (`patch deployments.apps in namespace x`). */
  missing?: string;
  steps: FixStepRecord[];
  /** manual: the commands to run by hand (never run by the tool). */
  commands?: string[];
  notes?: string[];
  /** What the wait after the steps saw (new pod Ready, /health 200). */
  settle?: { ok: boolean; message: string };
  /** Statuses of the addressed checks after the fix (re-checked on fresh reads). */
  verified?: Record<string, Status>;
}

/** Helpers for building findings concisely. */
export const pass = (message: string, extra: Omit<Finding, 'status' | 'message'> = {}): Finding => ({ status: 'pass', message, ...extra });
export const warn = (message: string, extra: Omit<Finding, 'status' | 'message'> = {}): Finding => ({ status: 'warn', message, ...extra });
export const fail = (message: string, extra: Omit<Finding, 'status' | 'message'> = {}): Finding => ({ status: 'fail', message, ...extra });
export const skip = (message: string, extra: Omit<Finding, 'status' | 'message'> = {}): Finding => ({ status: 'skip', message, ...extra });
export const error = (message: string, extra: Omit<Finding, 'status' | 'message'> = {}): Finding => ({ status: 'error', message, ...extra });
