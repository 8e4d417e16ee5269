/**
 * The simulated cluster: a Kubernetes API server over real HTTPS on 127.0.0.1, fed by a
 * scenario (Kubernetes YAML + Behaviour documents), plus the provider's :8443 responder.
 *
 *   const sim = await startSim(await loadScenario('healthy-helm'));
 *   // sim.kubeconfigPath works with @kubernetes/client-node and real kubectl
 *   await sim.close();
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { simCerts } from './certs.js';
import { installControllers } from './controllers.js';
import { installModel } from './model.js';
import { kubeconfigText, writeKubeconfig } from './kubeconfig.js';
import { ProviderResponder } from './provider.js';
import { ApiServer } from './server.js';
import { Store } from './store.js';
import type { Faults, KubeObject, ModelState, RequestRecord, SimHandle, SimState, UserRule } from './types.js';
import { World } from './world.js';

export type {
  AfterRestart,
  Behaviour,
  FailWrite,
  Faults,
  KubeObject,
  LogGenerator,
  LogLineSpec,
  LogSource,
  ModelSpec,
  ModelState,
  ProviderStatusSpec,
  ProxyResponse,
  RequestRecord,
  SimHandle,
  SimState,
  TlsCounts,
  UserRule,
} from './types.js';
export { listScenarios, loadScenario, parseState } from './state.js';

function token(prefix: string): string {
  return `${prefix}-${randomBytes(18).toString('base64url')}`;
}

/**
 * Temp dirs (private keys, tokens) of sims not closed yet: removed when the process exits
 * without close(), and on SIGINT/SIGTERM (Ctrl-C during `demo` or `sim serve`). The signal
 * listeners live only while a sim is open; when nobody else listens for the signal, the
 * process then exits as the signal would have made it (128 + signal number).
 */
const liveDirs = new Set<string>();
let exitHook = false;

function removeLiveDirs(): void {
  for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
}

const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
const signalListeners = new Map<NodeJS.Signals, () => void>();

function watchSignals(on: boolean): void {
  for (const sig of Object.keys(SIGNAL_CODES) as (keyof typeof SIGNAL_CODES)[]) {
    const have = signalListeners.get(sig);
    if (on && !have) {
      const listener = () => {
        removeLiveDirs();
        // someone else (e.g. `sim serve`) handles the signal: let them shut down gracefully
        if (process.listenerCount(sig) <= 1) process.exit(SIGNAL_CODES[sig]);
      };
      signalListeners.set(sig, listener);
      process.on(sig, listener);
    } else if (!on && have) {
      process.removeListener(sig, have);
      signalListeners.delete(sig);
    }
  }
}

function forget(dir: string): void {
  liveDirs.delete(dir);
  if (liveDirs.size === 0) watchSignals(false);
}

export async function startSim(state: SimState, opts: Partial<Faults> = {}): Promise<SimHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'akash-ip-doctor-sim-'));
  liveDirs.add(dir);
  watchSignals(true);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', removeLiveDirs);
  }
  try {
    const certs = await simCerts(dir);
    const behaviour = state.behaviour;
    const store = new Store();
    store.load(structuredClone(state.objects), { defaultCrds: behaviour.defaultCrds !== false });

    const bf = behaviour.faults ?? {};
    const faults: Faults = {
      latencyMs: opts.latencyMs ?? bf.latencyMs ?? 0,
      errorRate: opts.errorRate ?? bf.errorRate ?? 0,
      hang: opts.hang ?? bf.hang ?? [],
      burst429: { ...(opts.burst429 ?? bf.burst429 ?? { remaining: 0, retryAfterSeconds: 1 }) },
      failWrites: (opts.failWrites ?? bf.failWrites ?? []).map((w) => ({ ...w })),
    };
    const requests: RequestRecord[] = [];
    const providerRequests: RequestRecord[] = [];

    const provider = new ProviderResponder(certs.providerCert, certs.providerKey, { ...behaviour.providerStatus }, providerRequests);
    await provider.start();
    const world = new World(store, behaviour, provider);
    installControllers(world);
    const model = installModel(world, behaviour);

    const api = new ApiServer(world, certs, faults, requests, { http2: behaviour.http2 === true });
    const adminToken = token('admin');
    api.tokens.set(adminToken, { name: 'admin', admin: true, rules: [] });
    for (const [tok, u] of Object.entries(behaviour.users ?? {})) {
      api.tokens.set(tok, { name: tok, admin: false, rules: u?.rules ?? [] });
    }
    const port = await api.listen();
    const server = `https://127.0.0.1:${port}`;
    const kubeconfig = kubeconfigText({ server, caCert: certs.caCert, user: 'admin', token: adminToken, context: 'sim' });
    const kubeconfigPath = await writeKubeconfig(dir, 'kubeconfig', kubeconfig);

    let closed: Promise<void> | undefined;
    const handle: SimHandle = {
      server,
      kubeconfigPath,
      kubeconfig,
      providerUrl: provider.url,
      requests,
      providerRequests,
      faults,
      clearRequests() {
        api.clearRequests();
      },
      tlsHandshakes() {
        return api.tlsHandshakes();
      },
      async addUser(name: string, rules: UserRule[]): Promise<string> {
        if (!/^[A-Za-z0-9_.:@-]+$/.test(name)) throw new Error(`invalid user name: ${name}`);
        const tok = token(name.replace(/[^A-Za-z0-9]/g, ''));
        api.tokens.set(tok, { name, admin: false, rules });
        const text = kubeconfigText({ server, caCert: certs.caCert, user: name, token: tok, context: name });
        return writeKubeconfig(dir, `kubeconfig-${name}`, text);
      },
      objects(): KubeObject[] {
        return store.all();
      },
      model() {
        return model ? model.state() : null;
      },
      providerStatusMode() {
        return provider.spec.mode;
      },
      close(): Promise<void> {
        closed ??= (async () => {
          world.close();
          await Promise.all([api.close(), provider.close()]);
          await rm(dir, { recursive: true, force: true });
          forget(dir);
        })();
        return closed;
      },
    };
    return handle;
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    forget(dir);
    throw e;
  }
}

/**
 * A kubeconfig for one of the Behaviour's token users (the token is the user name), next to
 * the admin one: how `demo` runs a scenario as the restricted user it describes.
 */
export async function kubeconfigForUser(sim: SimHandle, user: string): Promise<string> {
  if (!/^[A-Za-z0-9_.:@-]+$/.test(user)) throw new Error(`invalid user name: ${user}`);
  const cfg = parseYaml(sim.kubeconfig) as { clusters: { cluster: { 'certificate-authority-data': string } }[] };
  const caCert = Buffer.from(cfg.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString('utf8');
  const text = kubeconfigText({ server: sim.server, caCert, user, token: user, context: user });
  return writeKubeconfig(dirname(sim.kubeconfigPath), `kubeconfig-user-${user.replace(/[^A-Za-z0-9_.-]/g, '_')}`, text);
}

/**
 * Poll the modelled state (Behaviour `model`) until `pred` holds; resolves with that state.
 * Rejects after `timeoutMs` (default 20 s) with the last state in the message.
 *
 *   await waitForModel(sim, (m) => m.ipOperators['operator-ip']?.unlocked === true);
 */
export async function waitForModel(
  sim: SimHandle,
  pred: (m: ModelState) => boolean,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<ModelState> {
  const end = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const m = sim.model();
    if (!m) throw new Error('nothing is modelled in this sim (Behaviour model is off)');
    if (pred(m)) return m;
    if (Date.now() > end) throw new Error(`modelled state not reached in time; last: ${JSON.stringify(m)}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}
