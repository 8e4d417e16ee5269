/**
 * The run-time world of one sim: the store plus the mutable behaviour (logs, proxy
 * responses, afterRestart, provider responder) and pending controller timers.
 */
import type { ProviderResponder } from './provider.js';
import type { ModelAnswer, ProxyTarget } from './proxy.js';
import type { Store } from './store.js';
import type { AfterRestart, Behaviour, LogSource, ProxyResponse } from './types.js';

export class World {
  readonly logs = new Map<string, LogSource>();
  readonly proxy = new Map<string, ProxyResponse>();
  readonly afterRestart: Record<string, AfterRestart>;
  readonly baseTime = Date.now();
  readonly gitVersion: string;
  private timers = new Set<NodeJS.Timeout>();
  /**
   * Set by the component model (model.ts): its answer for a proxied request to a Service with
   * ready endpoints, `'refused'` (nothing listens), or undefined (the scripted answers apply).
   */
  modelProxy?: (t: ProxyTarget) => ModelAnswer;
  /** Set by the component model: true when the model owns the pods of `namespace/workload` (afterRestart then does not apply). */
  modelOwns: (ns: string, workload: string) => boolean = () => false;
  closed = false;

  constructor(
    readonly store: Store,
    behaviour: Behaviour,
    readonly provider: ProviderResponder,
  ) {
    for (const [k, v] of Object.entries(behaviour.logs)) this.logs.set(k, v);
    for (const [k, v] of Object.entries(behaviour.proxy)) this.proxy.set(k, v);
    this.afterRestart = behaviour.afterRestart;
    this.gitVersion = behaviour.kubernetesVersion ?? 'v1.30.4';
  }

  logSource(ns: string, pod: string, container: string): LogSource | undefined {
    return this.logs.get(`${ns}/${pod}/${container}`) ?? this.logs.get(`${ns}/${pod}`);
  }

  later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
