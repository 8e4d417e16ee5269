/**
 * Shared by the manual fixes: the commands come from the remedies of the findings that asked
 * for the fix (the checks already pin chart versions and fill in names); never run.
 */
import type { CheckResult } from '../../core/types.js';
import type { FixContext, ManualPlan, NoPlan } from '../types.js';

/** The findings asking for `fixId` (those given, else the failed results whose remedy names it). */
export function askingFindings(ctx: FixContext, fixId: string): CheckResult[] {
  if (ctx.findings.length) return ctx.findings;
  return [...ctx.results.values()].filter((r) => (r.status === 'fail' || r.status === 'warn') && r.remedy?.fixId === fixId);
}

/**
 * One manual plan from the findings' remedies, in the order of `preferred` check ids: the
 * first check that has commands gives them (several checks print equivalent commands for the
 * same change), `also` adds commands that follow (e.g. a restart).
 */
export function manualPlan(ctx: FixContext, fixId: string, preferred: string[], opts: { summary: string; nothing: string; notes?: string[]; also?: string[] }): ManualPlan | NoPlan {
  const asking = askingFindings(ctx, fixId);
  if (asking.length === 0) return { skip: opts.nothing };
  const ordered = [...asking].sort((a, b) => rank(preferred, a.id) - rank(preferred, b.id));
  const first = ordered.find((f) => (f.remedy?.commands.length ?? 0) > 0);
  const commands = [...(first?.remedy?.commands ?? [])];
  for (const c of opts.also ?? []) if (!commands.includes(c)) commands.push(c);
  if (commands.length === 0) return { skip: `${opts.nothing} (no check gave commands)` };
  return {
    summary: opts.summary,
    manual: commands,
    notes: [`Asked for by: ${asking.map((f) => `${f.id} (${String((f.details as Record<string, unknown> | undefined)?.reason ?? f.status)})`).join(', ')}.`, ...(opts.notes ?? [])],
  };
}

function rank(order: string[], id: string): number {
  const i = order.indexOf(id);
  return i < 0 ? order.length : i;
}
