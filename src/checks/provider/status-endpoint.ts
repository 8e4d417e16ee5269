import { error, fail, pass, skip, type Check } from '../../core/types.js';
import type { HttpProbeResult } from '../../cluster/snapshot.js';
import type { Finding } from '../../core/types.js';
import { AKASH_NS, findIpOperators, PROVIDER_STS, providerEnv, RESTART_PROVIDER, restartOperatorCommand } from '../lib/akash.js';
import { providerWaitState, RESTART_PROVIDER_POD, WAITABLE_OPERATOR, type ProviderWaitState } from '../lib/provider-log.js';

/** What explains a hang: the provider's start-up wait (its log) and the IP operators (for the restart command). */
interface Explanation {
  st: ProviderWaitState | null;
  ops: Awaited<ReturnType<typeof findIpOperators>>;
}

/**
 * A hanging /status, explained by what the provider's log says about its start-up
 * wait (lib/provider-log.ts): which operator it is waiting for, or a one-shot
 * service discovery that failed and is never retried.
 */
async function timeoutFinding(url: string, probeMs: number, details: Record<string, unknown>, explanation: Promise<Explanation>, deadline: number): Promise<Finding> {
  details.timeoutMs = probeMs;
  const head = `GET ${url} did not answer within ${(probeMs / 1000).toFixed(1)}s`;
  // the hang is established: the explanation is waited for only until shortly before the budget
  // ends, so a slow log read costs the explanation, never the verdict
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), Math.max(0, deadline - Date.now()))));
  const got = await Promise.race([explanation, late]);
  clearTimeout(timer);
  const st = got === 'late' ? null : got.st;
  if (got === 'late') details.providerLog = 'not-read-in-time';
  if (st) Object.assign(details, { providerLogLines: st.lines, providerWaitingFor: st.waitingFor, providerWaitersReady: st.allReady, providerLastWaitError: st.lastError });
  if (st?.discoveryFailed) {
    const d = st.discoveryFailed;
    const op = d.service === 'operator-hostname' ? WAITABLE_OPERATOR.hostname : WAITABLE_OPERATOR.ip;
    details.reason = 'discovery-stuck';
    details.providerDiscoveryFailed = d;
    return fail(`${head}: the provider's one-shot service discovery of ${op.name} Service ${AKASH_NS}/${d.service} failed at start ("dns discovery failed": ${d.error}) and is never retried, so it stays blocked before serving /status; only restarting the provider pod heals it`, {
      details,
      hint: `restart the provider pod (its StatefulSet recreates it and it looks the Service up again): ${RESTART_PROVIDER_POD}; if the ${op.name} checks fail too, fix those first`,
      remedy: { summary: 'restart the provider pod so it discovers its operators again', commands: [RESTART_PROVIDER_POD], fixId: 'provider.restart-pod', params: { namespace: AKASH_NS, pod: `${PROVIDER_STS}-0` } },
    });
  }
  if (st?.waitingFor === 'hostname') {
    const op = WAITABLE_OPERATOR.hostname;
    details.reason = 'waiting-for-hostname-operator';
    return fail(`${head}: the provider is still waiting for the ${op.name} at start (its log: not yet ready … ${st.lastError ?? ''}); it checks the IP operator only after that`, {
      details,
      hint: `look at provider.hostname-operator; restart the hostname operator pod: ${op.restart}`,
      remedy: { summary: 'restart the hostname operator pod', commands: [op.restart] },
    });
  }
  if (st?.waitingFor === 'ip') {
    const ops = got === 'late' ? [] : got.ops;
    const restart = ops.length ? ops.map((o) => restartOperatorCommand(o)) : [WAITABLE_OPERATOR.ip.restart];
    details.reason = 'waiting-for-ip-operator';
    return fail(`${head}: the provider is still waiting for the IP operator at start (its log: not yet ready … ${st.lastError ?? ''})`, {
      details,
      hint: `look at the IP operator (ip-operator.health, ip-operator.barrier); restart its pod: ${restart.join(' && ')}; if /status still hangs, restart the provider: ${RESTART_PROVIDER}`,
      remedy: { summary: 'restart the IP operator pod, then the provider if /status still hangs', commands: [...restart, RESTART_PROVIDER] },
    });
  }
  if (st?.allReady) {
    details.reason = 'hang-after-start';
    return fail(`${head}, although the provider's log says "all waitables ready": it is not waiting for an operator, so the hang is elsewhere (the provider itself, or what routes port 8443 to it)`, {
      details,
      hint: `read the provider log: kubectl -n ${AKASH_NS} logs ${PROVIDER_STS}-0 -c provider --tail=200; check what serves the port: curl -kv ${url}`,
    });
  }
  details.reason = 'hang';
  return fail(`${head}: the provider blocks /status while it waits at start for its operators (always the hostname operator, then the IP operator when enabled); its log ${st ? 'has no waiter lines to say which' : got === 'late' ? 'was not read within the time budget' : 'could not be read'}`, {
    details,
    hint: `read the provider log for "not yet ready": kubectl -n ${AKASH_NS} logs ${PROVIDER_STS}-0 -c provider | grep -E 'not yet ready|all waitables ready|dns discovery failed'; see provider.hostname-operator and ip-operator.health`,
  });
}


/**
 * The /status URL to probe: --provider-url (with /status appended when it has
 * no path), else https://<AKASH_CLUSTER_PUBLIC_HOSTNAME>:8443/status.
 */
export function statusUrl(providerUrl: string | undefined, publicHostname: string | undefined): { url: string; from: 'option' | 'env' } | { problem: string } | null {
  if (providerUrl) {
    let u: URL;
    try {
      u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(providerUrl) ? providerUrl : `https://${providerUrl}`);
    } catch {
      return { problem: `--provider-url "${providerUrl}" is not a URL` };
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return { problem: `--provider-url "${providerUrl}" is not an http(s) URL` };
    if (u.pathname === '' || u.pathname === '/') u.pathname = '/status';
    return { url: u.toString(), from: 'option' };
  }
  const host = publicHostname?.trim();
  if (host) {
    const bare = host.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
    // a bare IPv6 literal (2001:db8::10) has colons but no port: bracket it
    const withPort = /^[0-9a-f:.]+$/i.test(bare) && bare.split(':').length > 2 ? `[${bare}]:8443` : /:\d+$/.test(bare) ? bare : `${bare}:8443`;
    try {
      return { url: new URL(`https://${withPort}/status`).toString(), from: 'env' };
    } catch {
      return { problem: `AKASH_CLUSTER_PUBLIC_HOSTNAME "${host}" is not a usable host name` };
    }
  }
  return null;
}

/** A few identifying fields of a /status answer (never the whole body). */
export function statusSummary(body: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!body || typeof body !== 'object' || Array.isArray(body)) return out;
  const b = body as Record<string, any>;
  const scalar = (v: unknown): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v);
  if (scalar(b.address)) out.address = b.address;
  if (scalar(b.cluster_public_hostname)) out.clusterPublicHostname = b.cluster_public_hostname;
  const leases = b.cluster?.leases;
  if (scalar(leases)) out.leases = leases;
  else if (leases && typeof leases === 'object' && scalar(leases.active)) out.leases = leases.active;
  if (scalar(b.bidengine?.orders)) out.bidengineOrders = b.bidengine.orders;
  if (scalar(b.manifest?.deployments)) out.manifestDeployments = b.manifest.deployments;
  const nodes = b.cluster?.inventory?.available?.nodes;
  if (Array.isArray(nodes)) out.availableNodes = nodes.length;
  return out;
}

function parseJson(body: string | undefined): { ok: true; value: unknown } | { ok: false } {
  const text = (body ?? '').trim();
  if (!text) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function snippet(body: string | undefined): string {
  return (body ?? '').replace(/\s+/g, ' ').trim().slice(0, 120);
}

export const check: Check = {
  id: 'provider.status-endpoint',
  title: 'Provider /status endpoint answers with JSON',
  category: 'provider',
  dependsOn: ['cluster.api'],
  doc: {
    what: "Sends GET to the provider's public status endpoint, https://<AKASH_CLUSTER_PUBLIC_HOSTNAME>:8443/status (or the URL given with --provider-url), accepting its self-signed certificate for this probe only, and expects HTTP 200 with JSON within the time budget (akash-network/provider gateway/rest/router.go:435). While it looks up the address and waits for the answer it reads the provider's log for its start-up wait (operator/waiter/waiter.go:63-78: `not yet ready … waitable=<*hostname.client …>` / `<*ip.client …>`, `all waitables ready`) and its service discovery (cluster/util/service_discovery_agent.go:231: `dns discovery failed … service-name=operator-ip`) to name, when /status hangs, what the provider waits for (a log not read by shortly before the budget ends leaves the hang unexplained, still a failure).",
    why: 'Tenants and Akash Console read this endpoint. At start the provider waits for its operators before serving it: the hostname operator always, then the IP operator when IP leases are on (cmd/provider-services/cmd/run.go:737-745), one at a time, retrying every 2 s. /status hangs while it waits, its liveness probe (/scripts/liveness_checks.sh curls /status) fails and the pod restarts. A discovery of an operator Service that failed once is never retried: then only a restart of the provider pod heals it.',
    fix: 'Follow what the finding names. Waiting for the hostname operator: see provider.hostname-operator and restart its pod (`kubectl -n akash-services delete pod -l app.kubernetes.io/name=hostname`). Waiting for the IP operator: see ip-operator.barrier and restart its pod (`kubectl -n akash-services delete pod -l app.kubernetes.io/name=ip`). Discovery failed once (`dns discovery failed`): restart the provider pod (`kubectl -n akash-services delete pod akash-provider-0`). A refused connection or DNS failure points at the provider pod, its Service/ingress or the DNS record of the provider host name. Test by hand with `curl -ks https://provider.<your-domain>:8443/status`.',
  },
  async run(ctx) {
    const started = Date.now();
    // what the provider's log says about its start-up wait (and the IP operators a restart
    // names), read from the start while the address is looked up and the probe runs (the same
    // reads as provider.hostname-operator's and the IP operator checks', once per run): when
    // /status hangs, the explanation is there when the probe gives up
    const explanation = Promise.all([providerWaitState(ctx.cluster, ctx.signal).catch(() => null), findIpOperators(ctx.cluster).catch(() => [])]).then(([st, ops]) => ({ st, ops }));
    let hostname: string | undefined;
    if (!ctx.options.providerUrl) {
      const env = await providerEnv(ctx.cluster);
      if (!env) {
        return skip(`no provider URL: StatefulSet ${AKASH_NS}/${PROVIDER_STS} was not found to read AKASH_CLUSTER_PUBLIC_HOSTNAME from; pass --provider-url https://provider.<your-domain>:8443`, {
          details: { reason: 'no-statefulset', providerUrl: null },
        });
      }
      hostname = env.vars.get('AKASH_CLUSTER_PUBLIC_HOSTNAME')?.value;
    }
    const target = statusUrl(ctx.options.providerUrl, hostname);
    if (!target) {
      return skip(`no provider URL: AKASH_CLUSTER_PUBLIC_HOSTNAME is not set on StatefulSet ${AKASH_NS}/${PROVIDER_STS}; pass --provider-url https://provider.<your-domain>:8443`, {
        details: { reason: 'no-public-hostname', providerUrl: null },
      });
    }
    if ('problem' in target) return error(`${target.problem}; pass --provider-url https://provider.<your-domain>:8443`, { details: { reason: 'bad-url', providerUrl: null } });

    const { url, from } = target;
    const host = new URL(url).host;
    const spent = Date.now() - started;
    const probeMs = Math.max(500, Math.min(ctx.options.timeoutMs - spent - 1000, Math.floor((ctx.options.timeoutMs - spent) * 0.9)));
    const res: HttpProbeResult = await ctx.cluster.httpProbe(url, { timeoutMs: probeMs, insecure: true, signal: ctx.signal });
    const details: Record<string, unknown> = { reason: res.outcome, url, urlFrom: from === 'option' ? '--provider-url' : 'AKASH_CLUSTER_PUBLIC_HOSTNAME', outcome: res.outcome, elapsedMs: res.elapsedMs };
    if (res.errorCode) details.errorCode = res.errorCode;

    switch (res.outcome) {
      case 'timeout':
        return timeoutFinding(url, probeMs, details, explanation, started + ctx.options.timeoutMs - 250);
      case 'refused':
        return fail(`connection to ${host} refused: nothing listens on that port (provider pod down, its Service/ingress missing, or a wrong host or port)`, {
          details,
          hint: `Check the provider pod and how port 8443 reaches it: kubectl -n ${AKASH_NS} get pods,svc -l app.kubernetes.io/name=provider; then curl -ks ${url}`,
        });
      case 'dns':
        return fail(`host name ${new URL(url).hostname} does not resolve (${res.errorCode ?? 'DNS failure'}): the provider's DNS record is missing or wrong`, {
          details,
          hint: `Create or fix the DNS A record of ${new URL(url).hostname} (it must point at the provider's public IP), or pass the right --provider-url; test with: dig +short ${new URL(url).hostname}`,
        });
      case 'tls':
        return fail(`TLS handshake with ${host} failed (${res.errorCode ?? 'TLS error'}), even with self-signed certificates accepted: something other than the provider answers on this port`, {
          details,
          hint: `Check what serves ${host}: curl -kv ${url}`,
        });
      case 'network':
        return fail(`GET ${url} failed with a network error (${res.errorCode ?? 'unknown'})`, {
          details,
          hint: `Check the network path to ${host} (firewall, port forwarding): curl -ks ${url}`,
        });
      case 'ok':
        break;
    }
    details.httpStatus = res.status;
    details.contentType = res.contentType ?? '';
    const parsed = parseJson(res.body);
    if (res.status !== 200) {
      details.reason = 'http-error';
      details.bodySnippet = snippet(res.body);
      return fail(`GET ${url} answered HTTP ${res.status}${parsed.ok ? '' : ' (not JSON)'}, not 200: the provider reports an error`, {
        details,
        hint: `Read the provider log for the cause: kubectl -n ${AKASH_NS} logs ${PROVIDER_STS}-0 --tail=100`,
      });
    }
    if (!parsed.ok) {
      details.reason = 'not-json';
      details.bodySnippet = snippet(res.body);
      return fail(`GET ${url} answered 200 but the body is not JSON (content-type ${res.contentType || 'none'}): something other than the Akash provider answers there`, {
        details,
        hint: `Check that ${host} routes to the provider pod's port 8443 and not to an ingress or web server: curl -ks ${url}`,
      });
    }
    Object.assign(details, statusSummary(parsed.value));
    details.reason = 'ok';
    return pass(`GET ${url} answered 200 with JSON in ${res.elapsedMs} ms`, { details });
  },
};
