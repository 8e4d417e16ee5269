/**
 * Fixtures for the provider / IP-operator check tests: scenario variants built in code
 * (remove / replace objects, override behaviour) and Helm release Secrets.
 */
import { loadScenario, type KubeObject, type SimState } from '../src/sim/index.js';
import { encodeHelmPayload } from '../src/checks/lib/helm.js';

export const PROVIDER_CHECKS = [
  'cluster.permissions',
  'provider.helm-release',
  'provider.helm-values',
  'provider.ip-lease-attribute',
  'provider.onchain-attribute',
  'provider.pod',
  'ip-operator.crd',
  'ip-operator.installed',
  'ip-operator.provider-address',
  'ip-operator.health',
  'ip-operator.usage',
];

export const FROM = 'akash1xmz9es9ay9ln9x2m3q8dlu0alxf0ltce7ykjfx';
export const GUIDE_EXAMPLE = 'akash1hwmenz63dp59uve5ytea09suwgr47y3rn9902y';
export const SECRET_KEY = 'SIMULATED-PRIVATE-KEY-DO-NOT-PRINT';
export const SECRET_PASS = 'U0lNVUxBVEVELUtFWVNFQ1JFVA==';

export const BASE_VALUES = {
  from: FROM,
  key: SECRET_KEY,
  keysecret: SECRET_PASS,
  domain: 'example.com',
  node: 'http://akash-node-1:26657',
  withdrawalperiod: '24h',
  attributes: [
    { key: 'region', value: 'eu-west' },
    { key: 'host', value: 'akash' },
    { key: 'tier', value: 'community' },
    { key: 'organization', value: 'example' },
    { key: 'ip-lease', value: true },
  ],
  ipoperator: true,
};

const key = (o: Pick<KubeObject, 'kind' | 'metadata'>) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export interface Variant {
  remove?: string[];
  /** Replace (same Kind/namespace/name) or add. */
  put?: KubeObject[];
  /** Edit objects in place (after remove/put). */
  edit?: (objects: KubeObject[]) => void;
  proxy?: SimState['behaviour']['proxy'];
}

/** A scenario with changes applied in code (for cases that need no scenario file). */
export async function variant(base: string, v: Variant): Promise<SimState> {
  const state = structuredClone(await loadScenario(base));
  const removed = new Set(v.remove ?? []);
  const replaced = new Set((v.put ?? []).map(key));
  const missing = [...removed].filter((r) => !state.objects.some((o) => key(o) === r));
  if (missing.length) throw new Error(`variant of ${base}: nothing to remove for ${missing.join(', ')}`);
  state.objects = [...state.objects.filter((o) => !removed.has(key(o)) && !replaced.has(key(o))), ...(v.put ?? [])];
  v.edit?.(state.objects);
  if (v.proxy) state.behaviour.proxy = { ...state.behaviour.proxy, ...v.proxy };
  return state;
}

export function find(objects: KubeObject[], k: string): any {
  const o = objects.find((x) => key(x) === k);
  if (!o) throw new Error(`no object ${k}`);
  return o;
}

/** A Helm release Secret as Helm stores it (Secret data = base64 of Helm's base64(gzip(JSON))). */
export function helmSecret(revision: number, status: string, config: Record<string, unknown>, opts: { gzip?: boolean; chartVersion?: string } = {}): KubeObject {
  const release = {
    name: 'akash-provider',
    namespace: 'akash-services',
    version: revision,
    info: { first_deployed: '2026-10-01T10:00:00Z', last_deployed: '2026-11-20T08:00:00Z', deleted: '', description: 'test', status },
    chart: { metadata: { name: 'provider', version: opts.chartVersion ?? '11.6.0', appVersion: '0.16.1', apiVersion: 'v2' }, values: { ipoperator: false } },
    config,
    manifest: `---\n# rendered Secret with the key\nkey.txt: ${Buffer.from(SECRET_KEY).toString('base64')}\n`,
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'helm.sh/release.v1',
    metadata: { name: `sh.helm.release.v1.akash-provider.v${revision}`, namespace: 'akash-services', labels: { name: 'akash-provider', owner: 'helm', status, version: String(revision) } },
    data: { release: Buffer.from(encodeHelmPayload(release, opts.gzip ?? true), 'latin1').toString('base64') },
  } as KubeObject;
}

export const RELEASE_V1 = 'Secret/akash-services/sh.helm.release.v1.akash-provider.v1';
export const RELEASE_V2 = 'Secret/akash-services/sh.helm.release.v1.akash-provider.v2';

/** Remove the current IP operator layout completely. */
export const NEW_OPERATOR_OBJECTS = [
  'Deployment/akash-services/operator-ip',
  'ReplicaSet/akash-services/operator-ip-6f9c7b',
  'Pod/akash-services/operator-ip-6f9c7b-x2x9k',
  'Service/akash-services/operator-ip',
  'ConfigMap/akash-services/operator-ip',
];
