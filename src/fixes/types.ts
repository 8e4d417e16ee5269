/**
 * The fix model. A fix is a plain object in its own file (src/fixes/<area>/<name>.ts),
 * registered in src/fixes/index.ts, named by the `fixId` of a check's remedy. It reads the
 * cluster fresh (never the diagnosis' memoised snapshot) and returns a plan of steps; it never
 * writes itself: core/fixer.ts runs the steps (server dry run first, then for real), through
 * the one write path src/cluster/writer.ts.
 */
import type { Snapshot } from '../cluster/snapshot.js';
import type { Kind, KubeObject, Writer, WriteOptions } from '../cluster/writer.js';
import type { CheckResult } from '../core/types.js';

/** safe: no disruption; restart: restarts pods (asked for on its own); manual: printed, never run. */
export type FixRisk = 'safe' | 'restart' | 'manual';

export interface ObjectRef {
  kind: Kind;
  namespace?: string;
  name: string;
}

export type StepVerb = 'create' | 'patch' | 'update' | 'delete' | 'restart';

export interface FixStep {
  verb: StepVerb;
  object: ObjectRef;
  /** One line, plain words: what this step changes. */
  description: string;
  /** What an operator would type for the same change (shell, may be several lines). */
  command: string;
  /** A unified diff of the object's YAML for changes (create: all lines added). */
  diff?: string;
  /** Restarts pods or otherwise interrupts service: a person at a terminal is asked for it on its own. */
  disruptive?: boolean;
  /**
   * The dry run of this step may answer 404 because an earlier step of the same plan creates
   * what it needs (a namespace, a CRD object): then the dry run is repeated right before the write.
   */
  needsEarlierSteps?: boolean;
  /**
   * Puts back what this step changed, for when a LATER step of the same fix fails and the
   * cluster would otherwise be left worse than it was found (e.g. a pool deleted before its
   * replacement could be created). Run by the fixer in reverse order; best effort, reported.
   */
  undo?(w: Writer): Promise<void>;
  /** Perform the write (`opts.dryRun`: server-side dry run only); returns the object written when there is one. Throws WriteError. */
  apply(w: Writer, opts: WriteOptions): Promise<KubeObject | void>;
}

export interface SettleResult {
  ok: boolean;
  /** What was seen, in plain words (e.g. "new pod operator-ip-7c9-xk2 Ready, /health 200 after 3.1 s"). */
  message: string;
}

export interface SettleContext {
  writer: Writer;
  /** A new snapshot (fresh reads) each call. */
  fresh(): Snapshot;
  /** Upper bound of the wait (--fix-timeout). */
  timeoutMs: number;
  /** When the fix's first write was sent. */
  startedAt: Date;
  signal: AbortSignal;
}

export interface FixPlan {
  /** One line: what the fix will do. */
  summary: string;
  steps: FixStep[];
  /** Things the operator must know: an owner (Helm, Kubespray, kubeadm) that would revert the change, a backup kept. */
  notes?: string[];
  /**
   * The workload this plan restarts: `--min-restart-interval` applies to it (an annotation
   * `akash-ip-doctor/restarted-at` on it records the last restart).
   */
  restarts?: ObjectRef;
  /** Bounded wait after the steps until the change took effect (new pod Ready, /health 200). */
  settle?(ctx: SettleContext): Promise<SettleResult>;
}

/** Nothing to do (the cluster already holds the change), or the fix cannot act (with why). */
export interface NoPlan {
  skip: string;
}

/** Never run: the exact commands, for a person. */
export interface ManualPlan {
  summary: string;
  manual: string[];
  notes?: string[];
}

export type PlanResult = FixPlan | NoPlan | ManualPlan;

export interface FixOptions {
  /** --min-restart-interval */
  minRestartIntervalMs: number;
  /** --fix-timeout: bound of each settle wait */
  settleTimeoutMs: number;
}

export interface FixContext {
  /** Fresh reads through the write path (get/list). */
  writer: Writer;
  /** A snapshot opened for planning (fresh, shared by the plans of one run). */
  cluster: Snapshot;
  /** The findings that asked for this fix (fail findings whose remedy names it). */
  findings: CheckResult[];
  /** Every result of the diagnosis. */
  results: ReadonlyMap<string, CheckResult>;
  /** The checks that fixes planned earlier in this run (which run first) are to make pass. */
  fixedEarlier: ReadonlySet<string>;
  options: FixOptions;
  now: Date;
  signal: AbortSignal;
}

export interface Fix {
  /** Contract: stable, never reused; checks' remedies name it in fixId. */
  id: string;
  title: string;
  /** The checks this fix makes pass: they are re-run to verify it. */
  addresses: string[];
  risk: FixRisk;
  /** Plans run in ascending order: namespace before Service, CRs before deleting the legacy ConfigMap, config before restarts. */
  order: number;
  /** What it does and on which upstream behaviour it rests (file and line), for docs and `explain`. */
  doc: string;
  plan(ctx: FixContext): Promise<PlanResult>;
}

export function isManual(p: PlanResult): p is ManualPlan {
  return 'manual' in p;
}

export function isNoPlan(p: PlanResult): p is NoPlan {
  return 'skip' in p;
}
