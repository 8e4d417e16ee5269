/**
 * Helm 3 release storage, read the way `helm` itself reads it, without the helm
 * binary: release Secrets `sh.helm.release.v1.<name>.v<N>` (labels owner=helm,
 * name, status, version) whose data key `release` holds
 * base64(gzip(JSON)) — and, because a Secret's data is base64 on the wire, one more
 * base64 layer on top. Releases stored by the ConfigMap driver (HELM_DRIVER=configmap)
 * are read as a fallback; their `release` key carries the Helm payload directly.
 *
 * The decoded release holds the provider's wallet key and passphrase (values `key`,
 * `keysecret`) and the rendered manifest: only metadata and the user-supplied values
 * are kept, and values must pass through `redact()` before they reach any output.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Snapshot } from '../../cluster/snapshot.js';
import { ClusterError } from '../../cluster/errors.js';

const GZIP_MAGIC = [0x1f, 0x8b];
/** Upper bound of a decompressed release (real ones are well under 10 MiB). */
const MAX_RELEASE_BYTES = 64 * 1024 * 1024;

/** A release object that exists but cannot be decoded. */
export class HelmDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HelmDecodeError';
  }
}

/** Decode Helm's release payload (the string Helm stores): base64, then gunzip when the gzip magic bytes are present, then JSON. */
export function decodeHelmPayload(payload: string): unknown {
  const raw = Buffer.from(payload.trim(), 'base64');
  if (raw.length === 0) throw new Error('empty release payload');
  let json: Buffer = raw;
  if (raw[0] === GZIP_MAGIC[0] && raw[1] === GZIP_MAGIC[1]) {
    try {
      json = gunzipSync(raw, { maxOutputLength: MAX_RELEASE_BYTES });
    } catch (e) {
      throw new Error(`gzip data is corrupt or too large (${(e as Error).message})`);
    }
  }
  try {
    return JSON.parse(json.toString('utf8'));
  } catch {
    throw new Error('release payload is not JSON after base64/gzip decoding');
  }
}

/** Decode a release Secret's `data.release` as the API returns it (base64 of Helm's payload). */
export function decodeReleaseSecretData(secretData: string): unknown {
  return decodeHelmPayload(Buffer.from(secretData, 'base64').toString('latin1'));
}

/** Inverse of decodeHelmPayload (used by tests and scripts/make-helm-release.mjs's logic). */
export function encodeHelmPayload(release: unknown, gzip = true): string {
  const json = Buffer.from(JSON.stringify(release), 'utf8');
  return (gzip ? gzipSync(json) : json).toString('base64');
}

export interface HelmRevisionRef {
  revision: number;
  status: string;
  /** Secret (or ConfigMap) name holding this revision. */
  object: string;
}

export interface HelmRelease {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  chart: { name: string; version: string; appVersion: string };
  firstDeployed?: string;
  lastDeployed?: string;
  description?: string;
  /** User-supplied values (`helm get values`). Contains secrets: never output without redact(). */
  config: Record<string, unknown>;
  /** Chart default values. Never output without redact(). */
  defaults: Record<string, unknown>;
  storage: 'secret' | 'configmap';
  /** The Secret or ConfigMap the revision was decoded from. */
  object: string;
}

export interface HelmReleaseLookup {
  /** Every stored revision, newest first. */
  revisions: HelmRevisionRef[];
  /** The newest revision whose status is `deployed`, else the newest revision (decoded). */
  release: HelmRelease | null;
  /** The newest revision (may differ from `release` when an upgrade failed or is pending). */
  latest: HelmRevisionRef | null;
  storage: 'secret' | 'configmap' | null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** Shape a decoded release JSON into HelmRelease, dropping the manifest, hooks and templates. */
export function toHelmRelease(json: unknown, storage: 'secret' | 'configmap', object: string): HelmRelease {
  if (!isRecord(json)) throw new Error('release JSON is not an object');
  const info = isRecord(json.info) ? json.info : {};
  const chart = isRecord(json.chart) ? json.chart : {};
  const md = isRecord(chart.metadata) ? chart.metadata : {};
  return {
    name: str(json.name),
    namespace: str(json.namespace),
    revision: Number(json.version ?? 0),
    status: str(info.status),
    chart: { name: str(md.name), version: str(md.version), appVersion: str(md.appVersion) },
    firstDeployed: str(info.first_deployed) || undefined,
    lastDeployed: str(info.last_deployed) || undefined,
    description: str(info.description) || undefined,
    config: isRecord(json.config) ? json.config : {},
    defaults: isRecord(chart.values) ? chart.values : {},
    storage,
    object,
  };
}

interface StoredRevision {
  ref: HelmRevisionRef;
  payload: () => string | undefined;
}

/** Pick the newest deployed revision, else the newest. `revisions` newest first. */
export function pickRevision<T extends { revision: number; status: string }>(revisions: T[]): T | null {
  return revisions.find((r) => r.status === 'deployed') ?? revisions[0] ?? null;
}

async function load(snap: Snapshot, namespace: string, name: string): Promise<HelmReleaseLookup> {
  const selector = { labelSelector: `owner=helm,name=${name}` };
  let storage: 'secret' | 'configmap' = 'secret';
  let stored: StoredRevision[] = (await snap.listSecrets(namespace, selector)).map((s) => ({
    ref: { revision: Number(s.metadata?.labels?.version ?? 0), status: s.metadata?.labels?.status ?? '', object: s.metadata?.name ?? '' },
    payload: () => (s.data?.release ? Buffer.from(s.data.release, 'base64').toString('latin1') : undefined),
  }));
  if (stored.length === 0) {
    // HELM_DRIVER=configmap stores releases as ConfigMaps with the same labels.
    // Rare; when the credentials may not list ConfigMaps, treat it as "no release there".
    const cms = await snap.listConfigMaps(namespace, selector).catch((e: unknown) => {
      if (e instanceof ClusterError && e.kind === 'forbidden') return [];
      throw e;
    });
    if (cms.length > 0) {
      storage = 'configmap';
      stored = cms.map((c) => ({
        ref: { revision: Number(c.metadata?.labels?.version ?? 0), status: c.metadata?.labels?.status ?? '', object: c.metadata?.name ?? '' },
        payload: () => c.data?.release,
      }));
    }
  }
  if (stored.length === 0) return { revisions: [], release: null, latest: null, storage: null };
  stored.sort((a, b) => b.ref.revision - a.ref.revision);
  const chosen = pickRevision(stored.map((s) => ({ ...s.ref, s })))!.s;
  const payload = chosen.payload();
  if (!payload) throw new HelmDecodeError(`Helm release ${storage} ${namespace}/${chosen.ref.object} has no "release" data`);
  let json: unknown;
  try {
    json = decodeHelmPayload(payload);
  } catch (e) {
    throw new HelmDecodeError(`cannot decode Helm release ${storage} ${namespace}/${chosen.ref.object}: ${(e as Error).message}`);
  }
  const release = toHelmRelease(json, storage, chosen.ref.object);
  // the labels are what helm lists by; keep them authoritative for revision and status
  release.revision = chosen.ref.revision || release.revision;
  release.status = chosen.ref.status || release.status;
  return { revisions: stored.map((s) => s.ref), release, latest: stored[0]!.ref, storage };
}

/** The Helm release `name` in `namespace`, memoised for the run (helm-release, helm-values and the attribute checks share it). */
export function helmRelease(snap: Snapshot, namespace: string, name: string): Promise<HelmReleaseLookup> {
  return snap.once(`helm-release:${namespace}/${name}`, () => load(snap, namespace, name));
}

// redaction lives in src/core/redact.ts (one implementation for checks and renderers)
export { redact, isSecretKey, REDACTED } from '../../core/redact.js';

// ---- value helpers -----------------------------------------------------------------

/** Helm values written as bool or string: true / "true" -> true, false / "false" -> false, else undefined. */
export function boolish(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
  }
  return undefined;
}

/** The exact commands to change Helm values of the provider release, pinned to the installed chart version. */
export function providerUpgradeCommands(release: Pick<HelmRelease, 'chart' | 'namespace' | 'name'> | null, setArgs: string[]): string[] {
  const ns = release?.namespace || 'akash-services';
  const name = release?.name || 'akash-provider';
  const version = release?.chart.version ? ` --version ${release.chart.version}` : '';
  return [
    `helm -n ${ns} get values ${name} -o yaml > provider.yaml`,
    `helm upgrade ${name} akash/provider -n ${ns}${version} -f provider.yaml ${setArgs.join(' ')}`.trimEnd(),
  ];
}
