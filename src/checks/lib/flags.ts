/**
 * One reader for the settings of an Akash binary (provider-services: the provider and
 * its operators), the way the binary itself resolves them:
 *
 * - Command line, parsed like spf13/pflag: `--name=value` or `--name value` for value
 *   flags; a bool flag takes its value only as `--name=value` (a bare `--name` is true
 *   and a following `false` is a positional argument, not a value); the last
 *   occurrence wins; `--` ends the flags. Single-dash long names are not flags.
 * - Environment, bound by prefix: provider-services binds every flag to env
 *   `<PREFIX>_<FLAG_NAME>` (upper case, `-` → `_`) for the prefixes `AP` and `AKASH`
 *   (akash-network/provider:cmd/provider-services/cmd/root.go:31,
 *   `GetPersistentPreRunE(encodingConfig, []string{"AP", "AKASH"})`). A flag given on the
 *   command line wins over the environment (cobra/viper: an env value only applies to a
 *   flag that was not Changed).
 * - The container's environment as the kubelet builds it: `envFrom` sources in order
 *   (a later source wins), then `env` entries (they win over envFrom; a later duplicate
 *   wins); `valueFrom.configMapKeyRef` is read, `secretKeyRef` / `envFrom.secretRef` are
 *   never read (the value stays unknown), `fieldRef` is not a literal value.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Snapshot } from '../../cluster/snapshot.js';

export const ENV_PREFIXES = ['AP', 'AKASH'] as const;

// ---- container environment ---------------------------------------------------------

export interface EnvValue {
  /** Undefined when the value comes from a Secret (never read), a fieldRef, or cannot be resolved. */
  value?: string;
  /** Where it came from: `env`, `configmap <name>` (envFrom), `configmap <name> key <k>` (valueFrom), `secret <name>`, `fieldRef`. */
  source: string;
  /** The value comes from a Secret and was not read. */
  secret?: boolean;
}

export interface ContainerEnv {
  /** The effective value of each variable. A Secret read through envFrom is listed as `<prefix>*`. */
  vars: Map<string, EnvValue>;
  /** ConfigMaps referenced but missing (optional ones are not listed). */
  missingConfigMaps: string[];
}

/** Resolve a container's environment the way the kubelet would (Secrets are never read). */
export async function containerEnv(snap: Snapshot, namespace: string, container: k8s.V1Container): Promise<ContainerEnv> {
  const vars = new Map<string, EnvValue>();
  const missingConfigMaps: string[] = [];
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef?.name) {
      const name = from.configMapRef.name;
      const cm = await snap.getConfigMap(namespace, name);
      if (!cm) {
        if (!from.configMapRef.optional) missingConfigMaps.push(name);
        continue;
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) vars.set(prefix + k, { value: v, source: `configmap ${name}` });
    } else if (from.secretRef?.name) {
      // Secret values are never read; only note that a Secret is a source.
      vars.set(`${prefix}*`, { source: `secret ${from.secretRef.name}`, secret: true });
    }
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) vars.set(e.name, { value: e.value, source: 'env' });
    else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const cm = ref.name ? await snap.getConfigMap(namespace, ref.name) : null;
      if (!cm && ref.name && !ref.optional) missingConfigMaps.push(ref.name);
      vars.set(e.name, { value: cm?.data?.[ref.key], source: `configmap ${ref.name} key ${ref.key}` });
    } else if (e.valueFrom?.secretKeyRef) vars.set(e.name, { source: `secret ${e.valueFrom.secretKeyRef.name} key ${e.valueFrom.secretKeyRef.key}`, secret: true });
    else if (e.valueFrom?.fieldRef) vars.set(e.name, { source: 'fieldRef' });
    else if (e.valueFrom?.resourceFieldRef) vars.set(e.name, { source: 'resourceFieldRef' });
    else vars.set(e.name, { value: '', source: 'env' });
  }
  return { vars, missingConfigMaps: [...new Set(missingConfigMaps)] };
}

// ---- command line (pflag) ------------------------------------------------------------

export interface FlagHit {
  /** The flag's value as pflag would set it. */
  value: string;
  /** The token(s) as written, for messages: `--ip-operator=false`, `--provider akash1…`. */
  written: string;
  /** A bool flag written `--name value`: the value token is NOT the flag's value. */
  strayValue?: string;
}

/**
 * The value pflag gives flag `name` in `argv` (last occurrence wins), or undefined when the
 * flag is not on the command line.
 */
export function pflagValue(argv: readonly string[], name: string, opts: { bool?: boolean } = {}): FlagHit | undefined {
  const long = `--${name}`;
  let hit: FlagHit | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith(long + '=')) {
      hit = { value: a.slice(long.length + 1), written: a };
    } else if (a === long) {
      if (opts.bool) {
        const next = argv[i + 1];
        hit = { value: 'true', written: a, ...(next !== undefined && /^(true|false|[01tTfF]|TRUE|FALSE|True|False)$/.test(next) ? { strayValue: next } : {}) };
      } else if (i + 1 < argv.length) {
        hit = { value: argv[i + 1]!, written: `${a} ${argv[i + 1]}` };
        i++;
      } else {
        // pflag: "flag needs an argument" - the binary refuses to start
        hit = { value: '', written: a };
      }
    }
  }
  return hit;
}

/** The env names a flag binds to: `ip-operator` → AP_IP_OPERATOR, AKASH_IP_OPERATOR. */
export function envNamesFor(flag: string): string[] {
  const suffix = flag.toUpperCase().replace(/-/g, '_');
  return ENV_PREFIXES.map((p) => `${p}_${suffix}`);
}

/** Go's strconv.ParseBool true values (what pflag/viper accept). */
export function goBoolTrue(v: string | undefined): boolean {
  return v !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v.trim());
}

/** Go's strconv.ParseBool false values. */
export function goBoolFalse(v: string | undefined): boolean {
  return v !== undefined && ['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v.trim());
}

// ---- one setting ---------------------------------------------------------------------

export interface SettingSpec {
  /** The flag name without dashes, e.g. `provider`, `metal-lb-pool`, `ip-operator`. */
  flag: string;
  bool?: boolean;
  /** Names that look like this setting but that the binary does not read (env names or `--flags`). */
  lookalikes?: string[];
}

export interface Setting {
  flag: string;
  /** `flag`, `env`, or null when the setting is not given anywhere. */
  via: 'flag' | 'env' | null;
  /** The effective value; undefined when not set or when it comes from a Secret / fieldRef (unknown). */
  value?: string;
  /** Human description of where it came from: `args --provider`, `env AP_PROVIDER (configmap operator-ip key provider-address)`. */
  source: string | null;
  /** The env variable that supplied the value. */
  envName?: string;
  /** The value exists but is not readable (Secret). */
  unreadable?: boolean;
  /** `--flag value` for a bool flag: the value token is ignored by the binary. */
  strayValue?: string;
  /** Lookalike names present in the container, which the binary ignores. */
  lookalikes: { name: string; value?: string; source: string }[];
  /** Env names of this setting that are set but lose (to the flag, or to each other). */
  shadowed: { name: string; value?: string; source: string }[];
  /** ConfigMaps the container references that are missing. */
  missingConfigMaps: string[];
  /** A Secret is read whole through envFrom: it might hold the setting (unknown). */
  secretSources: string[];
}

function describeEnv(name: string, v: EnvValue): string {
  return v.source === 'env' ? `env ${name}` : `env ${name} (${v.source})`;
}

/**
 * The effective value of one setting of a provider-services container: the command-line
 * flag, else env `AP_<FLAG>` / `AKASH_<FLAG>` (literal, ConfigMap key, envFrom ConfigMap).
 * When both env names are set with different values, the first of AP_/AKASH_ is reported
 * and the other is listed in `shadowed` (which one the binary takes is not relied on).
 */
export async function readSetting(snap: Snapshot, namespace: string, container: k8s.V1Container, spec: SettingSpec, env?: ContainerEnv): Promise<Setting> {
  const e = env ?? (await containerEnv(snap, namespace, container));
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  const out: Setting = { flag: spec.flag, via: null, source: null, lookalikes: [], shadowed: [], missingConfigMaps: e.missingConfigMaps, secretSources: [] };
  for (const l of spec.lookalikes ?? []) {
    if (l.startsWith('--')) {
      const hit = pflagValue(argv, l.slice(2));
      if (hit) out.lookalikes.push({ name: l, value: hit.value, source: `args ${hit.written}` });
    } else {
      const v = e.vars.get(l);
      if (v) out.lookalikes.push({ name: l, ...(v.value !== undefined ? { value: v.value } : {}), source: describeEnv(l, v) });
    }
  }
  const envHits = envNamesFor(spec.flag)
    .map((n) => ({ name: n, v: e.vars.get(n) }))
    .filter((x): x is { name: string; v: EnvValue } => x.v !== undefined);
  const flag = pflagValue(argv, spec.flag, { bool: spec.bool });
  if (flag) {
    out.via = 'flag';
    out.value = flag.value;
    out.source = `args ${flag.written}`;
    if (flag.strayValue !== undefined) out.strayValue = flag.strayValue;
    out.shadowed = envHits.map(({ name, v }) => ({ name, ...(v.value !== undefined ? { value: v.value } : {}), source: describeEnv(name, v) }));
    return out;
  }
  if (envHits.length > 0) {
    const [first, ...rest] = envHits;
    out.via = 'env';
    out.envName = first!.name;
    out.source = describeEnv(first!.name, first!.v);
    if (first!.v.value !== undefined) out.value = first!.v.value;
    else out.unreadable = true;
    out.shadowed = rest.map(({ name, v }) => ({ name, ...(v.value !== undefined ? { value: v.value } : {}), source: describeEnv(name, v) }));
    return out;
  }
  out.secretSources = [...e.vars.entries()].filter(([k, v]) => k.endsWith('*') && v.secret && envNamesFor(spec.flag).some((n) => n.startsWith(k.slice(0, -1)))).map(([, v]) => v.source);
  return out;
}

/** The container named `name` in a pod spec, else the first one. */
export function pickContainer(spec: k8s.V1PodSpec | undefined, name: string): k8s.V1Container | undefined {
  return spec?.containers?.find((c) => c.name === name) ?? spec?.containers?.[0];
}
