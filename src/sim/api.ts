/**
 * The REST resource handlers: get, list (selectors, pagination, Table), watch, create,
 * update, patch, delete, deletecollection, plus the subresources pods/log, services/proxy
 * and the status subresource.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { authorize, forbiddenMessage, type Attributes, type User } from './auth.js';
import { randomSuffix } from './controllers.js';
import { ApiError, badRequest, notFound, sendJson } from './http.js';
import { streamLog, type LogOptions } from './logs.js';
import { deepEqual, jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import { handleServiceProxy } from './proxy.js';
import { groupVersion, type Registry, type ResourceDef } from './registry.js';
import { matchFields, matchLabels, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { GoneError, nowIso } from './store.js';
import { toTable, wantsTable } from './table.js';
import type { KubeObject } from './types.js';
import { applyCreateDefaults, qualifiedName, validate } from './validate.js';
import type { World } from './world.js';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  rawPath: string;
  query: URLSearchParams;
  user: User;
  world: World;
  body(): Promise<Buffer>;
  /** called for long-running responses so close() can end them */
  track(end: () => void): () => void;
}

export interface ResourceRoute {
  def: ResourceDef;
  version: string;
  gv: string;
  ns?: string;
  name?: string;
  sub?: string;
  /** for services/proxy: the raw path after `.../proxy` ('' or starting with '/') */
  rest?: string;
}

const NOT_FOUND_RESOURCE = () => new ApiError(404, 'the server could not find the requested resource', 'NotFound', {});

function dec(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Parse /api/v1/... or /apis/g/v/... into a route; undefined if not a resource path. */
export function parseResourcePath(registry: Registry, rawPath: string): ResourceRoute | ApiError | undefined {
  const segs = rawPath.split('/').slice(1);
  let group: string;
  let version: string;
  let start: number;
  if (segs[0] === 'api' && segs.length >= 3) {
    group = '';
    version = segs[1]!;
    start = 2;
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1]!;
    version = segs[2]!;
    start = 3;
  } else return undefined;
  const rest = segs.slice(start);
  let i = 0;
  let ns: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && ['status', 'finalize'].includes(rest[2]!))) {
    ns = dec(rest[1]!);
    i = 2;
  }
  const plural = rest[i];
  if (!plural) return NOT_FOUND_RESOURCE();
  const def = registry.lookup(group, version, plural);
  if (!def) return NOT_FOUND_RESOURCE();
  if (ns !== undefined && !def.namespaced) return NOT_FOUND_RESOURCE();
  const name = rest[i + 1] !== undefined ? dec(rest[i + 1]!) : undefined;
  if (name === '') return NOT_FOUND_RESOURCE();
  const sub = rest[i + 2];
  const route: ResourceRoute = { def, version, gv: groupVersion(group, version), ns, name, sub };
  if (sub !== undefined) {
    if (!def.subresources.includes(sub)) return NOT_FOUND_RESOURCE();
    if (sub === 'proxy') {
      const prefix = `/${segs.slice(0, start + i + 3).join('/')}`;
      route.rest = rawPath.slice(prefix.length);
    } else if (rest.length > i + 3) return NOT_FOUND_RESOURCE();
  }
  return route;
}

function verbFor(method: string, route: ResourceRoute, query: URLSearchParams): string {
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (route.sub === 'proxy') return 'get';
      return route.name ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return route.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

function serve(o: KubeObject, gv: string): KubeObject {
  return o.apiVersion === gv ? o : { ...o, apiVersion: gv };
}

function isDryRun(q: URLSearchParams): boolean {
  return q.getAll('dryRun').includes('All');
}

async function readJson(ctx: Ctx, yaml = false): Promise<unknown> {
  const buf = await ctx.body();
  if (buf.length === 0) throw badRequest('the request body is empty');
  const text = buf.toString('utf8');
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    // kubectl and client-node send JSON; accept YAML as a fallback like the real server
    try {
      return parseYaml(text);
    } catch {
      throw badRequest(`error decoding request body: ${(e as Error).message}`);
    }
  }
}

function asObject(v: unknown, route: ResourceRoute): KubeObject {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest('the body of the request was not a Kubernetes object');
  const o = v as KubeObject;
  o.metadata ??= { name: '' };
  if (typeof o.metadata !== 'object' || Array.isArray(o.metadata)) throw badRequest('metadata must be an object');
  if (o.kind === undefined) o.kind = route.def.kind;
  if (o.apiVersion === undefined) o.apiVersion = route.gv;
  if (o.kind !== route.def.kind) {
    throw badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${route.gv})`);
  }
  if (o.apiVersion !== route.gv) {
    const g = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
    if (g !== route.def.group) throw badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${route.gv})`);
    o.apiVersion = route.gv;
  }
  return o;
}

function checkNamespace(o: KubeObject, route: ResourceRoute): void {
  if (!route.def.namespaced) {
    delete o.metadata.namespace;
    return;
  }
  if (o.metadata.namespace && o.metadata.namespace !== route.ns) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  o.metadata.namespace = route.ns;
}

function requireNamespace(ctx: Ctx, ns: string): void {
  const nsDef = ctx.world.store.registry.get('', 'namespaces')!;
  if (!ctx.world.store.get(nsDef, '', ns)) throw notFound('namespaces', ns, '', 'namespaces');
}

function hasStatusSub(d: ResourceDef): boolean {
  return d.subresources.includes('status') && d.plural !== 'namespaces';
}

function notFoundFor(route: ResourceRoute, name: string): ApiError {
  return notFound(qualifiedName(route.def), name, route.def.group, route.def.plural);
}

// ---------------------------------------------------------------------------

export async function handleResource(ctx: Ctx, route: ResourceRoute): Promise<void> {
  const { def } = route;
  const verb = verbFor(ctx.method, route, ctx.query);
  const attrs: Attributes = {
    verb,
    group: def.group,
    resource: def.plural,
    subresource: route.sub,
    namespace: route.ns,
    name: route.name,
  };
  if (def.group === 'authorization.k8s.io' && def.plural === 'selfsubjectaccessreviews') {
    if (ctx.method !== 'POST' || route.name) throw new ApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
    return selfSubjectAccessReview(ctx, route);
  }
  if (!def.verbs.includes(verb) && !route.sub) {
    throw new ApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
  }
  const az = authorize(ctx.user, attrs);
  if (!az.allowed) {
    throw new ApiError(403, forbiddenMessage(ctx.user, attrs), 'Forbidden', {
      ...(route.name ? { name: route.name } : {}),
      ...(def.group ? { group: def.group } : {}),
      kind: def.plural,
    });
  }
  if (def.namespaced && route.ns === undefined && !['list', 'watch'].includes(verb)) {
    throw NOT_FOUND_RESOURCE();
  }
  if (route.sub === 'log') return podLog(ctx, route);
  if (route.sub === 'proxy') {
    if (def.plural !== 'services') throw new ApiError(503, `proxying to ${def.plural} is not supported by the simulated cluster`, 'ServiceUnavailable');
    return handleServiceProxy(ctx, route);
  }
  if (route.sub === 'scale') return scale(ctx, route, verb);
  if (route.sub && route.sub !== 'status') throw NOT_FOUND_RESOURCE();
  switch (verb) {
    case 'get':
      return getOne(ctx, route);
    case 'list':
      return list(ctx, route);
    case 'watch':
      return watch(ctx, route);
    case 'create':
      return create(ctx, route);
    case 'update':
      return update(ctx, route);
    case 'patch':
      return patch(ctx, route);
    case 'delete':
      return deleteOne(ctx, route);
    case 'deletecollection':
      return deleteCollection(ctx, route);
    default:
      throw new ApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
  }
}

function getOne(ctx: Ctx, route: ResourceRoute): void {
  const o = ctx.world.store.get(route.def, route.ns ?? '', route.name!);
  if (!o) throw notFoundFor(route, route.name!);
  const accept = String(ctx.req.headers.accept ?? '');
  if (wantsTable(accept)) return sendJson(ctx.res, 200, toTable(route.def, [serve(o, route.gv)], String(ctx.world.store.rv), ctx.query));
  sendJson(ctx.res, 200, serve(o, route.gv));
}

interface Filter {
  match(o: KubeObject): boolean;
}

function makeFilter(ctx: Ctx, route: ResourceRoute): Filter {
  try {
    const ls = parseLabelSelector(ctx.query.get('labelSelector'));
    const fs = parseFieldSelector(ctx.query.get('fieldSelector'), route.def.plural, route.def.custom);
    if (ls.length === 0 && fs.length === 0) return { match: () => true };
    return { match: (o) => matchLabels(ls, o.metadata.labels) && matchFields(fs, o) };
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(e.message);
    throw e;
  }
}

interface ContinueToken {
  rv: string;
  after: string; // "ns/name" of the last item served
}

function key(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function list(ctx: Ctx, route: ResourceRoute): void {
  const { store } = ctx.world;
  const filter = makeFilter(ctx, route);
  const all = store.list(route.def, route.ns);
  const limit = Number(ctx.query.get('limit') ?? 0);
  const cont = ctx.query.get('continue');
  let startIdx = 0;
  let listRv = String(store.rv);
  if (cont) {
    let tok: ContinueToken;
    try {
      tok = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as ContinueToken;
      if (typeof tok.after !== 'string') throw new Error('bad');
    } catch {
      throw badRequest('continue key is not valid: illegal base64 data at input byte 0');
    }
    listRv = tok.rv;
    // binary search for the first key > after (list is sorted by namespace then name)
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareKeys(key(all[mid]!), tok.after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    startIdx = lo;
  }
  const items: KubeObject[] = [];
  let next: string | undefined;
  let remaining = 0;
  for (let i = startIdx; i < all.length; i++) {
    const o = all[i]!;
    if (!filter.match(o)) continue;
    if (limit > 0 && items.length >= limit) {
      if (!next) next = Buffer.from(JSON.stringify({ rv: listRv, after: key(items[items.length - 1]!) } satisfies ContinueToken)).toString('base64url');
      remaining++;
      continue;
    }
    items.push(o);
  }
  const accept = String(ctx.req.headers.accept ?? '');
  if (wantsTable(accept)) {
    const t = toTable(route.def, items, listRv, ctx.query);
    if (next) (t.metadata as Record<string, unknown>).continue = next;
    return sendJson(ctx.res, 200, t);
  }
  const body = {
    kind: route.def.listKind,
    apiVersion: route.gv,
    metadata: { resourceVersion: listRv, ...(next ? { continue: next, remainingItemCount: remaining } : {}) },
    items: items.map((o) => serve(o, route.gv)),
  };
  sendJson(ctx.res, 200, body);
}

function watch(ctx: Ctx, route: ResourceRoute): void {
  const { res } = ctx;
  const filter = makeFilter(ctx, route);
  const rvParam = ctx.query.get('resourceVersion');
  const fromRv = rvParam === null || rvParam === '' ? undefined : Number(rvParam);
  if (fromRv !== undefined && !Number.isFinite(fromRv)) throw badRequest(`invalid resource version: ${rvParam}`);
  const timeout = Number(ctx.query.get('timeoutSeconds') ?? 1800);
  const sendInitial = ctx.query.get('sendInitialEvents') === 'true';
  const bookmarks = ctx.query.get('allowWatchBookmarks') === 'true';
  let open = true;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  // `kubectl get -w` asks for Table events: each event then carries a one-row Table
  const table = wantsTable(String(ctx.req.headers.accept ?? ''));
  const write = (type: string, o: KubeObject) => {
    if (!open) return;
    const object = table ? toTable(route.def, [serve(o, route.gv)], String(o.metadata.resourceVersion ?? ''), ctx.query) : serve(o, route.gv);
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  let unsubscribe: () => void = () => {};
  const end = () => {
    if (!open) return;
    open = false;
    clearTimeout(timer);
    unsubscribe();
    untrack();
    res.end();
  };
  const timer = setTimeout(end, Math.max(0, timeout) * 1000);
  const untrack = ctx.track(end);
  res.on('close', end);
  try {
    unsubscribe = ctx.world.store.watch(route.def, route.ns, { match: (o) => filter.match(o), send: write }, sendInitial ? 0 : fromRv);
  } catch (e) {
    if (e instanceof GoneError) {
      res.write(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: 'Expired', code: 410 } })}\n`);
      end();
      return;
    }
    throw e;
  }
  if (sendInitial || bookmarks) {
    if (sendInitial) {
      res.write(
        `${JSON.stringify({
          type: 'BOOKMARK',
          object: { kind: route.def.kind, apiVersion: route.gv, metadata: { resourceVersion: String(ctx.world.store.rv), annotations: { 'k8s.io/initial-events-end': 'true' } } },
        })}\n`,
      );
    }
  }
}

async function create(ctx: Ctx, route: ResourceRoute): Promise<void> {
  if (route.name) throw new ApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
  const { store } = ctx.world;
  const o = asObject(await readJson(ctx), route);
  checkNamespace(o, route);
  const md = o.metadata;
  if (!md.name && typeof md.generateName === 'string' && md.generateName) md.name = `${md.generateName}${randomSuffix()}`;
  delete md.resourceVersion;
  if (route.ns !== undefined) requireNamespace(ctx, route.ns);
  validate(route.def, o);
  if (store.get(route.def, route.ns ?? '', md.name)) {
    throw new ApiError(409, `${qualifiedName(route.def)} "${md.name}" already exists`, 'AlreadyExists', {
      name: md.name,
      ...(route.def.group ? { group: route.def.group } : {}),
      kind: route.def.plural,
    });
  }
  applyCreateDefaults(route.def, o);
  if (isDryRun(ctx.query)) return sendJson(ctx.res, 201, o);
  store.put(route.def, o);
  sendJson(ctx.res, 201, o);
}

/** Common tail of update and patch: immutables, status rules, validation, no-op, store. */
function commit(ctx: Ctx, route: ResourceRoute, old: KubeObject, next: KubeObject, code = 200): void {
  const { store } = ctx.world;
  next.apiVersion = route.gv;
  next.kind = route.def.kind;
  next.metadata = {
    ...next.metadata,
    name: old.metadata.name,
    uid: old.metadata.uid,
    creationTimestamp: old.metadata.creationTimestamp,
    resourceVersion: old.metadata.resourceVersion,
  };
  if (route.def.namespaced) next.metadata.namespace = old.metadata.namespace;
  else delete next.metadata.namespace;
  if (old.metadata.generation !== undefined) next.metadata.generation = old.metadata.generation;
  if (hasStatusSub(route.def)) {
    if (route.sub === 'status') {
      // the status endpoint only changes status (and metadata)
      const { status } = next;
      next = { ...old, metadata: next.metadata, ...(status === undefined ? {} : { status }) };
      if (status === undefined) delete next.status;
    } else if (old.status === undefined) delete next.status;
    else next.status = old.status;
  }
  validate(route.def, next);
  if (deepEqual(next, old)) return sendJson(ctx.res, code, serve(old, route.gv));
  const oldSpec = (old as { spec?: unknown }).spec;
  const newSpec = (next as { spec?: unknown }).spec;
  if (route.sub !== 'status' && next.metadata.generation !== undefined && !deepEqual(oldSpec, newSpec)) {
    next.metadata.generation = Number(next.metadata.generation) + 1;
  }
  if (isDryRun(ctx.query)) return sendJson(ctx.res, code, next);
  store.put(route.def, next);
  sendJson(ctx.res, code, next);
}

function conflict(route: ResourceRoute, name: string): ApiError {
  return new ApiError(
    409,
    `Operation cannot be fulfilled on ${qualifiedName(route.def)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    'Conflict',
    { name, ...(route.def.group ? { group: route.def.group } : {}), kind: route.def.plural },
  );
}

async function update(ctx: Ctx, route: ResourceRoute): Promise<void> {
  const { store } = ctx.world;
  const o = asObject(await readJson(ctx), route);
  if (o.metadata.name && o.metadata.name !== route.name) {
    throw badRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${route.name})`);
  }
  o.metadata.name = route.name!;
  checkNamespace(o, route);
  const old = store.get(route.def, route.ns ?? '', route.name!);
  if (!old) throw notFoundFor(route, route.name!);
  const rv = o.metadata.resourceVersion;
  if (rv !== undefined && rv !== '' && String(rv) !== String(old.metadata.resourceVersion)) throw conflict(route, route.name!);
  commit(ctx, route, old, o);
}

async function patch(ctx: Ctx, route: ResourceRoute): Promise<void> {
  const { store } = ctx.world;
  const ctype = String(ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const supported = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
  if (!route.def.custom) supported.splice(2, 0, 'application/strategic-merge-patch+json');
  if (!supported.includes(ctype)) {
    throw new ApiError(415, `the body of the request was in an unknown format - accepted media types include: ${supported.join(', ')}`, 'UnsupportedMediaType');
  }
  const old = store.get(route.def, route.ns ?? '', route.name!);
  if (ctype === 'application/apply-patch+yaml') {
    if (!ctx.query.get('fieldManager')) throw badRequest('PATCH, application/apply-patch+yaml requires fieldManager to be set');
    const obj = asObject(await readJson(ctx, true), route);
    if (obj.metadata.name && obj.metadata.name !== route.name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${route.name})`);
    }
    obj.metadata.name = route.name!;
    checkNamespace(obj, route);
    if (!old) {
      if (route.ns !== undefined) requireNamespace(ctx, route.ns);
      validate(route.def, obj);
      applyCreateDefaults(route.def, obj);
      if (isDryRun(ctx.query)) return sendJson(ctx.res, 201, obj);
      store.put(route.def, obj);
      return sendJson(ctx.res, 201, obj);
    }
    const merged = (route.def.custom ? mergePatch(old, obj) : strategicMergePatch(old, obj)) as KubeObject;
    return commit(ctx, route, old, merged);
  }
  if (!old) throw notFoundFor(route, route.name!);
  const body = await readJson(ctx);
  let next: unknown;
  try {
    if (ctype === 'application/json-patch+json') next = jsonPatch(old, body);
    else if (ctype === 'application/merge-patch+json') next = mergePatch(old, body);
    else next = strategicMergePatch(old, body);
  } catch (e) {
    if (e instanceof PatchError) {
      throw new ApiError(e.code, e.code === 422 ? `the server rejected our request due to an error in our request: ${e.message}` : e.message);
    }
    throw e;
  }
  if (!next || typeof next !== 'object' || Array.isArray(next)) throw new ApiError(422, 'the patch produced an invalid object', 'Invalid');
  const patched = next as KubeObject;
  if (!patched.metadata || typeof patched.metadata !== 'object') patched.metadata = { name: route.name! };
  // a resourceVersion in the patch is a precondition
  const prv = patched.metadata.resourceVersion;
  if (prv !== undefined && prv !== null && String(prv) !== String(old.metadata.resourceVersion)) throw conflict(route, route.name!);
  if (patched.metadata.name !== route.name) {
    throw badRequest(`the name of the object (${String(patched.metadata.name)}) does not match the name on the URL (${route.name})`);
  }
  commit(ctx, route, old, patched);
}

async function deleteOne(ctx: Ctx, route: ResourceRoute): Promise<void> {
  const { store } = ctx.world;
  const old = store.get(route.def, route.ns ?? '', route.name!);
  if (!old) throw notFoundFor(route, route.name!);
  // the body (DeleteOptions) may carry preconditions
  const buf = await ctx.body();
  if (buf.length) {
    try {
      const opts = JSON.parse(buf.toString('utf8')) as { preconditions?: { uid?: string; resourceVersion?: string } };
      const pc = opts.preconditions;
      if (pc?.uid && pc.uid !== old.metadata.uid) {
        throw new ApiError(409, `Precondition failed: UID in precondition: ${pc.uid}, UID in object meta: ${String(old.metadata.uid)}`, 'Conflict');
      }
      if (pc?.resourceVersion && pc.resourceVersion !== old.metadata.resourceVersion) throw conflict(route, route.name!);
    } catch (e) {
      if (e instanceof ApiError) throw e;
    }
  }
  if (route.def.plural === 'pods') {
    const shown: KubeObject = {
      ...old,
      metadata: { ...old.metadata, deletionTimestamp: nowIso(), deletionGracePeriodSeconds: 0 },
    };
    if (!isDryRun(ctx.query)) store.remove(route.def, route.ns ?? '', route.name!);
    return sendJson(ctx.res, 200, serve(shown, route.gv));
  }
  if (!isDryRun(ctx.query)) {
    if (route.def.plural === 'namespaces') store.removeNamespaceContents(route.name!);
    store.remove(route.def, route.ns ?? '', route.name!);
  }
  sendJson(ctx.res, 200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: route.name, ...(route.def.group ? { group: route.def.group } : {}), kind: route.def.plural, uid: old.metadata.uid },
  });
}

function deleteCollection(ctx: Ctx, route: ResourceRoute): void {
  const { store } = ctx.world;
  const filter = makeFilter(ctx, route);
  const victims = store.list(route.def, route.ns).filter((o) => filter.match(o));
  if (!isDryRun(ctx.query)) {
    for (const o of victims) {
      if (route.def.plural === 'namespaces') store.removeNamespaceContents(o.metadata.name);
      store.remove(route.def, o.metadata.namespace ?? '', o.metadata.name);
    }
  }
  sendJson(ctx.res, 200, {
    kind: route.def.listKind,
    apiVersion: route.gv,
    metadata: { resourceVersion: String(store.rv) },
    items: victims.map((o) => serve(o, route.gv)),
  });
}

// ---------------------------------------------------------------------------

async function podLog(ctx: Ctx, route: ResourceRoute): Promise<void> {
  if (ctx.method !== 'GET') throw new ApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
  const ns = route.ns!;
  const pod = ctx.world.store.get(route.def, ns, route.name!);
  if (!pod) throw notFoundFor(route, route.name!);
  const spec = (pod.spec ?? {}) as { containers?: { name: string }[]; initContainers?: { name: string }[] };
  const containers = (spec.containers ?? []).map((c) => c.name);
  const all = [...containers, ...(spec.initContainers ?? []).map((c) => c.name)];
  let container = ctx.query.get('container') ?? '';
  if (!container) {
    if (containers.length === 1) container = containers[0]!;
    else if (containers.length === 0) throw badRequest(`pod ${route.name} does not have a container`);
    else {
      throw badRequest(`a container name must be specified for pod ${route.name}, choose one of: [${containers.join(' ')}]`);
    }
  } else if (!all.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${route.name}`);
  }
  const statuses = ((pod.status as { containerStatuses?: { name: string; state?: Record<string, { reason?: string }> }[] } | undefined)?.containerStatuses ?? []);
  const st = statuses.find((s) => s.name === container);
  // the previous (terminated) container's log is readable whatever the current one does
  if (ctx.query.get('previous') === 'true') {
    const prev = ctx.world.logs.get(`${ns}/${route.name}/${container}#previous`) ?? ctx.world.logs.get(`${ns}/${route.name}#previous`);
    if (!prev) throw badRequest(`previous terminated container "${container}" in pod "${route.name}" not found`);
    return streamLog(ctx.res, prev, ctx.world.baseTime, logOptions(ctx.query));
  }
  if (st?.state?.waiting) {
    throw badRequest(`container "${container}" in pod "${route.name}" is waiting to start: ${st.state.waiting.reason ?? 'ContainerCreating'}`);
  }
  const src = ctx.world.logSource(ns, route.name!, container);
  await streamLog(ctx.res, src, ctx.world.baseTime, logOptions(ctx.query));
}

function num(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw badRequest(`invalid value for ${k}: ${v}`);
  return n;
}

function logOptions(q: URLSearchParams): LogOptions {
  const sinceTime = q.get('sinceTime');
  const tailLines = num(q, 'tailLines');
  const limitBytes = num(q, 'limitBytes');
  const sinceSeconds = num(q, 'sinceSeconds');
  if (sinceSeconds !== undefined && sinceSeconds < 1) throw badRequest('PodLogOptions "" is invalid: sinceSeconds: Invalid value: must be greater than 0');
  if (tailLines !== undefined && tailLines < 0) throw badRequest('PodLogOptions "" is invalid: tailLines: Invalid value: must be greater than or equal to 0');
  if (limitBytes !== undefined && limitBytes < 1) throw badRequest('PodLogOptions "" is invalid: limitBytes: Invalid value: must be greater than 0');
  return {
    tailLines,
    limitBytes,
    sinceSeconds,
    sinceTime: sinceTime ? Date.parse(sinceTime) : undefined,
    timestamps: q.get('timestamps') === 'true',
  };
}

// ---------------------------------------------------------------------------

async function selfSubjectAccessReview(ctx: Ctx, route: ResourceRoute): Promise<void> {
  const body = (await readJson(ctx)) as { spec?: { resourceAttributes?: Record<string, string>; nonResourceAttributes?: { path?: string; verb?: string } } };
  const spec = body?.spec ?? {};
  let allowed = false;
  let reason = '';
  if (spec.resourceAttributes) {
    const ra = spec.resourceAttributes;
    const r = authorize(ctx.user, {
      verb: ra.verb ?? '',
      group: ra.group ?? '',
      resource: ra.resource ?? '',
      subresource: ra.subresource || undefined,
      namespace: ra.namespace || undefined,
      name: ra.name || undefined,
    });
    allowed = r.allowed;
    reason = r.allowed ? (ctx.user.admin ? 'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to User "admin"' : r.reason) : '';
  } else if (spec.nonResourceAttributes) {
    allowed = true;
    reason = 'non-resource URLs are allowed for authenticated users';
  } else {
    throw new ApiError(422, 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified', 'Invalid');
  }
  sendJson(ctx.res, 201, {
    kind: 'SelfSubjectAccessReview',
    apiVersion: route.gv,
    metadata: { creationTimestamp: null },
    spec,
    status: { allowed, ...(reason ? { reason } : {}) },
  });
}

// ---------------------------------------------------------------------------

function scaleOf(o: KubeObject): Record<string, unknown> {
  const spec = (o.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  const status = (o.status ?? {}) as { replicas?: number };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 1 },
    status: {
      replicas: status.replicas ?? 0,
      selector: Object.entries(spec.selector?.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  };
}

/** the scale subresource (kubectl scale): GET, PUT and PATCH of spec.replicas */
async function scale(ctx: Ctx, route: ResourceRoute, verb: string): Promise<void> {
  const { store } = ctx.world;
  const old = store.get(route.def, route.ns ?? '', route.name!);
  if (!old) throw notFoundFor(route, route.name!);
  if (verb === 'get') return sendJson(ctx.res, 200, scaleOf(old));
  if (verb !== 'update' && verb !== 'patch') throw new ApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
  const body = await readJson(ctx);
  const ctype = String(ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim();
  let next: unknown;
  try {
    const cur = scaleOf(old);
    next = verb === 'update' ? body : ctype === 'application/json-patch+json' ? jsonPatch(cur, body) : mergePatch(cur, body);
  } catch (e) {
    if (e instanceof PatchError) throw new ApiError(e.code, e.message);
    throw e;
  }
  const replicas = Number((next as { spec?: { replicas?: unknown } })?.spec?.replicas);
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new ApiError(422, `Scale.autoscaling "${route.name}" is invalid: spec.replicas: Invalid value: ${String(replicas)}: must be greater than or equal to 0`, 'Invalid');
  }
  const updated: KubeObject = { ...old, spec: { ...((old.spec as object) ?? {}), replicas } };
  if (!isDryRun(ctx.query) && replicas !== ((old.spec as { replicas?: number } | undefined)?.replicas ?? 1)) {
    updated.metadata = { ...old.metadata, generation: Number(old.metadata.generation ?? 1) + 1 };
    store.put(route.def, updated);
    return sendJson(ctx.res, 200, scaleOf(updated));
  }
  sendJson(ctx.res, 200, scaleOf(isDryRun(ctx.query) ? updated : old));
}
