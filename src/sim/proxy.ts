/**
 * Service proxy through the API server:
 *   /api/v1/namespaces/NS/services/[scheme:]NAME[:PORT]/proxy/PATH
 * answered from behaviour `proxy` entries keyed `NS/NAME:PORT/PATH` (PORT as written in the
 * request, or its name/number alias through the Service's spec.ports; `NS/NAME/PATH` for
 * an unnamed port). Like the real API server: a missing Service is 404, a port the Service
 * does not have or a Service without ready endpoints is 503 "no endpoints available", and
 * a Service with endpoints but no scripted answer is 503 "error trying to reach service".
 * The path is matched exactly as sent (a `%2F` does not match a `/`).
 */
import type { Ctx, ResourceRoute } from './api.js';
import { ApiError, badRequest, notFound } from './http.js';
import { selectorObjectMatches } from './selectors.js';
import type { KubeObject, ProxyResponse } from './types.js';
import type { World } from './world.js';

export interface SvcPort {
  name?: string;
  protocol?: string;
  port?: number;
  targetPort?: number | string;
}

export function podReady(p: KubeObject): boolean {
  const st = (p.status ?? {}) as { phase?: string; conditions?: { type: string; status: string }[] };
  if (p.metadata.deletionTimestamp) return false;
  if (st.phase !== 'Running') return false;
  const ready = (st.conditions ?? []).find((c) => c.type === 'Ready');
  return ready ? ready.status === 'True' : true;
}

/** Ready endpoint addresses for a service port name, from an Endpoints object or the selector. */
export function readyEndpoints(world: World, ns: string, svc: KubeObject, portName: string): string[] {
  const { store } = world;
  const epDef = store.registry.get('', 'endpoints')!;
  const ep = store.get(epDef, ns, svc.metadata.name);
  if (ep) {
    const subsets = (ep.subsets ?? []) as { addresses?: { ip: string }[]; ports?: { name?: string }[] }[];
    const out: string[] = [];
    for (const ss of subsets) {
      if (!ss.addresses?.length) continue;
      if ((ss.ports ?? []).some((p) => (p.name ?? '') === portName)) out.push(...ss.addresses.map((a) => a.ip));
    }
    return out;
  }
  const spec = (svc.spec ?? {}) as { selector?: Record<string, string>; ports?: SvcPort[] };
  if (!spec.selector || Object.keys(spec.selector).length === 0) return [];
  if (!(spec.ports ?? []).some((p) => (p.name ?? '') === portName)) return [];
  const podDef = store.registry.get('', 'pods')!;
  return store
    .list(podDef, ns)
    .filter((p) => selectorObjectMatches(spec.selector, p.metadata.labels, true) && podReady(p))
    .map((p) => String((p.status as { podIP?: string } | undefined)?.podIP ?? '10.244.0.10'));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** What a modelled component answers for a proxied request (see model.ts). */
export type ModelAnswer = ProxyResponse | 'refused' | undefined;

export interface ProxyTarget {
  ns: string;
  svc: KubeObject;
  /** the Service port the request names */
  port: SvcPort;
  /** the path after `proxy/`, without the leading slash */
  path: string;
}

/**
 * The answer the API server's service proxy gives for NS/[scheme:]NAME[:PORT] and a path, or an
 * ApiError as the real one (404 no Service, 503 no port / no endpoints / connection refused).
 * Shared by the HTTP handler and the modelled components (an operator reading metrics, the
 * provider's waiter checking /health).
 */
export function resolveProxy(world: World, ns: string, id: string, path: string, query = ''): ProxyResponse {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else throw badRequest(`invalid service request "${id}"`);
  if (!name || (scheme && scheme !== 'http' && scheme !== 'https')) throw badRequest(`invalid service request "${id}"`);

  const { store } = world;
  const svcDef = store.registry.get('', 'services')!;
  const svc = store.get(svcDef, ns, name);
  if (!svc) throw notFound('services', name, '', 'services');
  const ports = (((svc.spec ?? {}) as { ports?: SvcPort[] }).ports ?? []) as SvcPort[];

  let entry: SvcPort | undefined;
  let portName = port;
  if (/^\d+$/.test(port)) {
    entry = ports.find((p) => Number(p.port) === Number(port));
    if (!entry) throw new ApiError(503, `no service port ${port} found for service "${name}"`, 'ServiceUnavailable');
    portName = entry.name ?? '';
  } else {
    entry = ports.find((p) => (p.name ?? '') === port);
  }
  const eps = entry ? readyEndpoints(world, ns, svc, portName) : [];
  if (eps.length === 0) {
    throw new ApiError(503, `no endpoints available for service "${entry ? name : id}"`, 'ServiceUnavailable');
  }
  const refused = () => {
    const target = entry!.targetPort ?? entry!.port;
    return new ApiError(503, `error trying to reach service: dial tcp ${eps[0]}:${String(target)}: connect: connection refused`, 'ServiceUnavailable');
  };
  const modelled = world.modelProxy?.({ ns, svc, port: entry!, path });
  if (modelled === 'refused') throw refused();
  if (modelled) return modelled;

  const aliases = [...new Set([port, entry!.name ?? '', entry!.port !== undefined ? String(entry!.port) : ''])];
  const candidates: string[] = [];
  for (const a of aliases) {
    const base = `${ns}/${name}${a ? `:${a}` : ''}/${path}`;
    if (scheme) candidates.push(`${ns}/${scheme}:${name}:${a}/${path}${query ? `?${query}` : ''}`, `${ns}/${scheme}:${name}:${a}/${path}`);
    if (query) candidates.push(`${base}?${query}`);
    candidates.push(base);
  }
  for (const c of candidates) {
    const resp = world.proxy.get(c);
    if (resp) return resp;
  }
  throw refused();
}

export async function handleServiceProxy(ctx: Ctx, route: ResourceRoute): Promise<void> {
  const path = (route.rest ?? '').replace(/^\//, '');
  const rawUrl = ctx.req.url ?? '';
  const qi = rawUrl.indexOf('?');
  const query = qi < 0 ? '' : rawUrl.slice(qi + 1);
  const resp = resolveProxy(ctx.world, route.ns!, route.name!, path, query);
  if (resp.hang) {
    await new Promise<void>((resolve) => ctx.track(resolve));
    return;
  }
  if (resp.delayMs) await sleep(resp.delayMs);
  const status = resp.status ?? 200;
  const isText = typeof resp.body === 'string' || resp.body === undefined;
  const text = resp.body === undefined ? '' : isText ? String(resp.body) : JSON.stringify(resp.body);
  const ctype = resp.contentType ?? (isText ? 'text/plain; charset=utf-8' : 'application/json');
  if (ctx.res.headersSent || ctx.res.destroyed) return;
  ctx.res.writeHead(status, { 'Content-Type': ctype, 'Content-Length': String(Buffer.byteLength(text)), ...(resp.headers ?? {}) });
  ctx.res.end(ctx.method === 'HEAD' ? undefined : text);
}
