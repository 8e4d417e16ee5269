/**
 * Scenario state: multi-document Kubernetes YAML (as `kubectl get -o yaml` prints it,
 * `List` objects included) plus Behaviour documents (apiVersion sim.akash-ip-doctor/v1).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { resolveExtends } from './overlay.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { Behaviour, FailWrite, KubeObject, ModelSpec, SimState } from './types.js';

export const BEHAVIOUR_API_VERSION = 'sim.akash-ip-doctor/v1';

export function emptyBehaviour(): Behaviour {
  return {
    logs: {},
    proxy: {},
    providerStatus: { mode: 'ok', status: 200, body: {} },
    afterRestart: {},
    users: {},
    faults: {},
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeBehaviour(into: Behaviour, doc: Record<string, unknown>, where: string): void {
  const md = isRecord(doc.metadata) ? doc.metadata : {};
  if (typeof md.name === 'string') into.name = md.name;
  if (typeof md.description === 'string') into.description = md.description;
  for (const key of ['logs', 'proxy', 'afterRestart', 'users'] as const) {
    const v = doc[key];
    if (v === undefined || v === null) continue;
    if (!isRecord(v)) throw new Error(`${where}: Behaviour.${key} must be a mapping`);
    Object.assign(into[key] as Record<string, unknown>, v);
  }
  if (doc.providerStatus !== undefined && doc.providerStatus !== null) {
    if (!isRecord(doc.providerStatus)) throw new Error(`${where}: Behaviour.providerStatus must be a mapping`);
    const ps = doc.providerStatus as Record<string, unknown>;
    const mode = ps.mode ?? 'ok';
    if (!['ok', 'hang', 'refused', 'error'].includes(String(mode))) {
      throw new Error(`${where}: Behaviour.providerStatus.mode must be ok|hang|refused|error, got ${String(mode)}`);
    }
    into.providerStatus = { ...(ps as object), mode } as Behaviour['providerStatus'];
  }
  if (isRecord(doc.faults)) {
    const f = doc.faults;
    const faults = into.faults;
    if (typeof f.latencyMs === 'number') faults.latencyMs = f.latencyMs;
    if (typeof f.errorRate === 'number') faults.errorRate = f.errorRate;
    if (Array.isArray(f.hang)) faults.hang = f.hang.map((s) => new RegExp(String(s)));
    if (Array.isArray(f.failWrites)) {
      faults.failWrites = f.failWrites.map((w, i) => {
        if (!isRecord(w)) throw new Error(`${where}: Behaviour.faults.failWrites[${i}] must be a mapping`);
        const method = String(w.method ?? '').toUpperCase();
        if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) throw new Error(`${where}: Behaviour.faults.failWrites[${i}].method must be POST|PUT|PATCH|DELETE, got ${String(w.method)}`);
        if (typeof w.path !== 'string' || !w.path) throw new Error(`${where}: Behaviour.faults.failWrites[${i}].path must be a regular expression`);
        const status = Number(w.status ?? 500);
        if (!Number.isInteger(status) || status < 400 || status > 599) throw new Error(`${where}: Behaviour.faults.failWrites[${i}].status must be 400-599`);
        const out: FailWrite = { method, path: new RegExp(w.path), status };
        if (w.times !== undefined) {
          const t = Number(w.times);
          if (!Number.isInteger(t) || t < 0) throw new Error(`${where}: Behaviour.faults.failWrites[${i}].times must be a whole number`);
          out.times = t;
        }
        if (w.dryRun !== undefined) {
          if (typeof w.dryRun !== 'boolean') throw new Error(`${where}: Behaviour.faults.failWrites[${i}].dryRun must be true or false`);
          out.dryRun = w.dryRun;
        }
        return out;
      });
    }
    if (isRecord(f.burst429)) {
      faults.burst429 = {
        remaining: Number(f.burst429.remaining ?? 0),
        retryAfterSeconds: Number(f.burst429.retryAfterSeconds ?? 1),
      };
    }
  }
  if (typeof doc.defaultCrds === 'boolean') into.defaultCrds = doc.defaultCrds;
  if (typeof doc.kubernetesVersion === 'string') into.kubernetesVersion = doc.kubernetesVersion;
  if (typeof doc.http2 === 'boolean') into.http2 = doc.http2;
  if (doc.model !== undefined && doc.model !== null) into.model = parseModel(doc.model, where);
}

const MODEL_KEYS = ['ipOperator', 'provider', 'metallb', 'hostnameOperator', 'fromStart'] as const;

function parseModel(v: unknown, where: string): Behaviour['model'] {
  if (typeof v === 'boolean') return v;
  if (!isRecord(v)) throw new Error(`${where}: Behaviour.model must be true/false or a mapping of ${MODEL_KEYS.join(', ')}`);
  const out: ModelSpec = {};
  for (const [k, x] of Object.entries(v)) {
    if (!(MODEL_KEYS as readonly string[]).includes(k)) throw new Error(`${where}: Behaviour.model.${k} is not a component (known: ${MODEL_KEYS.join(', ')})`);
    if (typeof x !== 'boolean') throw new Error(`${where}: Behaviour.model.${k} must be true or false`);
    out[k as (typeof MODEL_KEYS)[number]] = x;
  }
  return out;
}

function checkObject(o: unknown, where: string): KubeObject {
  if (!isRecord(o)) throw new Error(`${where}: expected a Kubernetes object (a mapping)`);
  if (typeof o.apiVersion !== 'string' || !o.apiVersion) throw new Error(`${where}: missing apiVersion`);
  if (typeof o.kind !== 'string' || !o.kind) throw new Error(`${where}: missing kind`);
  if (!isRecord(o.metadata) || typeof o.metadata.name !== 'string' || !o.metadata.name) {
    throw new Error(`${where}: ${o.kind} without metadata.name`);
  }
  return o as unknown as KubeObject;
}

/**
 * Split into chunks at lines that are exactly `---`, so documents written as JSON (a YAML
 * subset; what generators of big benchmark states should emit) take the fast JSON.parse
 * path. Every chunk still goes through the YAML parser when it is not plain JSON, so any
 * separator this split misses is handled there.
 */
function chunks(text: string): string[] {
  return text.split(/^---[ \t]*\r?$/m);
}

/** Parse multi-document YAML into objects and a merged Behaviour. Throws a clear Error on bad YAML. */
export function parseState(yamlText: string, name?: string): SimState {
  const objects: KubeObject[] = [];
  const behaviour = emptyBehaviour();
  const label = name ? `scenario ${name}` : 'state';
  let docNo = 0;
  const take = (value: unknown, where: string): void => {
    if (value === null || value === undefined) return;
    if (!isRecord(value)) throw new Error(`${where}: expected a mapping at the top level`);
    if (value.apiVersion === BEHAVIOUR_API_VERSION && value.kind === 'Behaviour') {
      mergeBehaviour(behaviour, value, where);
      return;
    }
    if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      value.items.forEach((item, j) => {
        if (isRecord(item) && item.apiVersion === BEHAVIOUR_API_VERSION && item.kind === 'Behaviour') {
          mergeBehaviour(behaviour, item, `${where}, item ${j + 1}`);
        } else {
          objects.push(checkObject(item, `${where}, item ${j + 1}`));
        }
      });
      return;
    }
    objects.push(checkObject(value, where));
  };
  for (const chunk of chunks(yamlText)) {
    const trimmed = chunk.trimStart();
    if (trimmed.startsWith('{')) {
      let parsed: unknown;
      let ok = false;
      try {
        parsed = JSON.parse(chunk);
        ok = true;
      } catch {
        /* not plain JSON: YAML below */
      }
      if (ok) {
        docNo++;
        take(parsed, `${label}, document ${docNo}`);
        continue;
      }
    }
    const docs = parseAllDocuments(chunk, { prettyErrors: true, uniqueKeys: false });
    const list = Array.isArray(docs) ? docs : [];
    for (const doc of list) {
      docNo++;
      const where = `${label}, document ${docNo}`;
      if (doc.errors.length > 0) throw new Error(`${where}: invalid YAML: ${doc.errors[0]!.message}`);
      take(doc.toJS({ maxAliasCount: -1 }), where);
    }
  }
  return { objects, behaviour, name: name ?? behaviour.name, description: behaviour.description };
}

let cachedRoot: string | undefined;

/** The package root (the directory holding package.json), found from this file's location. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        const name = (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name;
        if (name === 'akash-ip-doctor') return (cachedRoot = dir);
      } catch {
        /* keep walking */
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // dist/src/sim/*.js -> ../../../
  return (cachedRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'));
}

export function scenariosDir(): string {
  return join(packageRoot(), 'scenarios');
}

/** parsed scenarios by file, so repeated loads (tests, benchmarks) skip the YAML parse */
const cache = new Map<string, { mtimeMs: number; size: number; state: SimState }>();

export async function loadScenario(name: string): Promise<SimState> {
  return structuredClone(await loadCached(name, []));
}

function cached(file: string, st: { mtimeMs: number; size: number }): SimState | undefined {
  const hit = cache.get(file);
  return hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size ? hit.state : undefined;
}

/** The parsed file (not resolved), from the cache when the file is unchanged. */
function parsedFile(file: string, name: string, st: { mtimeMs: number; size: number }, text: string): SimState {
  const hit = cached(file, st);
  if (hit) return hit;
  const state = parseState(text, name);
  state.name = name;
  cache.set(file, { mtimeMs: st.mtimeMs, size: st.size, state });
  return state;
}

/** Parse (or reuse) a scenario file and resolve its `extends` chain (see overlay.ts). */
async function loadCached(name: string, seen: string[]): Promise<SimState> {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.includes('..')) throw new Error(`invalid scenario name: ${name}`);
  if (seen.includes(name)) throw new Error(`scenario ${seen[0]}: extends cycle through ${[...seen, name].join(' -> ')}`);
  const file = join(scenariosDir(), `${name}.yaml`);
  let text: string;
  let st: { mtimeMs: number; size: number };
  try {
    st = await stat(file);
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      const known = (await listScenarios()).map((s) => s.name);
      throw new Error(`unknown scenario "${name}"${seen.length ? ` (extended by ${seen[seen.length - 1]})` : ''}${known.length ? ` (known: ${known.join(', ')})` : ''}`);
    }
    throw e;
  }
  const state = parsedFile(file, name, st, text);
  if (!/^extends:/m.test(text)) return state;
  // a scenario may extend another (see overlay.ts); bases are re-resolved so edits to them count
  const resolved = await resolveExtends(text, structuredClone(state), (base) => loadCached(base, [...seen, name]).then((s) => structuredClone(s)));
  resolved.name = name;
  return resolved;
}

export async function listScenarios(): Promise<{ name: string; description: string }[]> {
  let files: string[];
  try {
    files = await readdir(scenariosDir());
  } catch {
    return [];
  }
  const out: { name: string; description: string }[] = [];
  for (const f of files.sort()) {
    if (!f.endsWith('.yaml') || f.startsWith('_')) continue;
    const name = f.slice(0, -'.yaml'.length);
    let description = '';
    try {
      const file = join(scenariosDir(), f);
      const st = await stat(file);
      const state = cached(file, st) ?? parsedFile(file, name, st, await readFile(file, 'utf8'));
      description = state.description ?? '';
    } catch (e) {
      description = `(unreadable: ${(e as Error).message.split('\n')[0]})`;
    }
    out.push({ name, description });
  }
  return out;
}
