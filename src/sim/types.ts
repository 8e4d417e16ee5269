/**
 * Public types of the simulated cluster (re-exported from ./index.ts).
 */

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** One log line with an age (seconds before the sim started). */
export interface LogLineSpec {
  text: string;
  agoSeconds?: number;
}

/** A lazily generated log: `lines` copies of `text` (`{n}` is replaced by the 1-based line number), then `lastLines`. */
export interface LogGenerator {
  generate: {
    lines: number;
    text: string;
    lastLines?: (string | LogLineSpec)[];
    /** age of the generated lines (default 0); lastLines default to 0 */
    agoSeconds?: number;
  };
}

export type LogSource = (string | LogLineSpec)[] | LogGenerator;

export interface ProxyResponse {
  status?: number;
  /** string: served as is (text/plain unless contentType); object: served as JSON */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** extra delay before answering */
  delayMs?: number;
  /** never answer */
  hang?: boolean;
}

export interface ProviderStatusSpec {
  mode: 'ok' | 'hang' | 'refused' | 'error';
  status?: number;
  body?: unknown;
}

export interface AfterRestart {
  logs?: LogSource;
  proxy?: Record<string, ProxyResponse>;
  providerStatus?: ProviderStatusSpec;
}

/** The modelled state, as `SimHandle.model()` returns it. */
export interface ModelState {
  flags: Required<ModelSpec>;
  /** MetalLB metrics answered by the model (false while a scripted answer is the past) */
  metallbLive: boolean;
  hostnameLive: boolean;
  /** live IP operator processes by layout name (operator-ip, akash-ip-operator) */
  ipOperators: Record<string, { pod: string; discovered: boolean; unlocked: boolean; pool: string; usage: { Available: number; InUse: number } | null }>;
  /** the live provider process (null while the scripted past applies) */
  provider: { pod: string; waitables: ('hostname' | 'ip')[]; waitingFor: 'hostname' | 'ip' | null; passed: boolean; discoveryStuck: string | null } | null;
}

export interface UserRule {
  verbs: string[];
  resources: string[];
  namespaces?: string[];
  resourceNames?: string[];
}

export interface Behaviour {
  name?: string;
  description?: string;
  /**
   * `namespace/pod` (any container) or `namespace/pod/container` -> log source; a key ending
   * in `#previous` (`namespace/pod#previous`, `namespace/pod/container#previous`) answers
   * `?previous=true` (without one, that is a 400 like a pod that never restarted).
   */
  logs: Record<string, LogSource>;
  /** `namespace/service:port/path` -> response */
  proxy: Record<string, ProxyResponse>;
  providerStatus: ProviderStatusSpec;
  /** `namespace/workload` -> what a replacement pod of that workload gets */
  afterRestart: Record<string, AfterRestart>;
  /** token -> rules (the token is also the user name) */
  users: Record<string, { rules: UserRule[] }>;
  faults: Partial<Faults>;
  /**
   * Sim extension: when the state holds no CustomResourceDefinition at all, CRDs for
   * metallb.io and akash.network are synthesised (default true). Set false to model a
   * cluster without them.
   */
  defaultCrds?: boolean;
  /**
   * Sim extension: offer HTTP/2 by ALPN like kube-apiserver (HTTP/1.1 stays available).
   * Default false: HTTP/1.1 only.
   */
  http2?: boolean;
  /** Sim extension: Kubernetes version reported by /version (default v1.30.4). */
  kubernetesVersion?: string;
  /**
   * Sim extension (default off): components whose state the sim derives from the cluster
   * objects by the upstream rules (model.ts, README "Modelled components"). `true` = all.
   * What the scenario scripts for a modelled component (logs, proxy answers, providerStatus)
   * is its past: it keeps those answers until its pod is (re)created; then, and for a
   * modelled component the scenario scripts nothing for, the model answers. With a component
   * modelled, its `afterRestart` is not used.
   */
  model?: boolean | ModelSpec;
}

/** Which components the sim models (Behaviour `model`). */
export interface ModelSpec {
  /** IP operator (operator-ip:rest or akash-ip-operator:api): discovery, barrier, /health, /usage, logs */
  ipOperator?: boolean;
  /** Provider (StatefulSet akash-provider): discovery of its operators, start-up waiter, /status, logs */
  provider?: boolean;
  /** MetalLB controller metrics (metallb-system/controller:monitoring/metrics) from pools and LoadBalancer Services */
  metallb?: boolean;
  /** Hostname operator (operator-hostname:rest): healthy iff its pod is Running and Ready */
  hostnameOperator?: boolean;
  /**
   * Derive every modelled component at start, even where the scenario (or one it extends)
   * scripts answers for it: the state then follows from the objects alone (default false).
   */
  fromStart?: boolean;
}

export interface SimState {
  objects: KubeObject[];
  behaviour: Behaviour;
  name?: string;
  description?: string;
}

export interface Faults {
  latencyMs: number;
  /** fraction of requests answered 500, deterministic PRNG */
  errorRate: number;
  /** request paths that never answer */
  hang: RegExp[];
  burst429: { remaining: number; retryAfterSeconds: number };
  /**
   * Writes that fail (an interrupted plan): a request whose method and path (regex on the
   * raw path) match answers `status` with a Status body and changes nothing; `times` bounds
   * how often (default: every time). Counted down in place.
   */
  failWrites: FailWrite[];
}

export interface FailWrite {
  method: string;
  path: RegExp;
  status: number;
  times?: number;
  /** true: only server dry runs (`dryRun=All`) fail; false: only real writes; absent: both */
  dryRun?: boolean;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  status: number;
  user: string;
  at: number;
  /** when the request arrived and when its answer was finished (epoch ms, sub-millisecond); endMs is absent while unanswered */
  startMs?: number;
  endMs?: number;
  /** the TLS connection that carried it (1, 2, ... per server, in handshake order) */
  conn?: number;
}

/** New TLS connections (completed handshakes) at the API server and at the provider's :8443. */
export interface TlsCounts {
  api: number;
  provider: number;
}

export interface SimHandle {
  server: string;
  kubeconfigPath: string;
  kubeconfig: string;
  providerUrl: string;
  requests: RequestRecord[];
  providerRequests: RequestRecord[];
  faults: Faults;
  /** clears both request logs and the TLS handshake counts */
  clearRequests(): void;
  /** TLS handshakes since start or the last clearRequests() */
  tlsHandshakes(): TlsCounts;
  addUser(name: string, rules: UserRule[]): Promise<string>;
  objects(): KubeObject[];
  /** The modelled components' state (Behaviour `model`); null when nothing is modelled. */
  model(): ModelState | null;
  /** How the provider's /status answers now (scripted, or as the model set it): `hang` never answers. */
  providerStatusMode(): ProviderStatusSpec['mode'];
  close(): Promise<void>;
}
