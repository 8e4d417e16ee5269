/**
 * Scenario inheritance: a scenario's Behaviour document may say `extends: <name>`
 * (and `remove: ["Kind/namespace/name", "Kind//name"]`). Its objects replace the
 * base's objects of the same Kind/namespace/name; its logs, proxy, afterRestart
 * and users override the base's per key; providerStatus and faults replace.
 */
import { parseAllDocuments } from 'yaml';
import type { Behaviour, KubeObject, SimState } from './types.js';

interface OverlayDirectives {
  extends?: string;
  remove: string[];
  /** Behaviour keys the overlay itself sets (others are inherited). */
  keys: Set<string>;
}

/** directives by file text: a scenario that extends another is loaded again and again by tests (read only) */
const parsed = new Map<string, OverlayDirectives>();

export function overlayDirectives(yamlText: string): OverlayDirectives {
  const hit = parsed.get(yamlText);
  if (hit) return hit;
  const out = parseDirectives(yamlText);
  if (parsed.size >= 256) parsed.clear();
  parsed.set(yamlText, out);
  return out;
}

function parseDirectives(yamlText: string): OverlayDirectives {
  const out: OverlayDirectives = { remove: [], keys: new Set() };
  const docs = parseAllDocuments(yamlText);
  for (const doc of Array.isArray(docs) ? docs : []) {
    const v = doc.toJS() as Record<string, unknown> | null;
    if (!v || v.kind !== 'Behaviour') continue;
    for (const k of Object.keys(v)) out.keys.add(k);
    if (typeof v.extends === 'string') out.extends = v.extends;
    if (Array.isArray(v.remove)) out.remove.push(...v.remove.map(String));
  }
  return out;
}

export function objectKey(o: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

const PER_KEY = ['logs', 'proxy', 'afterRestart', 'users'] as const;

export function applyOverlay(base: SimState, overlay: SimState, directives: OverlayDirectives): SimState {
  const removed = new Set(directives.remove);
  const replaced = new Set(overlay.objects.map(objectKey));
  const objects = [...base.objects.filter((o) => !removed.has(objectKey(o)) && !replaced.has(objectKey(o))), ...overlay.objects];
  const b = base.behaviour as Behaviour & Record<string, unknown>;
  const o = overlay.behaviour as Behaviour & Record<string, unknown>;
  const behaviour: Record<string, unknown> = { ...b };
  for (const key of Object.keys(o)) {
    if (!directives.keys.has(key) && key !== 'name' && key !== 'description') continue;
    if ((PER_KEY as readonly string[]).includes(key)) behaviour[key] = { ...(b[key] as object), ...(o[key] as object) };
    else behaviour[key] = o[key];
  }
  behaviour.name = overlay.behaviour.name ?? overlay.name;
  behaviour.description = overlay.behaviour.description ?? overlay.description;
  return { ...overlay, objects, behaviour: behaviour as unknown as Behaviour };
}

/** Resolve `extends` chains (cycles are an error). */
export async function resolveExtends(yamlText: string, state: SimState, load: (name: string) => Promise<SimState>, seen: string[] = []): Promise<SimState> {
  const directives = overlayDirectives(yamlText);
  if (!directives.extends) return state;
  if (seen.includes(directives.extends)) throw new Error(`scenario ${state.name ?? ''}: extends cycle through ${directives.extends}`);
  const base = await load(directives.extends);
  return applyOverlay(base, state, directives);
}
