/**
 * Server-side printing: `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` gets a
 * meta.k8s.io/v1 Table with the usual kubectl columns for the common kinds.
 */
import type { ResourceDef } from './registry.js';
import type { KubeObject } from './types.js';

export function wantsTable(accept: string): boolean {
  const first = accept.split(',')[0] ?? '';
  return /(^|;)\s*as=Table\b/.test(first) && /g=meta\.k8s\.io/.test(first);
}

export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (h < 24 * 365 * 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

type Col = { name: string; type?: string; format?: string; priority?: number; cell: (o: any) => unknown };

function age(o: KubeObject): string {
  const t = Date.parse(String(o.metadata.creationTimestamp ?? ''));
  return Number.isFinite(t) ? humanDuration(Date.now() - t) : '<unknown>';
}

const NAME: Col = { name: 'Name', format: 'name', cell: (o) => o.metadata.name };
const AGE: Col = { name: 'Age', cell: age };

function podReady(o: any): string {
  const cs = (o.status?.containerStatuses ?? []) as { ready?: boolean }[];
  const total = (o.spec?.containers ?? []).length;
  return `${cs.filter((c) => c.ready).length}/${total}`;
}
function podStatus(o: any): string {
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  for (const c of (o.status?.containerStatuses ?? []) as any[]) {
    if (c.state?.waiting?.reason) return c.state.waiting.reason;
    if (c.state?.terminated?.reason) return c.state.terminated.reason;
  }
  return o.status?.reason ?? o.status?.phase ?? 'Unknown';
}
function restarts(o: any): number {
  return ((o.status?.containerStatuses ?? []) as { restartCount?: number }[]).reduce((a, c) => a + (c.restartCount ?? 0), 0);
}
function svcPorts(o: any): string {
  const ps = (o.spec?.ports ?? []) as any[];
  if (!ps.length) return '<none>';
  return ps.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}
function externalIp(o: any): string {
  const ing = (o.status?.loadBalancer?.ingress ?? []) as { ip?: string; hostname?: string }[];
  if (o.spec?.type === 'LoadBalancer') return ing.length ? ing.map((i) => i.ip ?? i.hostname).join(',') : '<pending>';
  return (o.spec?.externalIPs ?? []).join(',') || '<none>';
}

const COLUMNS: Record<string, Col[]> = {
  namespaces: [NAME, { name: 'Status', cell: (o) => o.status?.phase ?? 'Active' }, AGE],
  pods: [
    NAME,
    { name: 'Ready', cell: podReady },
    { name: 'Status', cell: podStatus },
    { name: 'Restarts', type: 'integer', cell: restarts },
    AGE,
    { name: 'IP', priority: 1, cell: (o) => o.status?.podIP ?? '<none>' },
    { name: 'Node', priority: 1, cell: (o) => o.spec?.nodeName ?? '<none>' },
  ],
  services: [
    NAME,
    { name: 'Type', cell: (o) => o.spec?.type ?? 'ClusterIP' },
    { name: 'Cluster-IP', cell: (o) => o.spec?.clusterIP ?? '<none>' },
    { name: 'External-IP', cell: externalIp },
    { name: 'Port(s)', cell: svcPorts },
    AGE,
    { name: 'Selector', priority: 1, cell: (o) => Object.entries(o.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>' },
  ],
  deployments: [
    NAME,
    { name: 'Ready', cell: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}` },
    { name: 'Up-to-date', type: 'integer', cell: (o) => o.status?.updatedReplicas ?? 0 },
    { name: 'Available', type: 'integer', cell: (o) => o.status?.availableReplicas ?? 0 },
    AGE,
  ],
  statefulsets: [NAME, { name: 'Ready', cell: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}` }, AGE],
  daemonsets: [
    NAME,
    { name: 'Desired', type: 'integer', cell: (o) => o.status?.desiredNumberScheduled ?? 0 },
    { name: 'Current', type: 'integer', cell: (o) => o.status?.currentNumberScheduled ?? 0 },
    { name: 'Ready', type: 'integer', cell: (o) => o.status?.numberReady ?? 0 },
    { name: 'Up-to-date', type: 'integer', cell: (o) => o.status?.updatedNumberScheduled ?? 0 },
    { name: 'Available', type: 'integer', cell: (o) => o.status?.numberAvailable ?? 0 },
    { name: 'Node Selector', cell: (o) => Object.entries(o.spec?.template?.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>' },
    AGE,
  ],
  replicasets: [
    NAME,
    { name: 'Desired', type: 'integer', cell: (o) => o.spec?.replicas ?? 0 },
    { name: 'Current', type: 'integer', cell: (o) => o.status?.replicas ?? 0 },
    { name: 'Ready', type: 'integer', cell: (o) => o.status?.readyReplicas ?? 0 },
    AGE,
  ],
  configmaps: [NAME, { name: 'Data', type: 'integer', cell: (o) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length }, AGE],
  secrets: [NAME, { name: 'Type', cell: (o) => o.type ?? 'Opaque' }, { name: 'Data', type: 'integer', cell: (o) => Object.keys(o.data ?? {}).length }, AGE],
  nodes: [
    NAME,
    {
      name: 'Status',
      cell: (o) => {
        const ready = ((o.status?.conditions ?? []) as any[]).find((c) => c.type === 'Ready');
        const s = ready?.status === 'True' ? 'Ready' : 'NotReady';
        return o.spec?.unschedulable ? `${s},SchedulingDisabled` : s;
      },
    },
    {
      name: 'Roles',
      cell: (o) =>
        Object.keys(o.metadata.labels ?? {})
          .filter((k) => k.startsWith('node-role.kubernetes.io/'))
          .map((k) => k.slice('node-role.kubernetes.io/'.length))
          .join(',') || '<none>',
    },
    AGE,
    { name: 'Version', cell: (o) => o.status?.nodeInfo?.kubeletVersion ?? '' },
  ],
  events: [
    { name: 'Last Seen', cell: (o) => { const t = Date.parse(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp); return Number.isFinite(t) ? humanDuration(Date.now() - t) : '<unknown>'; } },
    { name: 'Type', cell: (o) => o.type ?? '' },
    { name: 'Reason', cell: (o) => o.reason ?? '' },
    { name: 'Object', cell: (o) => `${String(o.involvedObject?.kind ?? '').toLowerCase()}/${o.involvedObject?.name ?? ''}` },
    { name: 'Message', cell: (o) => o.message ?? '' },
  ],
};

export function toTable(def: ResourceDef, items: KubeObject[], rv: string, query: URLSearchParams): Record<string, unknown> {
  const cols = COLUMNS[def.plural] ?? [NAME, AGE];
  const include = query.get('includeObject') ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: rv },
    columnDefinitions: cols.map((c) => ({
      name: c.name,
      type: c.type ?? 'string',
      format: c.format ?? '',
      description: c.name,
      priority: c.priority ?? 0,
    })),
    rows: items.map((o) => ({
      cells: cols.map((c) => {
        try {
          return c.cell(o);
        } catch {
          return '';
        }
      }),
      object:
        include === 'None'
          ? undefined
          : include === 'Object'
            ? o
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
