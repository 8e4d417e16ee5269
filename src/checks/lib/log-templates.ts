/**
 * The real log lines of the pieces the doctor reads logs of (the Akash provider,
 * its IP and hostname operators, MetalLB), each with the upstream source it is
 * logged from (repository:path:line; akash-network/provider at main afc4dd7 unless a
 * tag is named, metallb/metallb at v0.14.9). Checks that look for a log line, and
 * the scenario files that feed the simulator, use only these: a test fails when a
 * scenario log line matches none of them (test/log-templates.test.ts).
 *
 * Two console formats carry the same message text and key/value pairs:
 * - tendermint style (provider ≤ 0.5.x, seen in helm-charts#276 and support#105):
 *   `I[2024-04-20|08:48:41.105] barrier can now be passed                    operator=ip`
 * - zerolog ConsoleWriter (current `cosmossdk.io/log`, `operator/common/logger.go`):
 *   `8:48AM INF barrier can now be passed operator=ip`
 * MetalLB logs one JSON object per line (go-kit): `{"level":"info","msg":"…",…}`.
 *
 * A template names the message as logged (the Go string literal, trimmed), the level
 * it is logged at and the keys the call always passes. `err|error` accepts either
 * spelling: provider ≤ v0.5.x logged `error`, main logs `err` (e.g. waiter.go:63 and
 * service_discovery_agent.go:231 at both versions).
 */

export type LogComponent = 'provider' | 'ip-operator' | 'hostname-operator' | 'operator' | 'metallb';
export type LogLevel = 'debug' | 'info' | 'error';

export interface LogTemplate {
  /** Stable id, used by checks and tests. */
  id: string;
  /** Who logs it (`operator`: either operator, `provider`: the provider process, incl. shared client code). */
  components: LogComponent[];
  level: LogLevel;
  /** The message as logged (trimmed), or a pattern for messages built at run time. */
  msg: string | RegExp;
  /** Keys every such line carries; `a|b` accepts either name. */
  keys?: string[];
  /** repository:path:line of the logging call. */
  source: string;
}

const P = 'akash-network/provider';

export const LOG_TEMPLATES: readonly LogTemplate[] = [
  // ---- the provider's start-up wait for its operators (operator/waiter/waiter.go) ----
  { id: 'waiter-not-ready', components: ['provider'], level: 'error', msg: 'not yet ready', keys: ['waitable', 'err|error'], source: `${P}:operator/waiter/waiter.go:63` },
  { id: 'waiter-ready', components: ['provider'], level: 'info', msg: 'ready', keys: ['waitable'], source: `${P}:operator/waiter/waiter.go:76` },
  { id: 'waiter-all-ready', components: ['provider'], level: 'info', msg: 'all waitables ready', source: `${P}:operator/waiter/waiter.go:78` },
  // the operator clients' /health probe (the waitables' Check)
  { id: 'operator-check-result', components: ['provider'], level: 'info', msg: 'check result', keys: ['operator', 'status'], source: `${P}:cluster/kube/operators/clients/ip/client.go:75 and clients/hostname/client.go:76` },
  // after start-up the inventory polls the IP operator's /usage; a failure only logs this
  { id: 'inventory-checking-ip', components: ['provider'], level: 'error', msg: 'checking IP addresses', keys: ['error'], source: `${P}:cluster/inventory.go:717` },
  { id: 'service-autodetect', components: ['provider', 'operator'], level: 'debug', msg: 'service being found via autodetection', keys: ['service'], source: `${P}:cmd/provider-services/cmd/flags/service_endpoint_flag.go:34` },
  { id: 'in-cluster-config', components: ['provider', 'operator'], level: 'info', msg: 'using in cluster kube config', source: `${P}:cluster/kube/clientcommon/open_kube_config.go:40` },

  // ---- service discovery, in the provider (operator-ip, operator-hostname) and in the IP operator (MetalLB controller) ----
  { id: 'sda-dns-failed', components: ['provider', 'operator'], level: 'error', msg: 'dns discovery failed', keys: ['err|error'], source: `${P}:cluster/util/service_discovery_agent.go:231` },
  { id: 'sda-dns-success', components: ['provider', 'operator'], level: 'info', msg: 'dns discovery success', keys: ['addrs'], source: `${P}:cluster/util/service_discovery_agent.go:240` },
  { id: 'sda-kube-failed', components: ['provider', 'operator'], level: 'error', msg: 'kube discovery failed', source: `${P}:cluster/util/service_discovery_agent.go:182` },

  // ---- IP operator (operator/ip/*) ----
  { id: 'ip-clients', components: ['ip-operator'], level: 'info', msg: 'clients', keys: ['kube', 'metallb'], source: `${P}:operator/ip/cmd.go:68` },
  { id: 'http-listening', components: ['ip-operator', 'hostname-operator'], level: 'info', msg: 'HTTP listening', keys: ['address'], source: `${P}:operator/ip/cmd.go:82 and operator/hostname/cmd.go:65` },
  { id: 'ip-operator-start', components: ['ip-operator'], level: 'info', msg: 'ip operator start', source: `${P}:operator/ip/operator.go:592` },
  { id: 'ip-associated-provider', components: ['ip-operator'], level: 'info', msg: 'associated provider', keys: ['addr'], source: `${P}:operator/ip/operator.go:67` },
  { id: 'ip-fetching-passthroughs', components: ['ip-operator'], level: 'info', msg: 'fetching existing IP passthroughs', source: `${P}:operator/ip/operator.go:72` },
  { id: 'starting-observation', components: ['ip-operator', 'hostname-operator'], level: 'info', msg: 'starting observation', source: `${P}:operator/ip/operator.go:98 and operator/hostname/operator.go:168` },
  { id: 'ip-barrier-passed', components: ['ip-operator'], level: 'info', msg: 'barrier can now be passed', source: `${P}:operator/ip/operator.go:123` },
  { id: 'ip-barrier-timeout', components: ['ip-operator'], level: 'error', msg: 'did not clear barrier in given time', source: `${P}:operator/ip/operator.go:187` },
  { id: 'ip-address-inventory', components: ['ip-operator'], level: 'info', msg: 'ip address inventory', keys: ['in-use', 'available'], source: `${P}:operator/ip/operator.go:213` },
  { id: 'ip-barrier-locked', components: ['ip-operator'], level: 'error', msg: "barrier is locked, can't service request", keys: ['path'], source: `${P}:operator/ip/operator.go:489` },
  { id: 'observation-stopped', components: ['ip-operator', 'hostname-operator'], level: 'error', msg: 'observation stopped', keys: ['err|error'], source: `${P}:operator/ip/operator.go:601 and operator/hostname/operator.go:147` },
  { id: 'operator-delaying', components: ['ip-operator', 'hostname-operator'], level: 'info', msg: 'delaying', source: `${P}:operator/ip/operator.go:606 and operator/hostname/operator.go:152` },
  { id: 'metallb-metrics-status', components: ['ip-operator'], level: 'error', msg: 'checking metal lb metrics returned', keys: ['status'], source: `${P}:cluster/kube/operators/clients/metallb/client.go:141` },
  { id: 'metallb-no-pools', components: ['ip-operator'], level: 'debug', msg: 'no pools configured on Metal LB', source: `${P}:cluster/kube/operators/clients/metallb/client.go:208` },
  { id: 'metallb-pool-not-matching', components: ['ip-operator'], level: 'debug', msg: 'pools configured on Metal LB, but none matching', keys: ['configured-pool-name'], source: `${P}:cluster/kube/operators/clients/metallb/client.go:210` },

  // ---- hostname operator (operator/hostname/*) ----
  { id: 'hostname-configuration', components: ['hostname-operator'], level: 'info', msg: 'hostname operator configuration', source: `${P}:operator/hostname/cmd.go:39` },
  { id: 'hostname-watch', components: ['hostname-operator'], level: 'info', msg: 'starting hostname watch', source: `${P}:cluster/kube/client_hostname_connections.go:175` },

  // ---- MetalLB controller (JSON lines) ----
  { id: 'metallb-controller-starting', components: ['metallb'], level: 'info', msg: /^MetalLB controller starting (version \S+ )?\(commit [^,()]+, branch [^()]+\)$/, keys: ['version', 'commit', 'branch'], source: 'metallb/metallb:controller/main.go:178 (v0.14.9)' },
  { id: 'metallb-ip-assigned', components: ['metallb'], level: 'info', msg: 'IP address assigned by controller', keys: ['event', 'ip'], source: 'metallb/metallb:controller/service.go:180 (v0.14.9)' },
];

export type LogFormat = 'tendermint' | 'zerolog' | 'json';

export interface ParsedLine {
  format: LogFormat;
  level: LogLevel | 'warn' | 'other';
  /** Message and key/value text (tendermint, zerolog) or the JSON object's msg. */
  text: string;
  /** JSON lines only: the object. */
  json?: Record<string, unknown>;
}

const TM_LEVEL: Record<string, ParsedLine['level']> = { D: 'debug', I: 'info', E: 'error', W: 'warn' };
const ZL_LEVEL: Record<string, ParsedLine['level']> = { TRC: 'debug', DBG: 'debug', INF: 'info', WRN: 'warn', ERR: 'error', FTL: 'error', PNC: 'error' };

/** Split a console line into format, level and the rest; null when it is in none of the known formats. */
export function parseLogLine(line: string): ParsedLine | null {
  const tm = /^([DIEW])\[\d{4}-\d{2}-\d{2}\|\d{2}:\d{2}:\d{2}\.\d{3}\] (.*)$/.exec(line);
  if (tm) return { format: 'tendermint', level: TM_LEVEL[tm[1]!] ?? 'other', text: tm[2]!.trim() };
  const zl = /^(?:\S+ )?(TRC|DBG|INF|WRN|ERR|FTL|PNC) (.*)$/.exec(line);
  if (zl) return { format: 'zerolog', level: ZL_LEVEL[zl[1]!] ?? 'other', text: zl[2]!.trim() };
  if (line.startsWith('{')) {
    try {
      const obj = JSON.parse(line) as unknown;
      if (obj && typeof obj === 'object' && !Array.isArray(obj) && typeof (obj as { msg?: unknown }).msg === 'string') {
        const o = obj as Record<string, unknown>;
        const lvl = String(o.level ?? '').toLowerCase();
        return { format: 'json', level: lvl === 'info' || lvl === 'error' || lvl === 'debug' ? lvl : lvl === 'warn' ? 'warn' : 'other', text: String(o.msg), json: o };
      }
    } catch {
      /* not JSON */
    }
  }
  return null;
}

/**
 * logfmt-style `key=value key="quoted \"value\""` pairs, as both console writers print
 * them. Returns null when the text is not a sequence of such pairs.
 */
export function parseFields(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_.\-]+)=("(?:[^"\\]|\\.)*"|\S*)/y;
  let i = 0;
  const s = text.trimEnd();
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return null;
    let v = m[2]!;
    if (v.startsWith('"')) {
      try {
        v = JSON.parse(v) as string;
      } catch {
        v = v.slice(1, -1);
      }
    }
    out[m[1]!] = v;
    i = re.lastIndex;
  }
  return out;
}

export interface LogMatch {
  template: LogTemplate;
  format: LogFormat;
  fields: Record<string, string>;
}

function hasKeys(t: LogTemplate, fields: Record<string, unknown>): boolean {
  return (t.keys ?? []).every((k) => k.split('|').some((alt) => alt in fields));
}

function matchOne(t: LogTemplate, p: ParsedLine): LogMatch | null {
  if (p.level !== t.level) return null;
  if (p.format === 'json') {
    const msg = p.text.trim();
    if (!(typeof t.msg === 'string' ? msg === t.msg : t.msg.test(msg))) return null;
    const fields = Object.fromEntries(Object.entries(p.json ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    return hasKeys(t, fields) ? { template: t, format: p.format, fields } : null;
  }
  if (typeof t.msg !== 'string') return null;
  if (!p.text.startsWith(t.msg)) return null;
  const rest = p.text.slice(t.msg.length);
  if (rest !== '' && !/^\s/.test(rest)) return null;
  const fields = parseFields(rest);
  if (!fields || !hasKeys(t, fields)) return null;
  return { template: t, format: p.format, fields };
}

/** The template a log line is an instance of, or null (an unknown or invented line). */
export function matchLogLine(line: string, templates: readonly LogTemplate[] = LOG_TEMPLATES): LogMatch | null {
  const p = parseLogLine(line);
  if (!p) return null;
  for (const t of templates) {
    const m = matchOne(t, p);
    if (m) return m;
  }
  return null;
}

/** The field of a match under any of `a|b`. */
export function field(m: LogMatch, key: string): string | undefined {
  for (const k of key.split('|')) if (k in m.fields) return m.fields[k];
  return undefined;
}
