/**
 * Validation (422 Invalid, with causes like the real API server) and defaulting on writes.
 */
import { randomUUID } from 'node:crypto';
import { applyWorkloadDefaults } from './defaults.js';
import { ApiError, type StatusDetails } from './http.js';
import type { ResourceDef } from './registry.js';
import { nowIso } from './store.js';
import type { KubeObject } from './types.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function qualifiedName(d: ResourceDef): string {
  return d.group ? `${d.plural}.${d.group}` : d.plural;
}

function invalid(d: ResourceDef, name: string, causes: { field: string; message: string; reason?: string }[]): ApiError {
  const details: StatusDetails = {
    name,
    ...(d.group ? { group: d.group } : {}),
    kind: d.kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
  };
  const msg = `${d.kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`;
  return new ApiError(422, msg, 'Invalid', details);
}

/** Validate an object about to be stored. Throws ApiError 422. */
export function validate(d: ResourceDef, o: KubeObject): void {
  const name = o.metadata.name;
  const causes: { field: string; message: string; reason?: string }[] = [];
  const labelLike = d.plural === 'namespaces' || d.plural === 'services';
  if (!name) {
    causes.push({ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' });
  } else if (d.plural === 'services' ? !DNS1035_LABEL.test(name) || name.length > 63 : labelLike ? !DNS1123_LABEL.test(name) || name.length > 63 : !DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
    if (!(d.custom || d.plural === 'events' || d.plural === 'customresourcedefinitions') || !/^[^/%]+$/.test(name)) {
      causes.push({
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 ${labelLike ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      });
    }
  }
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    if (typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63) {
      causes.push({ field: `metadata.labels`, message: `Invalid value: "${String(v)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.' (key ${k})` });
    }
  }
  for (const [k, v] of Object.entries(o.metadata.annotations ?? {})) {
    if (typeof v !== 'string') causes.push({ field: `metadata.annotations`, message: `Invalid value: annotation ${k} must be a string` });
  }
  if (d.plural === 'configmaps' || d.plural === 'secrets') {
    for (const key of ['data', 'stringData', 'binaryData'] as const) {
      const data = o[key];
      if (data === undefined || data === null) continue;
      if (typeof data !== 'object' || Array.isArray(data)) {
        causes.push({ field: key, message: 'Invalid value: must be a map of strings' });
        continue;
      }
      for (const [k, v] of Object.entries(data as object)) {
        if (typeof v !== 'string') causes.push({ field: `${key}[${k}]`, message: `Invalid value: must be a string` });
      }
    }
  }
  if (d.plural === 'services') validateService(o, causes);
  if (causes.length) throw invalid(d, name, causes);
}

function validateService(o: KubeObject, causes: { field: string; message: string; reason?: string }[]): void {
  const spec = (o.spec ?? {}) as Record<string, any>;
  const type = spec.type ?? 'ClusterIP';
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(type)) {
    causes.push({ field: 'spec.type', message: `Unsupported value: "${type}": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`, reason: 'FieldValueNotSupported' });
  }
  const ports = spec.ports;
  if (type !== 'ExternalName' && (!Array.isArray(ports) || ports.length === 0)) {
    if (spec.clusterIP !== 'None') causes.push({ field: 'spec.ports', message: 'Required value', reason: 'FieldValueRequired' });
  }
  if (Array.isArray(ports)) {
    const names = new Set<string>();
    ports.forEach((p: Record<string, any>, i: number) => {
      const port = Number(p?.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        causes.push({ field: `spec.ports[${i}].port`, message: `Invalid value: ${JSON.stringify(p?.port)}: must be between 1 and 65535, inclusive` });
      }
      if (ports.length > 1 && !p?.name) causes.push({ field: `spec.ports[${i}].name`, message: 'Required value', reason: 'FieldValueRequired' });
      if (p?.name) {
        if (names.has(p.name)) causes.push({ field: `spec.ports[${i}].name`, message: `Duplicate value: "${p.name}"`, reason: 'FieldValueDuplicate' });
        names.add(p.name);
        if (!DNS1123_LABEL.test(p.name) || p.name.length > 15) {
          causes.push({ field: `spec.ports[${i}].name`, message: `Invalid value: "${p.name}": must be a valid IANA_SVC_NAME` });
        }
      }
      if (p?.protocol && !['TCP', 'UDP', 'SCTP'].includes(p.protocol)) {
        causes.push({ field: `spec.ports[${i}].protocol`, message: `Unsupported value: "${p.protocol}": supported values: "SCTP", "TCP", "UDP"`, reason: 'FieldValueNotSupported' });
      }
    });
  }
}

let ipCounter = 10;

/** Defaults applied on create (the parts readers look at). */
export function applyCreateDefaults(d: ResourceDef, o: KubeObject): void {
  const md = o.metadata;
  md.uid = randomUUID();
  md.creationTimestamp = nowIso();
  delete md.deletionTimestamp;
  if (['deployments', 'statefulsets', 'daemonsets', 'replicasets'].includes(d.plural) || d.custom) md.generation = 1;
  if (d.group === 'apps') applyWorkloadDefaults(d.plural, o);
  if (d.plural === 'namespaces') {
    md.labels = { ...(md.labels ?? {}), 'kubernetes.io/metadata.name': md.name };
    o.spec = { finalizers: ['kubernetes'], ...((o.spec as object) ?? {}) };
    o.status = { phase: 'Active' };
  }
  if (d.plural === 'services') {
    const spec = ((o.spec ??= {}) as Record<string, any>);
    spec.type ??= 'ClusterIP';
    if (spec.type !== 'ExternalName') {
      if (!spec.clusterIP) {
        ipCounter++;
        spec.clusterIP = `10.96.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
      }
      spec.clusterIPs ??= [spec.clusterIP];
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
      spec.internalTrafficPolicy ??= 'Cluster';
    }
    spec.sessionAffinity ??= 'None';
    if (Array.isArray(spec.ports)) {
      spec.ports = spec.ports.map((p: Record<string, any>) => ({
        ...p,
        protocol: p.protocol ?? 'TCP',
        targetPort: p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '' ? p.port : p.targetPort,
      }));
      if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
        spec.ports = spec.ports.map((p: Record<string, any>, i: number) => ({ ...p, nodePort: p.nodePort ?? 30000 + ((ipCounter * 7 + i) % 2767) }));
        spec.externalTrafficPolicy ??= 'Cluster';
        if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
      }
    }
    o.status ??= { loadBalancer: {} };
  }
  if (d.plural === 'pods') {
    o.status ??= { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] };
  }
}
