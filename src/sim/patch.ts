/**
 * Patch algorithms: JSON merge patch (RFC 7386), strategic merge patch (the subset the
 * built-in kinds need: lists merged by their patch merge key, directives $patch,
 * $setElementOrder, $deleteFromPrimitiveList, $retainKeys) and JSON patch (RFC 6902).
 * All functions return new values and never mutate their inputs.
 */

export class PatchError extends Error {
  constructor(
    message: string,
    readonly code = 422,
  ) {
    super(message);
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepClone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as any)[k], (b as any)[k]));
}

// ---------------- RFC 7386 ----------------

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return deepClone(patch);
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// ---------------- strategic merge patch ----------------

/**
 * Patch merge keys of list fields of the built-in kinds, by field name. `ports` depends on
 * context (containerPort in containers, port in Services) and is resolved from the items.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  // primitive lists merged as sets
  finalizers: '',
};

function mergeKeyFor(field: string, items: unknown[], patchItems: unknown[]): string | undefined {
  if (field === 'ports') {
    const sample = [...patchItems, ...items].find(isObj) as Record<string, unknown> | undefined;
    if (!sample) return undefined;
    if ('containerPort' in sample) return 'containerPort';
    if ('port' in sample) return 'port';
    return undefined;
  }
  return Object.prototype.hasOwnProperty.call(MERGE_KEYS, field) ? MERGE_KEYS[field] : undefined;
}

function smpList(field: string, original: unknown, patch: unknown[], order: unknown[] | undefined): unknown[] {
  const orig = Array.isArray(original) ? original : [];
  // whole-list replace directive
  if (patch.some((p) => isObj(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isObj(p) && p.$patch === 'replace')).map((p) => stripDirectives(p));
  }
  const key = mergeKeyFor(field, orig, patch);
  if (key === undefined) return patch.map((p) => stripDirectives(p)); // atomic list: replace
  if (key === '') {
    // primitive set merge
    const out = [...orig];
    for (const p of patch) if (!out.some((o) => deepEqual(o, p))) out.push(p);
    return out;
  }
  const out: unknown[] = orig.map((x) => x);
  for (const p of patch) {
    if (!isObj(p)) {
      out.push(p);
      continue;
    }
    const idx = out.findIndex((o) => isObj(o) && deepEqual(o[key], p[key]));
    if (p.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMergePatch(out[idx], p);
    else out.push(stripDirectives(p));
  }
  if (order && order.length > 0) {
    const pos = (item: unknown): number => {
      const kv = isObj(item) ? item[key] : item;
      const i = order.findIndex((o) => (isObj(o) ? deepEqual(o[key], kv) : deepEqual(o, kv)));
      return i < 0 ? Number.MAX_SAFE_INTEGER : i;
    };
    out.sort((a, b) => pos(a) - pos(b));
  }
  return out;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    if (x === null) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return deepClone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  const orders: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') && Array.isArray(v)) orders[k.slice('$setElementOrder/'.length)] = v;
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(v)) {
        out[field] = (out[field] as unknown[]).filter((x) => !v.some((d) => deepEqual(d, x)));
      }
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      out[k] = smpList(k, out[k], v, orders[k]);
    } else if (isObj(v)) {
      const r = strategicMergePatch(out[k], v);
      if (r === undefined) delete out[k];
      else out[k] = r;
    } else {
      out[k] = v;
    }
  }
  // a $setElementOrder without a list patch only reorders
  for (const [field, order] of Object.entries(orders)) {
    if (!(field in patch) && Array.isArray(out[field])) out[field] = smpList(field, out[field], [], order);
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  return out;
}

// ---------------- RFC 6902 ----------------

interface Op {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`invalid JSON pointer "${p}"`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(doc: unknown, segs: string[]): unknown {
  let cur: any = doc;
  for (const s of segs) {
    if (Array.isArray(cur)) {
      const i = Number(s);
      if (!/^\d+$/.test(s) || i >= cur.length) return undefined;
      cur = cur[i];
    } else if (isObj(cur)) {
      if (!Object.prototype.hasOwnProperty.call(cur, s)) return undefined;
      cur = cur[s];
    } else return undefined;
  }
  return cur;
}

function applyOp(doc: unknown, op: Op): unknown {
  const segs = parsePointer(op.path);
  const describe = `${op.op} operation at ${op.path}`;
  if (op.op === 'test') {
    if (!deepEqual(getAt(doc, segs), op.value)) throw new PatchError(`testing value ${op.path} failed: test failed`);
    return doc;
  }
  if (op.op === 'move' || op.op === 'copy') {
    if (op.from === undefined) throw new PatchError(`${describe}: missing from`);
    const val = getAt(doc, parsePointer(op.from));
    if (val === undefined) throw new PatchError(`${describe}: from path ${op.from} does not exist`);
    let d = doc;
    if (op.op === 'move') d = applyOp(d, { op: 'remove', path: op.from });
    return applyOp(d, { op: 'add', path: op.path, value: deepClone(val) as Json });
  }
  if (segs.length === 0) {
    if (op.op === 'remove') return undefined;
    return deepClone(op.value);
  }
  const parentSegs = segs.slice(0, -1);
  const last = segs[segs.length - 1]!;
  const root = deepClone(doc);
  const parent = getAt(root, parentSegs);
  if (parent === undefined || parent === null || typeof parent !== 'object') {
    throw new PatchError(`${describe}: doc is missing path: "${op.path}": missing value`);
  }
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!/^(\d+|-)$/.test(last) || i > parent.length) throw new PatchError(`${describe}: index out of range`);
    switch (op.op) {
      case 'add':
        parent.splice(i, 0, deepClone(op.value));
        break;
      case 'remove':
        if (i >= parent.length) throw new PatchError(`${describe}: index out of range`);
        parent.splice(i, 1);
        break;
      case 'replace':
        if (i >= parent.length) throw new PatchError(`${describe}: index out of range`);
        parent[i] = deepClone(op.value);
        break;
      default:
        throw new PatchError(`Unexpected kind: ${op.op}`);
    }
  } else {
    const p = parent as Record<string, unknown>;
    switch (op.op) {
      case 'add':
        p[last] = deepClone(op.value);
        break;
      case 'remove':
        if (!(last in p)) throw new PatchError(`${describe}: doc is missing path: "${op.path}": missing value`);
        delete p[last];
        break;
      case 'replace':
        if (!(last in p)) throw new PatchError(`${describe}: doc is missing key: ${op.path}: missing value`);
        p[last] = deepClone(op.value);
        break;
      default:
        throw new PatchError(`Unexpected kind: ${op.op}`);
    }
  }
  return root;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch', 400);
  let doc = target;
  for (const op of ops) {
    if (!isObj(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
      throw new PatchError('invalid JSON patch operation', 400);
    }
    doc = applyOp(doc, op as Op);
  }
  return doc;
}
