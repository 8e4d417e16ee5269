/**
 * The Akash chain REST API (LCD / gRPC gateway), for the provider's on-chain
 * attributes. `GET <api>/akash/provider/v1beta4/providers/{owner}` on nodes ≥ 1.0,
 * `v1beta3` on older nodes: an unknown route answers 404 or 501, so fall back on those.
 */

export const CHAIN_TIMEOUT_MS = 10_000;
export const PROVIDER_API_VERSIONS = ['v1beta4', 'v1beta3'] as const;

export interface ChainAttribute {
  key: string;
  value: string;
}

export type ChainProviderResult =
  | { outcome: 'found'; apiVersion: string; url: string; owner: string; hostUri?: string; attributes: ChainAttribute[] }
  /** Every API version answered 404 (the provider is not registered, or the address is wrong). */
  | { outcome: 'not-found'; url: string; tried: string[]; message?: string }
  /** Unreachable, timeout, unexpected status or body. */
  | { outcome: 'error'; url: string; reason: string };

function baseUrl(api: string): string {
  return api.trim().replace(/\/+$/, '');
}

/** Fetch a provider from the chain REST API, trying v1beta4 then v1beta3. Never throws. */
export async function fetchChainProvider(api: string, owner: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ChainProviderResult> {
  const tried: string[] = [];
  let lastNotFound: { url: string; message?: string } | null = null;
  // loaded here, not with the registry: `list` and `explain` need no HTTP client
  const { request } = await import('undici');
  for (const v of PROVIDER_API_VERSIONS) {
    const url = `${baseUrl(api)}/akash/provider/${v}/providers/${encodeURIComponent(owner)}`;
    tried.push(v);
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? CHAIN_TIMEOUT_MS);
    let status: number;
    let text: string;
    try {
      const res = await request(url, {
        method: 'GET',
        headers: { accept: 'application/json' },
        signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
        headersTimeout: opts.timeoutMs ?? CHAIN_TIMEOUT_MS,
        bodyTimeout: opts.timeoutMs ?? CHAIN_TIMEOUT_MS,
      });
      status = res.statusCode;
      text = (await res.body.text()).slice(0, 1 << 20);
    } catch (err) {
      return { outcome: 'error', url, reason: describeNetError(err) };
    }
    if (status === 404 || status === 501) {
      lastNotFound = { url, message: bodyMessage(text) };
      continue;
    }
    if (status !== 200) return { outcome: 'error', url, reason: `HTTP ${status}${bodyMessage(text) ? `: ${bodyMessage(text)}` : ''}` };
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      return { outcome: 'error', url, reason: 'the answer is not JSON' };
    }
    const p = json?.provider;
    if (!p || typeof p !== 'object') return { outcome: 'error', url, reason: 'the answer has no "provider" object' };
    const attributes: ChainAttribute[] = (Array.isArray(p.attributes) ? p.attributes : [])
      .filter((a: unknown) => a && typeof a === 'object')
      .map((a: any) => ({ key: String(a.key ?? ''), value: String(a.value ?? '') }));
    return { outcome: 'found', apiVersion: v, url, owner: String(p.owner ?? owner), hostUri: typeof p.host_uri === 'string' ? p.host_uri : undefined, attributes };
  }
  return { outcome: 'not-found', url: lastNotFound?.url ?? baseUrl(api), tried, message: lastNotFound?.message };
}

function bodyMessage(text: string): string | undefined {
  try {
    const j = JSON.parse(text);
    if (j && typeof j.message === 'string') return j.message.slice(0, 200);
  } catch {
    /* not JSON */
  }
  const t = text.trim().split('\n')[0]?.slice(0, 120);
  return t || undefined;
}

function describeNetError(err: unknown): string {
  let e: any = err;
  for (let i = 0; i < 5 && e; i++, e = e.cause) {
    if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') return `no answer within ${CHAIN_TIMEOUT_MS / 1000}s`;
    if (e.name === 'AbortError') return 'aborted';
    if (typeof e.code === 'string') return `${e.code}${e.message ? ` (${String(e.message).split('\n')[0]})` : ''}`;
  }
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

/** A plausible Akash account address (bech32, prefix akash). */
export function isAkashAddress(s: string | undefined | null): s is string {
  return typeof s === 'string' && /^akash1[02-9ac-hj-np-z]{38}$/.test(s.trim());
}
