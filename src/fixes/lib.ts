/**
 * Building blocks of fix plans: steps for the usual writes (each with the kubectl command
 * that does the same and a YAML diff), and bounded waits for settle().
 */
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { Snapshot } from '../cluster/snapshot.js';
import { apiVersionOf, KINDS, type Kind, type KubeObject, type PatchType, type Writer } from '../cluster/writer.js';
import type { FixStep, ObjectRef, SettleContext, SettleResult } from './types.js';

/** Annotation on a workload recording the last restart `--fix` made (rate limit). */
export const RESTARTED_AT_ANNOTATION = 'akash-ip-doctor/restarted-at';
/** The annotation `kubectl rollout restart` sets on the pod template. */
export const KUBECTL_RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** `deployment`, `ipaddresspool.metallb.io`: how kubectl names the resource type. */
export function kubectlType(kind: Kind): string {
  const base = kind.kind.toLowerCase();
  return kind.group && kind.group !== 'apps' ? `${base}.${kind.group}` : base;
}

/** `metallb-system/Service/controller` */
export function refText(ref: ObjectRef): string {
  return `${ref.kind.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

function nsFlag(ref: { kind: Kind; namespace?: string }): string {
  return ref.kind.namespaced && ref.namespace ? `-n ${ref.namespace} ` : '';
}

/** Single-quote for a POSIX shell. */
export function shq(text: string): string {
  return /^[A-Za-z0-9_./:=@,+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The object as a person would write it: no server-owned fields. */
export function cleanForYaml(obj: KubeObject | null | undefined): KubeObject | null {
  if (!obj) return null;
  const o = structuredClone(obj) as KubeObject & { status?: unknown };
  delete o.status;
  if (o.metadata) {
    for (const f of ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink']) delete o.metadata[f];
    if (o.metadata.annotations) {
      delete o.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'];
      if (Object.keys(o.metadata.annotations).length === 0) delete o.metadata.annotations;
    }
  }
  return o;
}

export function toYaml(obj: KubeObject | null | undefined): string {
  const o = cleanForYaml(obj);
  return o ? stringify(o, { lineWidth: 0 }) : '';
}

/** A unified diff of two versions of an object as YAML (null: absent). */
export function objectDiff(ref: ObjectRef, before: KubeObject | null, after: KubeObject | null): string {
  const name = `${ref.kind.kind.toLowerCase()}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
  return textDiff(name, toYaml(before), toYaml(after));
}

export function textDiff(name: string, before: string, after: string): string {
  return createTwoFilesPatch(before ? `a/${name}` : '/dev/null', after ? `b/${name}` : '/dev/null', before, after, '', '', { context: 3 })
    .split('\n')
    .filter((l) => !/^={10,}$/.test(l))
    .join('\n')
    .trimEnd();
}

/** RFC 7386 JSON merge patch, applied locally to show the diff a merge patch makes. */
export function applyMergePatch<T>(target: T, patch: unknown): T {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch) as T;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out as T;
}

function heredoc(yamlText: string): string {
  return `<<'EOF'\n${yamlText.trimEnd()}\nEOF`;
}

/** Create an object (kubectl create -f -). */
export function createStep(kind: Kind, obj: KubeObject, description: string, extra: Partial<FixStep> = {}): FixStep {
  const full: KubeObject = { apiVersion: apiVersionOf(kind), kind: kind.kind, ...obj };
  const ref: ObjectRef = { kind, namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '' };
  return {
    verb: 'create',
    object: ref,
    description,
    command: `kubectl create -f - ${heredoc(toYaml(full))}`,
    diff: objectDiff(ref, null, full),
    apply: async (w, opts) => {
      return w.create(kind, full, opts);
    },
    ...extra,
  };
}

/** A merge (or strategic merge) patch of an object read as `before`. */
export function patchStep(ref: ObjectRef, before: KubeObject, type: Exclude<PatchType, 'json'>, patch: Record<string, unknown>, description: string, extra: Partial<FixStep> = {}): FixStep {
  return {
    verb: 'patch',
    object: ref,
    description,
    command: `kubectl ${nsFlag(ref)}patch ${kubectlType(ref.kind)} ${ref.name} --type ${type} -p ${shq(JSON.stringify(patch))}`,
    diff: objectDiff(ref, before, applyMergePatch(before, patch)),
    apply: async (w, opts) => {
      return w.patch(ref.kind, ref.namespace, ref.name, type, patch, opts);
    },
    ...extra,
  };
}

/**
 * Replace an object changed by `change`, conditional on its resourceVersion; a conflict
 * re-reads and applies `change` to the fresh object. `before` is what the plan read (for the diff).
 */
export function updateStep(ref: ObjectRef, before: KubeObject, change: (fresh: KubeObject) => KubeObject | null, description: string, command: string, extra: Partial<FixStep> = {}): FixStep {
  const preview = change(structuredClone(before));
  return {
    verb: 'update',
    object: ref,
    description,
    command,
    diff: objectDiff(ref, before, preview ?? before),
    apply: async (w, opts) => {
      return (await w.update(ref.kind, ref.namespace, ref.name, change, { ...opts, initial: before }))?.after;
    },
    ...extra,
  };
}

/** Delete an object, only if it is still the one read (uid precondition). */
export function deleteStep(ref: ObjectRef, before: KubeObject | null, description: string, extra: Partial<FixStep> = {}): FixStep {
  const uid = before?.metadata?.uid;
  return {
    verb: 'delete',
    object: ref,
    description,
    command: `kubectl ${nsFlag(ref)}delete ${kubectlType(ref.kind)} ${ref.name}`,
    diff: before ? objectDiff(ref, before, null) : undefined,
    apply: async (w, opts) => {
      await w.delete(ref.kind, ref.namespace, ref.name, { ...opts, ...(uid ? { preconditions: { uid } } : {}) });
    },
    ...extra,
  };
}

/** An undo for a delete: create the object again as it was read (without server-owned fields). */
export function recreateUndo(kind: Kind, before: KubeObject): (w: Writer) => Promise<void> {
  return async (w) => {
    const o = cleanForYaml(before);
    if (o) await w.create(kind, o);
  };
}

/** Delete pods so their controller recreates them (what the guide's `kubectl delete pod -l …` does). */
export function restartPodsStep(namespace: string, pods: KubeObject[], selector: string, description: string): FixStep {
  const names = pods.map((p) => p.metadata?.name ?? '').filter(Boolean);
  return {
    verb: 'restart',
    object: { kind: KINDS.pod, namespace, name: names.join(',') },
    description,
    command: `kubectl -n ${namespace} delete pod -l ${shq(selector)}`,
    disruptive: true,
    apply: async (w, opts) => {
      for (const p of pods) {
        const uid = p.metadata?.uid;
        await w.delete(KINDS.pod, namespace, p.metadata?.name ?? '', { ...opts, ...(uid ? { preconditions: { uid } } : {}) });
      }
    },
  };
}

/** `kubectl rollout restart`: a new pod-template annotation kubectl.kubernetes.io/restartedAt (strategic merge patch). */
export function rolloutRestartStep(ref: ObjectRef, description: string, now: () => Date = () => new Date()): FixStep {
  return {
    verb: 'restart',
    object: ref,
    description,
    command: `kubectl ${nsFlag(ref)}rollout restart ${kubectlType(ref.kind)}/${ref.name}`,
    disruptive: true,
    apply: async (w, opts) => {
      const patch = { spec: { template: { metadata: { annotations: { [KUBECTL_RESTARTED_AT]: now().toISOString().replace(/\.\d+Z$/, 'Z') } } } } };
      return w.patch(ref.kind, ref.namespace, ref.name, 'strategic', patch, opts);
    },
  };
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Poll `probe` (every `intervalMs`) until it says ok or the settle bound runs out; the
 * last message is kept so a timeout says what was last seen.
 */
export async function pollUntil(ctx: SettleContext, probe: (snap: Snapshot) => Promise<SettleResult>, intervalMs = 500): Promise<SettleResult> {
  const deadline = Date.now() + ctx.timeoutMs;
  const started = Date.now();
  let last: SettleResult = { ok: false, message: 'nothing seen yet' };
  while (!ctx.signal.aborted) {
    const snap = ctx.fresh();
    try {
      last = await probe(snap);
    } catch (err) {
      last = { ok: false, message: err instanceof Error ? err.message : String(err) };
    } finally {
      await snap.release();
    }
    if (last.ok) return { ok: true, message: `${last.message} (after ${((Date.now() - started) / 1000).toFixed(1)} s)` };
    if (Date.now() + intervalMs > deadline) break;
    await sleep(intervalMs, ctx.signal);
  }
  return { ok: false, message: `not settled within ${(ctx.timeoutMs / 1000).toFixed(0)} s: ${last.message}` };
}

/** Pods matching `selector` created after `after`, Ready: the replacement of a restart. */
export async function newReadyPods(snap: Snapshot, namespace: string, selector: string, after: Date): Promise<{ ready: string[]; waiting: string[] }> {
  const pods = await snap.listPods(namespace, { labelSelector: selector });
  const ready: string[] = [];
  const waiting: string[] = [];
  for (const p of pods) {
    const created = p.metadata?.creationTimestamp ? new Date(p.metadata.creationTimestamp as unknown as string).getTime() : 0;
    if (created < after.getTime() - 1000 || p.metadata?.deletionTimestamp) continue;
    const isReady = p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    (isReady ? ready : waiting).push(p.metadata?.name ?? '');
  }
  return { ready, waiting };
}

/** A Snapshot factory over the writer's client, for settle contexts and plans. */
export function snapshotFactory(client: ConstructorParameters<typeof Snapshot>[0]): () => Snapshot {
  return () => new Snapshot(client);
}
