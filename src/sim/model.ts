/**
 * Modelled components (Behaviour `model`): the IP operator, the provider, MetalLB's controller
 * metrics and the hostname operator derive their state from the cluster objects by the upstream
 * rules (docs: ../../README of the sim, "Modelled components"; facts: upstream-facts 1.1-1.5), so a
 * fix is verified by cause and effect.
 *
 * - What the scenario scripts for a component (logs, proxy answers, providerStatus) is its past:
 *   it keeps those answers until the component's pod is (re)created. A modelled component the
 *   scenario scripts nothing for is derived at start. MetalLB's metrics are a live function of the
 *   cluster: a scripted metrics answer also ends at the first change of what they derive from.
 * - Start of a process (a pod of the component is added Running+Ready: the controllers' replacement,
 *   a rollout): one-shot service discoveries are decided then (the IP operator's of MetalLB, the
 *   provider's of its operators) and never retried (upstream-facts 1.2).
 * - Continuous parts (the IP operator's barrier after a good discovery, the provider's waiter until it
 *   passes once) re-evaluate after store events (coalesced: one pass per burst, via world.later),
 *   on every proxied request to a modelled operator, and every 2 s while the provider waits.
 *
 * Every log line is an instance of a template in src/checks/lib/log-templates.ts.
 */
import { compareVersion, parseVersionTag } from '../checks/lib/metallb.js';
import { goBoolTrue, pflagValue } from '../checks/lib/flags.js';
import { parsePool, poolContains, poolSize } from '../checks/lib/pools.js';
import { parsePrometheusText, sampleValue } from '../checks/lib/prometheus.js';
import { ApiError } from './http.js';
import { podReady, resolveProxy, type ModelAnswer, type ProxyTarget } from './proxy.js';
import { selectorObjectMatches } from './selectors.js';
import type { StoreEvent } from './store.js';
import type { Behaviour, KubeObject, LogLineSpec, ModelSpec, ModelState, ProviderStatusSpec } from './types.js';
import type { World } from './world.js';

export const AKASH_NS = 'akash-services';
export const METALLB_NS = 'metallb-system';
/** coalescing delay of the re-evaluation after store events */
export const MODEL_DEBOUNCE_MS = 30;
/** the provider's waiter retries every 2 s (operator/waiter/waiter.go) */
export const WAITER_RETRY_MS = 2000;
/** cap of a modelled pod's log (oldest lines dropped) */
const MAX_LOG_LINES = 5000;
const DNS_SERVER = '10.233.0.3:53';

export type ModelFlags = Required<ModelSpec>;
export type { ModelState } from './types.js';

export function modelFlags(m: Behaviour['model']): ModelFlags {
  if (m === true) return { ipOperator: true, provider: true, metallb: true, hostnameOperator: true, fromStart: false };
  if (!m) return { ipOperator: false, provider: false, metallb: false, hostnameOperator: false, fromStart: false };
  const any = m.ipOperator === true || m.provider === true || m.metallb === true || m.hostnameOperator === true;
  // `{fromStart: true}` alone models every component
  const all = !any && m.fromStart === true;
  return { ipOperator: all || m.ipOperator === true, provider: all || m.provider === true, metallb: all || m.metallb === true, hostnameOperator: all || m.hostnameOperator === true, fromStart: m.fromStart === true };
}

interface OperatorLayout {
  layout: 'new' | 'old';
  name: string;
  portName: string;
  listen: number;
  /** a pod label that marks the layout's pods */
  label: [string, string];
}

export const OPERATOR_LAYOUTS: readonly OperatorLayout[] = [
  { layout: 'new', name: 'operator-ip', portName: 'rest', listen: 8080, label: ['app.kubernetes.io/name', 'ip'] },
  { layout: 'old', name: 'akash-ip-operator', portName: 'api', listen: 8086, label: ['app', 'akash-ip-operator'] },
];
const HOSTNAME_SVC = 'operator-hostname';
const PROVIDER_STS = 'akash-provider';
const OPERATOR_ROUTES = /^(health|version|state|ignored-leases|usage|ip-lease-status\/[^/]+\/[^/]+\/[^/]+\/[^/]+)$/;

/** The healthy /status body of healthy-helm (used when the scenario has no `ok` body of its own). */
export const DEFAULT_STATUS_BODY = {
  cluster: { leases: 1, inventory: { available: { nodes: [{ name: 'node1' }, { name: 'node2' }] } } },
  bidengine: { orders: 0 },
  manifest: { deployments: 0 },
  cluster_public_hostname: 'provider.example.com',
  address: 'akash1xmz9es9ay9ln9x2m3q8dlu0alxf0ltce7ykjfx',
};

// ---- log lines (tendermint style, as the scenarios) -------------------------------------

function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}|${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
}

function q(v: string): string {
  return JSON.stringify(v);
}

class PodLog {
  readonly lines: LogLineSpec[] = [];
  constructor(private readonly base: number) {}
  add(level: 'I' | 'E', msg: string, kv = ''): void {
    const now = Date.now();
    const text = `${level}[${stamp(new Date(now))}] ${kv ? `${msg.padEnd(44)} ${kv}` : msg}`;
    this.lines.push({ text, agoSeconds: (this.base - now) / 1000 });
    if (this.lines.length > MAX_LOG_LINES) this.lines.splice(0, this.lines.length - MAX_LOG_LINES);
  }
  has(msg: string): boolean {
    return this.lines.some((l) => l.text.includes(msg));
  }
}

// ---- small readers of cluster objects --------------------------------------------------

type Container = { name: string; image?: string; args?: string[]; command?: string[]; env?: any[]; envFrom?: any[]; ports?: { name?: string; containerPort?: number; protocol?: string }[] };

function containers(pod: KubeObject): Container[] {
  return ((pod.spec as { containers?: Container[] } | undefined)?.containers ?? []) as Container[];
}

function imageTagOf(image: string | undefined): string | null {
  if (!image) return null;
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : null;
}

/** `provider` 0.4.8 -> [0, 4, 8] */
function versionParts(tag: string | null): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec((tag ?? '').trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

export class Model {
  readonly flags: ModelFlags;
  private readonly store;
  /** false while a scripted metrics answer is the past */
  private metallbLive: boolean;
  private hostnameLive: boolean;
  private readonly ops = new Map<string, OperatorProc>();
  private provider: ProviderProc | undefined;
  private pending = false;
  private evaluating = false;
  private tickScheduled = false;
  private readonly healthyBody: unknown;

  constructor(
    private readonly world: World,
    behaviour: Behaviour,
  ) {
    this.flags = modelFlags(behaviour.model);
    this.store = world.store;
    const proxyKeys = Object.keys(behaviour.proxy ?? {});
    const logKeys = Object.keys(behaviour.logs ?? {});
    const fromStart = this.flags.fromStart;
    const scriptsService = (ns: string, svc: string) =>
      !fromStart && proxyKeys.some((k) => k.startsWith(`${ns}/${svc}:`) || k.startsWith(`${ns}/${svc}/`) || k.startsWith(`${ns}/http:${svc}:`) || k.startsWith(`${ns}/https:${svc}:`));
    const scriptsPod = (ns: string, pod: string) => !fromStart && logKeys.some((k) => k === `${ns}/${pod}` || k.startsWith(`${ns}/${pod}/`) || k.startsWith(`${ns}/${pod}#`));

    this.metallbLive = this.flags.metallb && !scriptsService(METALLB_NS, 'controller');
    this.hostnameLive = this.flags.hostnameOperator && !scriptsService(AKASH_NS, HOSTNAME_SVC);
    const ps: ProviderStatusSpec = behaviour.providerStatus ?? { mode: 'ok' };
    const ar = behaviour.afterRestart?.[`${AKASH_NS}/${PROVIDER_STS}`]?.providerStatus;
    const okBody = (s: ProviderStatusSpec | undefined) => (s && s.mode === 'ok' && s.body && typeof s.body === 'object' && Object.keys(s.body).length ? s.body : undefined);
    this.healthyBody = okBody(ps) ?? okBody(ar) ?? DEFAULT_STATUS_BODY;

    world.modelOwns = (ns, workload) => this.owns(ns, workload);
    world.modelProxy = (t) => this.answer(t);

    // derive at start what the scenario scripts nothing for
    const podDef = this.store.registry.get('', 'pods')!;
    const pods = this.store.list(podDef, AKASH_NS).filter((p) => podReady(p));
    if (this.flags.ipOperator) {
      for (const l of OPERATOR_LAYOUTS) {
        const mine = pods.filter((p) => this.layoutOf(p) === l);
        if (mine.length === 0) continue;
        if (scriptsService(AKASH_NS, l.name) || mine.some((p) => scriptsPod(AKASH_NS, p.metadata.name))) continue;
        this.startOperator(l, mine[mine.length - 1]!);
      }
    }
    if (this.flags.provider) {
      const pod = pods.find((p) => this.isProviderPod(p));
      const defaultStatus = ps.mode === 'ok' && (ps.status ?? 200) === 200 && (ps.body === undefined || (typeof ps.body === 'object' && ps.body !== null && Object.keys(ps.body).length === 0));
      if (pod && !scriptsPod(AKASH_NS, pod.metadata.name) && (defaultStatus || fromStart)) this.startProvider(pod);
    }
    world.store.onEvent((e) => this.onEvent(e));
  }

  private owns(ns: string, workload: string): boolean {
    if (ns !== AKASH_NS) return false;
    if (OPERATOR_LAYOUTS.some((l) => l.name === workload)) return this.flags.ipOperator;
    if (workload === PROVIDER_STS) return this.flags.provider;
    if (workload === HOSTNAME_SVC) return this.flags.hostnameOperator;
    return false;
  }

  private layoutOf(pod: KubeObject): OperatorLayout | undefined {
    if ((pod.metadata.namespace ?? '') !== AKASH_NS) return undefined;
    const depDef = this.store.registry.get('apps', 'deployments')!;
    for (const l of OPERATOR_LAYOUTS) {
      const d = this.store.get(depDef, AKASH_NS, l.name);
      const sel = (d?.spec as { selector?: unknown } | undefined)?.selector;
      if (d && sel && selectorObjectMatches(sel, pod.metadata.labels)) return l;
      if (pod.metadata.labels?.[l.label[0]] === l.label[1]) return l;
    }
    return undefined;
  }

  private isProviderPod(pod: KubeObject): boolean {
    if ((pod.metadata.namespace ?? '') !== AKASH_NS) return false;
    const refs = (pod.metadata.ownerReferences ?? []) as { kind?: string; name?: string }[];
    return refs.some((r) => r.kind === 'StatefulSet' && r.name === PROVIDER_STS) || /^akash-provider-\d+$/.test(pod.metadata.name);
  }

  private isHostnamePod(pod: KubeObject): boolean {
    return (pod.metadata.namespace ?? '') === AKASH_NS && pod.metadata.labels?.['app.kubernetes.io/name'] === 'hostname';
  }

  // ---- events ------------------------------------------------------------------------

  private onEvent(e: StoreEvent): void {
    const ns = e.obj.metadata.namespace ?? '';
    if (e.key === '/pods') {
      const becameReady = (e.type === 'ADDED' || e.type === 'MODIFIED') && podReady(e.obj) && !(e.old && podReady(e.old));
      if (becameReady && ns === AKASH_NS) {
        const l = this.flags.ipOperator ? this.layoutOf(e.obj) : undefined;
        if (l) this.startOperator(l, e.obj);
        else if (this.flags.provider && this.isProviderPod(e.obj)) this.startProvider(e.obj);
        else if (this.flags.hostnameOperator && this.isHostnamePod(e.obj)) this.hostnameLive = true;
      }
      if (e.type === 'DELETED' && this.flags.provider && this.provider && e.obj.metadata.name === this.provider.pod && ns === AKASH_NS) {
        // the process is gone: nothing listens on :8443 until the replacement starts
        this.provider.gone = true;
        void this.world.provider.setSpec({ mode: 'refused' });
      }
      if (ns === METALLB_NS) this.metallbLive ||= this.flags.metallb;
    }
    if (this.flags.metallb && !this.metallbLive) {
      const lb = (o: KubeObject | undefined) => (o?.spec as { type?: string } | undefined)?.type === 'LoadBalancer';
      if (
        e.key === 'metallb.io/ipaddresspools' ||
        (e.key === '/services' && (lb(e.obj) || lb(e.old) || (ns === METALLB_NS && e.obj.metadata.name === 'controller'))) ||
        (ns === METALLB_NS && (e.key === '/endpoints' || e.key === 'apps/deployments'))
      ) {
        this.metallbLive = true;
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    this.world.later(MODEL_DEBOUNCE_MS, () => {
      this.pending = false;
      this.evaluate();
    });
  }

  private scheduleTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    this.world.later(WAITER_RETRY_MS, () => {
      this.tickScheduled = false;
      this.evaluate();
    });
  }

  /** One pass over the continuous parts: operators' barriers, then the provider's waiter. */
  evaluate(): void {
    if (this.evaluating || this.world.closed) return;
    this.evaluating = true;
    try {
      for (const op of this.ops.values()) this.observe(op);
      const p = this.provider;
      if (p && !p.gone && !p.passed && !p.stuck) {
        this.waiterStep(p);
        if (!p.passed && !p.stuck) this.scheduleTick();
      }
    } finally {
      this.evaluating = false;
    }
  }

  // ---- MetalLB metrics ---------------------------------------------------------------

  /** The controller's plain-HTTP metrics for a proxied request, or 'refused'. */
  private metallbAnswer(t: ProxyTarget): ModelAnswer {
    const port = t.port;
    if ((port.name ?? '') !== 'monitoring' || (port.protocol ?? 'TCP') !== 'TCP') return 'refused';
    if (!this.servesPlainMetrics(t.svc, port.targetPort ?? port.port)) return 'refused';
    if (t.path !== 'metrics') return { status: 404, body: '404 page not found\n' };
    return { status: 200, contentType: 'text/plain; version=0.0.4; charset=utf-8', body: this.metricsText() };
  }

  /** A Ready controller pod behind the Service listens with plain HTTP metrics on the target port (MetalLB < 0.16). */
  private servesPlainMetrics(svc: KubeObject, targetPort: number | string | undefined): boolean {
    const sel = (svc.spec as { selector?: Record<string, string> } | undefined)?.selector;
    if (!sel || Object.keys(sel).length === 0) return false;
    const podDef = this.store.registry.get('', 'pods')!;
    const pods = this.store.list(podDef, METALLB_NS).filter((p) => podReady(p) && selectorObjectMatches(sel, p.metadata.labels, true));
    for (const pod of pods) {
      const cs = containers(pod);
      const ctrl = cs.find((c) => /metallb\/controller/.test(c.image ?? '')) ?? cs.find((c) => c.name === 'controller');
      if (!ctrl) continue;
      const served = Number(pflagValue([...(ctrl.command ?? []), ...(ctrl.args ?? [])], 'port')?.value ?? 7472);
      let resolved: number | undefined;
      if (typeof targetPort === 'number' || /^\d+$/.test(String(targetPort ?? ''))) resolved = Number(targetPort);
      else {
        for (const c of cs) {
          const hit = (c.ports ?? []).find((p) => p.name === targetPort);
          if (hit) resolved = Number(hit.containerPort);
        }
      }
      if (resolved !== served) continue;
      const v = parseVersionTag(imageTagOf(ctrl.image));
      // 0.16 serves its metrics only over HTTPS (upstream-facts 1.4); an unreadable tag counts as plain HTTP
      if (v && compareVersion(v, { major: 0, minor: 16, patch: 0 }) >= 0) continue;
      return true;
    }
    return false;
  }

  /** Pool sizes and addresses in use, from the IPAddressPools and the LoadBalancer Services. */
  poolUsage(): Map<string, { total: number; inUse: number }> {
    const out = new Map<string, { total: number; inUse: number }>();
    const poolDef = this.store.registry.get('metallb.io', 'ipaddresspools');
    if (!poolDef) return out;
    const svcDef = this.store.registry.get('', 'services')!;
    const ips = new Set<string>();
    for (const s of this.store.list(svcDef)) {
      if ((s.spec as { type?: string } | undefined)?.type !== 'LoadBalancer') continue;
      const ingress = ((s.status as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined)?.loadBalancer?.ingress ?? []) as { ip?: string }[];
      for (const i of ingress) if (i.ip) ips.add(i.ip);
    }
    for (const p of this.store.list(poolDef, METALLB_NS)) {
      const spec = (p.spec ?? {}) as { addresses?: unknown; avoidBuggyIPs?: boolean };
      const pool = parsePool(p.metadata.name, spec.addresses, spec.avoidBuggyIPs === true);
      const total = Number(poolSize(pool.ranges, pool.avoidBuggyIPs).total);
      let inUse = 0;
      for (const ip of ips) if (poolContains(pool, ip)) inUse++;
      out.set(p.metadata.name, { total, inUse });
    }
    return out;
  }

  metricsText(): string {
    const usage = [...this.poolUsage()];
    const lines = [
      '# HELP metallb_allocator_addresses_in_use_total Number of IP addresses in use, per pool',
      '# TYPE metallb_allocator_addresses_in_use_total gauge',
      ...usage.map(([name, u]) => `metallb_allocator_addresses_in_use_total{pool=${q(name)}} ${u.inUse}`),
      '# HELP metallb_allocator_addresses_total Number of usable IP addresses, per pool',
      '# TYPE metallb_allocator_addresses_total gauge',
      ...usage.map(([name, u]) => `metallb_allocator_addresses_total{pool=${q(name)}} ${u.total}`),
      '# HELP metallb_k8s_client_config_loaded_bool 1 if the MetalLB configuration was successfully loaded at least once.',
      '# TYPE metallb_k8s_client_config_loaded_bool gauge',
      'metallb_k8s_client_config_loaded_bool 1',
    ];
    return `${lines.join('\n')}\n`;
  }

  /**
   * What the IP operator's scrape of `controller:monitoring/metrics` gets: the metrics text, or
   * a failure (HTTP status when there was an answer).
   */
  private scrapeMetrics(): { ok: true; text: string } | { ok: false; status?: number } {
    try {
      const r = resolveProxy(this.world, METALLB_NS, 'controller:monitoring', 'metrics');
      if (r.hang) return { ok: false };
      const status = r.status ?? 200;
      if (status !== 200) return { ok: false, status };
      return { ok: true, text: typeof r.body === 'string' ? r.body : r.body === undefined ? '' : JSON.stringify(r.body) };
    } catch (e) {
      if (e instanceof ApiError) return { ok: false };
      throw e;
    }
  }

  // ---- IP operator -------------------------------------------------------------------

  private startOperator(l: OperatorLayout, pod: KubeObject): void {
    const log = new PodLog(this.world.baseTime);
    const c = this.effectiveContainer(pod, 'deployments', l.name, l.layout === 'new' ? 'operator-ip' : 'akash-ip-operator');
    const env = c ? this.containerEnv(c) : new Map<string, string | undefined>();
    const argv = c ? [...(c.command ?? []), ...(c.args ?? [])] : [];
    const setting = (flag: string) => pflagValue(argv, flag)?.value ?? env.get(`AP_${flag.toUpperCase().replace(/-/g, '_')}`) ?? env.get(`AKASH_${flag.toUpperCase().replace(/-/g, '_')}`);
    const addr = setting('provider') ?? '';
    const pool = setting('metal-lb-pool') || 'default';
    const svcDef = this.store.registry.get('', 'services')!;
    const ctrl = this.store.get(svcDef, METALLB_NS, 'controller');
    const discoveryOk = !!ctrl && (((ctrl.spec as { ports?: { name?: string; protocol?: string }[] } | undefined)?.ports ?? []).some((p) => p.name === 'monitoring' && (p.protocol ?? 'TCP') === 'TCP'));
    log.add('I', 'ip operator start');
    log.add('I', 'associated provider', `addr=${addr}`);
    log.add('I', 'HTTP listening', `address=:${l.listen}`);
    log.add('I', 'starting observation');
    const op: OperatorProc = { layout: l, pod: pod.metadata.name, log, discoveryOk, pool, unlocked: false, usage: undefined, everObserved: false };
    if (!discoveryOk) {
      log.add('E', 'dns discovery failed', `cmp=service-discovery-agent error=${q(`lookup _monitoring._TCP.controller.metallb-system.svc.cluster.local on ${DNS_SERVER}: no such host`)}`);
      log.add('E', 'observation stopped', `err=${q('context deadline exceeded')}`);
      log.add('E', "barrier is locked, can't service request", 'path=/health');
    }
    this.ops.set(l.name, op);
    this.world.logs.set(`${AKASH_NS}/${pod.metadata.name}`, log.lines);
    this.observe(op);
    this.schedule();
  }

  /** The operator's observation loop: unlocked iff discovery worked and the metrics answer (retried each 3 s upstream). */
  private observe(op: OperatorProc): void {
    if (!op.discoveryOk) return;
    const m = this.scrapeMetrics();
    if (m.ok) {
      const parsed = parsePrometheusText(m.text);
      const usage = {
        available: sampleValue(parsed, 'metallb_allocator_addresses_total', { pool: op.pool }) ?? 0,
        inUse: sampleValue(parsed, 'metallb_allocator_addresses_in_use_total', { pool: op.pool }) ?? 0,
      };
      if (!op.unlocked) {
        if (op.everObserved) op.log.add('I', 'starting observation');
        op.log.add('I', 'fetching existing IP passthroughs');
        op.log.add('I', 'barrier can now be passed');
        op.unlocked = true;
        op.usage = undefined;
      }
      if (!op.usage || op.usage.available !== usage.available || op.usage.inUse !== usage.inUse) {
        op.log.add('I', 'ip address inventory', `in-use=${usage.inUse} available=${usage.available}`);
      }
      op.usage = usage;
    } else if (op.unlocked || !op.everObserved) {
      if (m.status !== undefined) op.log.add('E', 'checking metal lb metrics returned', `status=${m.status}`);
      op.log.add('E', 'observation stopped', `err=${q('context deadline exceeded')}`);
      op.unlocked = false;
    }
    op.everObserved = true;
  }

  private operatorAnswer(op: OperatorProc, t: ProxyTarget): ModelAnswer {
    if (!OPERATOR_ROUTES.test(t.path)) return { status: 404, body: '404 page not found\n' };
    this.evaluate();
    if (!op.unlocked) {
      op.log.add('E', "barrier is locked, can't service request", `path=/${t.path}`);
      return { status: 503, body: '' };
    }
    if (t.path === 'health') return { status: 200, body: 'OK' };
    if (t.path === 'usage') {
      const u = op.usage ?? { available: 0, inUse: 0 };
      return { status: 200, contentType: 'application/json', body: `${JSON.stringify({ Available: u.available, InUse: u.inUse })}\n` };
    }
    return undefined;
  }

  // ---- provider ------------------------------------------------------------------------

  private startProvider(pod: KubeObject): void {
    const log = new PodLog(this.world.baseTime);
    const c = this.effectiveContainer(pod, 'statefulsets', PROVIDER_STS, 'provider');
    const env = c ? this.containerEnv(c) : new Map<string, string | undefined>();
    const argv = c ? [...(c.command ?? []), ...(c.args ?? [])] : [];
    const flag = pflagValue(argv, 'ip-operator', { bool: true })?.value ?? env.get('AP_IP_OPERATOR') ?? env.get('AKASH_IP_OPERATOR');
    const parts = versionParts(imageTagOf(c?.image));
    const newLayout = !parts || parts[0] > 0 || parts[1] >= 5;
    const ipTarget = newLayout ? { svc: 'operator-ip', portName: 'rest' } : { svc: 'akash-ip-operator', portName: 'api' };
    const waitables: Waitable[] = [this.discover('hostname', HOSTNAME_SVC, 'rest')];
    if (goBoolTrue(flag)) waitables.push(this.discover('ip', ipTarget.svc, ipTarget.portName));
    log.add('I', 'using in cluster kube config', 'cmp=provider');
    const p: ProviderProc = { pod: pod.metadata.name, log, waitables, idx: 0, passed: false, stuck: false, gone: false };
    this.provider = p;
    this.world.logs.set(`${AKASH_NS}/${pod.metadata.name}`, log.lines);
    // /status blocks until the waiter passed
    void this.world.provider.setSpec({ mode: 'hang' });
    this.evaluate();
  }

  /** The provider's one-shot service discovery of an operator, decided at its start. */
  private discover(kind: 'hostname' | 'ip', svc: string, portName: string): Waitable {
    const svcDef = this.store.registry.get('', 'services')!;
    const s = this.store.get(svcDef, AKASH_NS, svc);
    const spec = (s?.spec ?? {}) as { clusterIP?: string; ports?: { name?: string; port?: number; protocol?: string }[] };
    const port = (spec.ports ?? []).find((p) => p.name === portName && (p.protocol ?? 'TCP') === 'TCP');
    return {
      kind,
      svc,
      portName,
      discovered: s && port ? { port: Number(port.port), clusterIP: String(spec.clusterIP ?? '10.233.0.1') } : null,
      logged: false,
    };
  }

  private waiterStep(p: ProviderProc): void {
    while (p.idx < p.waitables.length) {
      const w = p.waitables[p.idx]!;
      const ptr = w.kind === 'hostname' ? '<*hostname.client 0xc000d8a3c0>' : '<*ip.client 0xc000d8a420>';
      const where = `portName=${w.portName} service-name=${w.svc} namespace=${AKASH_NS}`;
      if (!w.logged) {
        w.logged = true;
        if (w.discovered) {
          p.log.add('I', 'dns discovery success', `cmp=service-discovery-agent addrs=${q(`[{${w.svc}.${AKASH_NS}.svc.cluster.local. ${w.discovered.port} 0 100}]`)} ${where}`);
        } else {
          const err = `lookup _${w.portName}._TCP.${w.svc}.${AKASH_NS}.svc.cluster.local on ${DNS_SERVER}: no such host`;
          p.log.add('E', 'dns discovery failed', `cmp=service-discovery-agent error=${q(err)} ${where}`);
          p.log.add('E', 'not yet ready', `cmp=waiter waitable=${q(ptr)} error=${q(err)}`);
          // the agent never looks again: the waiter's next Check blocks for good
          p.stuck = true;
          return;
        }
      }
      const h = w.kind === 'hostname' ? this.hostnameHealth(w) : this.ipHealth(w);
      if (h.status !== undefined) p.log.add('I', 'check result', `cmp=provider operator=${w.kind} status=${h.status}`);
      if (!h.healthy) {
        if (h.error) p.log.add('E', 'not yet ready', `cmp=waiter waitable=${q(ptr)} error=${q(h.error)}`);
        return;
      }
      p.log.add('I', 'ready', `cmp=waiter waitable=${q(ptr)}`);
      p.idx++;
    }
    p.passed = true;
    p.log.add('I', 'all waitables ready', 'cmp=waiter');
    void this.world.provider.setSpec({ mode: 'ok', status: 200, body: this.healthyBody });
  }

  private refusedError(w: Waitable): string {
    const d = w.discovered!;
    return `Get "http://${w.svc}.${AKASH_NS}.svc.cluster.local.:${d.port}/health": dial tcp ${d.clusterIP}:${d.port}: connect: connection refused`;
  }

  private hostnameHealth(w: Waitable): Health {
    if (this.hostnameLive) {
      const podDef = this.store.registry.get('', 'pods')!;
      const ready = this.store.list(podDef, AKASH_NS).some((p) => this.isHostnamePod(p) && podReady(p));
      return ready ? { healthy: true, status: 200 } : { healthy: false, error: this.refusedError(w) };
    }
    // errNotAlive of akash-network/provider cluster/kube/operators/clients/hostname/client.go
    return this.httpHealth(w, 'hostname operator is not yet alive');
  }

  private ipHealth(w: Waitable): Health {
    return this.httpHealth(w, 'ip operator is not yet alive');
  }

  private httpHealth(w: Waitable, notAlive: string): Health {
    try {
      const r = resolveProxy(this.world, AKASH_NS, `${w.svc}:${w.portName}`, 'health');
      if (r.hang) return { healthy: false };
      const status = r.status ?? 200;
      return status === 200 ? { healthy: true, status } : { healthy: false, status, error: notAlive };
    } catch (e) {
      if (e instanceof ApiError) return { healthy: false, error: this.refusedError(w) };
      throw e;
    }
  }

  // ---- proxy answers -------------------------------------------------------------------

  private answer(t: ProxyTarget): ModelAnswer {
    const name = t.svc.metadata.name;
    if (t.ns === METALLB_NS && name === 'controller' && this.metallbLive) return this.metallbAnswer(t);
    if (t.ns !== AKASH_NS) return undefined;
    const op = this.ops.get(name);
    if (op && this.flags.ipOperator) return this.operatorAnswer(op, t);
    if (name === HOSTNAME_SVC && this.hostnameLive) {
      if (t.path === 'health') return { status: 200, body: 'OK' };
      return undefined;
    }
    return undefined;
  }

  /**
   * The container as it runs: the pod's, with the command, args, env and envFrom of the
   * workload's pod template where the pod (as a scenario writes it, often abridged) has none.
   */
  private effectiveContainer(pod: KubeObject, plural: 'deployments' | 'statefulsets', workload: string, name: string): Container | undefined {
    const own = containers(pod).find((x) => x.name === name) ?? containers(pod)[0];
    const wDef = this.store.registry.get('apps', plural)!;
    const w = this.store.get(wDef, AKASH_NS, workload);
    const tmpl = ((w?.spec as { template?: { spec?: { containers?: Container[] } } } | undefined)?.template?.spec?.containers ?? []).find((x) => x.name === (own?.name ?? name));
    if (!own) return tmpl;
    if (!tmpl) return own;
    return {
      ...own,
      command: own.command ?? tmpl.command,
      args: own.args ?? tmpl.args,
      env: own.env ?? tmpl.env,
      envFrom: own.envFrom ?? tmpl.envFrom,
    };
  }

  // ---- container environment (literal, configMapKeyRef, envFrom configMapRef) ------------

  private containerEnv(c: Container): Map<string, string | undefined> {
    const cmDef = this.store.registry.get('', 'configmaps')!;
    const cm = (name: string) => (this.store.get(cmDef, AKASH_NS, name)?.data ?? undefined) as Record<string, string> | undefined;
    const out = new Map<string, string | undefined>();
    for (const from of c.envFrom ?? []) {
      const ref = from?.configMapRef?.name;
      if (!ref) continue;
      for (const [k, v] of Object.entries(cm(ref) ?? {})) out.set(`${from.prefix ?? ''}${k}`, v);
    }
    for (const e of c.env ?? []) {
      if (!e?.name) continue;
      if (e.value !== undefined) out.set(e.name, String(e.value));
      else if (e.valueFrom?.configMapKeyRef) out.set(e.name, cm(e.valueFrom.configMapKeyRef.name)?.[e.valueFrom.configMapKeyRef.key]);
      else out.set(e.name, undefined);
    }
    for (const [k, v] of out) if (v === undefined) out.delete(k);
    return out;
  }

  // ---- for tests and the README ----------------------------------------------------------

  /** A summary of the modelled state (tests wait on it through startSim's handle). */
  state(): ModelState {
    const ops: ModelState['ipOperators'] = {};
    for (const [name, op] of this.ops) ops[name] = { pod: op.pod, discovered: op.discoveryOk, unlocked: op.unlocked, pool: op.pool, usage: op.usage ? { Available: op.usage.available, InUse: op.usage.inUse } : null };
    const p = this.provider;
    return {
      flags: { ...this.flags },
      metallbLive: this.metallbLive,
      hostnameLive: this.hostnameLive,
      ipOperators: ops,
      provider: p
        ? {
            pod: p.pod,
            waitables: p.waitables.map((w) => w.kind),
            waitingFor: p.passed || p.stuck ? null : (p.waitables[p.idx]?.kind ?? null),
            passed: p.passed,
            discoveryStuck: p.stuck ? (p.waitables[p.idx]?.svc ?? null) : null,
          }
        : null,
    };
  }
}

interface OperatorProc {
  layout: OperatorLayout;
  pod: string;
  log: PodLog;
  discoveryOk: boolean;
  pool: string;
  unlocked: boolean;
  usage: { available: number; inUse: number } | undefined;
  everObserved: boolean;
}

interface Waitable {
  kind: 'hostname' | 'ip';
  svc: string;
  portName: string;
  /** the one-shot discovery's result (null: failed, never retried) */
  discovered: { port: number; clusterIP: string } | null;
  logged: boolean;
}

interface ProviderProc {
  pod: string;
  log: PodLog;
  waitables: Waitable[];
  idx: number;
  passed: boolean;
  stuck: boolean;
  gone: boolean;
}

interface Health {
  healthy: boolean;
  status?: number;
  error?: string;
}

/** Install the model when the Behaviour turns any component on; undefined otherwise. */
export function installModel(world: World, behaviour: Behaviour): Model | undefined {
  const f = modelFlags(behaviour.model);
  if (!f.ipOperator && !f.provider && !f.metallb && !f.hostnameOperator) return undefined;
  return new Model(world, behaviour);
}
