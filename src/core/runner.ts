/**
 * The runner: resolves which checks run (--only / --skip with dependencies),
 * runs independent checks concurrently, skips dependants of failed upstreams
 * with the reason, enforces each check's time budget, and turns unexpected
 * throws into `error` findings. Results come back in registry order.
 */
import type { Check, CheckContext, CheckResult, Finding, RunOptions } from './types.js';
import type { Snapshot } from '../cluster/snapshot.js';
import { ClusterError } from '../cluster/errors.js';
import { anchor } from '../report/docs.js';

export class SelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectionError';
  }
}

/** Expand --only/--skip terms (check ids or categories) into the checks to run, registry order kept. */
export function selectChecks(registry: readonly Check[], only: string[] = [], skipTerms: string[] = []): Check[] {
  const byId = new Map(registry.map((c) => [c.id, c]));
  const categories = new Set(registry.map((c) => c.category));
  const expand = (terms: string[], flag: string): Set<string> => {
    const ids = new Set<string>();
    for (const raw of terms.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean)) {
      if (byId.has(raw)) ids.add(raw);
      else if (categories.has(raw as Check['category'])) registry.filter((c) => c.category === raw).forEach((c) => ids.add(c.id));
      else throw new SelectionError(`${flag}: unknown check or category "${raw}" (see \`akash-ip-doctor list\`)`);
    }
    return ids;
  };
  const skipped = expand(skipTerms, '--skip');
  let wanted: Set<string>;
  if (only.length > 0) {
    wanted = expand(only, '--only');
    // `--only ""` (an empty variable in a cron line) or `--only " , "` selects nothing: never a healthy report
    if (wanted.size === 0) throw new SelectionError(`no check selected: --only names no check or category (got ${only.map((o) => JSON.stringify(o)).join(', ')}; see \`akash-ip-doctor list\`)`);
    // dependencies of selected checks run too, so a skip can say why
    const stack = [...wanted];
    while (stack.length) {
      const c = byId.get(stack.pop()!)!;
      for (const d of c.dependsOn ?? []) if (!wanted.has(d) && byId.has(d)) (wanted.add(d), stack.push(d));
    }
  } else wanted = new Set(registry.map((c) => c.id));
  const selected = registry.filter((c) => wanted.has(c.id) && !skipped.has(c.id));
  if (selected.length === 0) throw new SelectionError('no check selected: --skip removes every check that --only/the defaults select (see `akash-ip-doctor list`)');
  return selected;
}

function budgetExceeded(ms: number): Finding {
  return { status: 'error', message: `did not finish within its ${Math.round(ms / 100) / 10}s budget (raise --timeout if the cluster is slow)`, details: { reason: 'timeout' } };
}

/** A thrown error as an `error` finding: cluster errors keep their plain message. */
export function errorFinding(err: unknown): Finding {
  if (err instanceof ClusterError) {
    return { status: 'error', message: err.message, details: { reason: err.kind, ...(err.request ? { request: err.request } : {}) } };
  }
  const msg = err instanceof Error ? err.message : String(err);
  return { status: 'error', message: `unexpected error: ${msg.split('\n')[0]}`, details: { reason: 'internal' } };
}

export interface RunHooks {
  onStart?(check: Check): void;
  onFinish?(result: CheckResult): void;
}

export function docsLink(id: string): string {
  return `docs/checks.md#${anchor(id)}`;
}

export async function runChecks(checks: readonly Check[], cluster: Snapshot, options: RunOptions, hooks: RunHooks = {}): Promise<CheckResult[]> {
  const selected = new Map(checks.map((c) => [c.id, c]));
  const results = new Map<string, CheckResult>();
  const promises = new Map<string, Promise<CheckResult>>();

  /** Run the check itself under its budget; throws become `error` findings. */
  const execute = async (check: Check, upstream: Map<string, CheckResult>): Promise<Finding> => {
    const controller = new AbortController();
    const budgetMs = options.checkTimeoutsMs?.[check.id] ?? options.timeoutMs;
    const checkOptions = budgetMs === options.timeoutMs ? options : { ...options, timeoutMs: budgetMs };
    const ctx: CheckContext = { cluster, options: checkOptions, signal: controller.signal, upstream };
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<Finding>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error('budget exceeded'));
        resolve(budgetExceeded(budgetMs));
      }, budgetMs);
    });
    try {
      const finding = await Promise.race([
        Promise.resolve()
          .then(() => check.run(ctx))
          .catch(errorFinding),
        budget,
      ]);
      if (!finding || typeof finding.status !== 'string') return { status: 'error', message: 'the check returned no finding', details: { reason: 'internal' } };
      return finding;
    } finally {
      clearTimeout(timer);
    }
  };

  const blocks = (u: CheckResult): boolean => u.status === 'fail' || u.status === 'error' || u.status === 'skip';

  /**
   * Whether a check may start once its dependencies allow it: every dependency without
   * `dependantsStartEarly` has passed (or warned), and every one with it may start itself. A
   * check that must wait for cluster.api (everything does) never starts before it passed.
   */
  const startable = new Map<string, Promise<boolean>>();
  const canStart = (check: Check): Promise<boolean> => {
    let p = startable.get(check.id);
    if (!p) {
      const deps = (check.dependsOn ?? []).filter((d) => selected.has(d)).map((d) => selected.get(d)!);
      p = Promise.all(deps.map(async (d) => (d.dependantsStartEarly ? canStart(d) : !blocks(await start(d))))).then((ok) => ok.every(Boolean));
      startable.set(check.id, p);
    }
    return p;
  };

  const runOne = async (check: Check): Promise<CheckResult> => {
    const deps = (check.dependsOn ?? []).filter((d) => selected.has(d));
    const upstreamMap = new Map<string, CheckResult>();
    let started = Date.now();
    let early: Promise<Finding> | undefined;
    // a dependency that lets its dependants start early is awaited only to decide what is shown
    if (deps.some((d) => selected.get(d)!.dependantsStartEarly) && (await canStart(check))) {
      started = Date.now();
      early = execute(check, upstreamMap);
    }
    const upstream = await Promise.all(deps.map((d) => start(selected.get(d)!)));
    for (const u of upstream) upstreamMap.set(u.id, u);
    const base = { id: check.id, title: check.title, category: check.category, docs: docsLink(check.id) };
    const blocking = upstream.find(blocks);
    let finding: Finding;
    if (blocking) {
      started = Date.now();
      // an early start's finding (and its reads) is dropped: the dependency decides
      finding = { status: 'skip', message: `skipped: ${blocking.id} ${blocking.status === 'skip' ? 'was skipped' : blocking.status === 'fail' ? 'failed' : 'could not run'} (${blocking.message})`, details: { reason: 'blocked', blockedBy: blocking.id } };
    } else {
      hooks.onStart?.(check);
      if (!early) started = Date.now();
      finding = await (early ?? execute(check, upstreamMap));
    }
    const result: CheckResult = { ...base, ...finding, durationMs: Date.now() - started };
    results.set(check.id, result);
    hooks.onFinish?.(result);
    return result;
  };

  const start = (check: Check): Promise<CheckResult> => {
    let p = promises.get(check.id);
    if (!p) {
      p = runOne(check);
      promises.set(check.id, p);
    }
    return p;
  };

  await Promise.all(checks.map(start));
  return checks.map((c) => results.get(c.id)!);
}
