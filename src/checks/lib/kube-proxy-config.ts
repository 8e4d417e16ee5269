/**
 * Pure logic of kube-proxy.strict-arp: parse a KubeProxyConfiguration
 * (ConfigMap kube-system/kube-proxy, key config.conf), read kube-proxy flags,
 * and recognise the kube-proxy replacements that make strictARP irrelevant.
 */
import { parseDocument } from 'yaml';

export type ProxyConfigParse =
  /** hasIpvsSection: a block-style `ipvs:` mapping exists (one a line-based edit can add a key under). */
  | { ok: true; mode: string; strictArp: unknown; hasIpvsSection: boolean }
  | { ok: false; problem: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parse config.conf. `mode` is '' when absent; `strictArp` is the raw value of
 * ipvs.strictARP (undefined when absent). A YAML error gives the parser's
 * message with its line and column.
 */
export function parseKubeProxyConfig(text: string): ProxyConfigParse {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    // the pretty message is "<what> at line L, column C:\n\n<excerpt>": keep the first line
    const line = first.message.split('\n')[0]!.replace(/:\s*$/, '').trim();
    return { ok: false, problem: line };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, problem: (e as Error).message.split('\n')[0]! };
  }
  if (value === null || value === undefined) return { ok: false, problem: 'it is empty' };
  if (!isRecord(value)) return { ok: false, problem: `it is a ${Array.isArray(value) ? 'list' : typeof value}, not a KubeProxyConfiguration mapping` };
  const rawMode = value.mode;
  if (rawMode !== undefined && rawMode !== null && typeof rawMode !== 'string') {
    return { ok: false, problem: `mode is ${JSON.stringify(rawMode)}, not a string` };
  }
  const ipvs = value.ipvs;
  if (ipvs !== undefined && ipvs !== null && !isRecord(ipvs)) return { ok: false, problem: 'ipvs is not a mapping' };
  return {
    ok: true,
    mode: (rawMode ?? '').trim(),
    strictArp: isRecord(ipvs) ? ipvs.strictARP : undefined,
    // block style only (`ipvs:` alone on its line): the insert-under-ipvs sed cannot edit `ipvs: {}`
    hasIpvsSection: isRecord(ipvs) && /^[ \t]*ipvs:[ \t]*\r?$/m.test(text),
  };
}

/** The value of a `--name=value` / `--name value` / bare `--name` flag in an argv, or undefined. */
export function flagValue(argv: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    for (const prefix of [`--${name}`, `-${name}`]) {
      if (a === prefix) {
        const next = argv[i + 1];
        found = next !== undefined && !next.startsWith('-') ? next : 'true';
      } else if (a.startsWith(prefix + '=')) found = a.slice(prefix.length + 1);
    }
  }
  return found;
}

/** Cilium replaces kube-proxy completely when kube-proxy-replacement is "true" or "strict". */
export function ciliumReplacesKubeProxy(value: string | undefined): boolean {
  return value !== undefined && ['true', 'strict'].includes(value.trim().toLowerCase());
}

/** kube-router runs the service proxy unless started with --run-service-proxy=false (its default is true). */
export function kubeRouterRunsServiceProxy(argv: readonly string[]): boolean {
  const v = flagValue(argv, 'run-service-proxy');
  if (v === undefined) return true;
  return !['false', '0', 'f'].includes(v.trim().toLowerCase());
}

/** Go's strconv.ParseBool true values (what the provider's viper/cobra accept). */
export function goBoolTrue(v: string | undefined): boolean {
  return v !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v.trim());
}

/** Go's strconv.ParseBool false values. */
export function goBoolFalse(v: string | undefined): boolean {
  return v !== undefined && ['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v.trim());
}
