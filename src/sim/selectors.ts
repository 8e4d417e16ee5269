/**
 * Label selectors (string form and LabelSelector objects) and field selectors.
 */
import type { KubeObject } from './types.js';

export type LabelRequirement =
  | { op: 'eq'; key: string; value: string }
  | { op: 'neq'; key: string; value: string }
  | { op: 'in'; key: string; values: string[] }
  | { op: 'notin'; key: string; values: string[] }
  | { op: 'exists'; key: string }
  | { op: 'notexists'; key: string };

export class SelectorError extends Error {}

/** Split on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const KEY_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(k: string, whole: string): string {
  if (!KEY_RE.test(k)) throw new SelectorError(`unable to parse requirement: invalid label key "${k}" in "${whole}"`);
  return k;
}
function checkValue(v: string, whole: string): string {
  if (!VALUE_RE.test(v) || v.length > 63) throw new SelectorError(`unable to parse requirement: invalid label value "${v}" in "${whole}"`);
  return v;
}

export function parseLabelSelector(sel: string | undefined | null): LabelRequirement[] {
  if (!sel) return [];
  const out: LabelRequirement[] = [];
  for (const part of splitTop(sel)) {
    let m: RegExpExecArray | null;
    if ((m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(part))) {
      const values = m[3]!
        .split(',')
        .map((v) => v.trim())
        .map((v) => checkValue(v, sel));
      out.push({ op: m[2] === 'in' ? 'in' : 'notin', key: checkKey(m[1]!, sel), values });
    } else if ((m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part))) {
      const key = checkKey(m[1]!, sel);
      const value = checkValue(m[3]!, sel);
      out.push(m[2] === '!=' ? { op: 'neq', key, value } : { op: 'eq', key, value });
    } else if ((m = /^!\s*(\S+)$/.exec(part))) {
      out.push({ op: 'notexists', key: checkKey(m[1]!, sel) });
    } else if (/^\S+$/.test(part)) {
      out.push({ op: 'exists', key: checkKey(part, sel) });
    } else {
      throw new SelectorError(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }
  return out;
}

export function matchLabels(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  for (const r of reqs) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? labels![r.key] : undefined;
    switch (r.op) {
      case 'eq':
        if (!has || v !== r.value) return false;
        break;
      case 'neq':
        if (has && v === r.value) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** A metav1.LabelSelector object ({matchLabels, matchExpressions}) or a plain map (Service selector). */
export function selectorObjectMatches(sel: unknown, labels: Record<string, string> | undefined, plainMap = false): boolean {
  if (!sel || typeof sel !== 'object') return false;
  const s = sel as Record<string, any>;
  if (plainMap) {
    const entries = Object.entries(s);
    if (entries.length === 0) return false;
    return entries.every(([k, v]) => labels?.[k] === String(v));
  }
  const ml = (s.matchLabels ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(ml)) if (labels?.[k] !== String(v)) return false;
  for (const e of (s.matchExpressions ?? []) as { key: string; operator: string; values?: string[] }[]) {
    const has = labels !== undefined && e.key in labels;
    const v = labels?.[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(v!)) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(v!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return Object.keys(ml).length > 0 || ((s.matchExpressions ?? []) as unknown[]).length > 0;
}

// ---- field selectors ----

export interface FieldRequirement {
  field: string;
  op: 'eq' | 'neq';
  value: string;
}

const COMMON_FIELDS = ['metadata.name', 'metadata.namespace'];
const FIELDS: Record<string, string[]> = {
  pods: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName'],
  events: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  secrets: ['type'],
  namespaces: ['status.phase'],
  nodes: ['spec.unschedulable'],
  replicasets: ['status.replicas'],
};

export function parseFieldSelector(sel: string | undefined | null, plural: string, custom: boolean): FieldRequirement[] {
  if (!sel) return [];
  const allowed = new Set([...COMMON_FIELDS, ...(custom ? [] : (FIELDS[plural] ?? []))]);
  const out: FieldRequirement[] = [];
  for (const part of sel.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw new SelectorError(`invalid selector: '${sel}'; can't understand '${part}'`);
    const field = m[1]!.trim();
    if (!allowed.has(field)) throw new SelectorError(`field label not supported: ${field}`);
    out.push({ field, op: m[2] === '!=' ? 'neq' : 'eq', value: m[3]!.trim() });
  }
  return out;
}

function fieldValue(o: KubeObject, field: string): string {
  if (field === 'source') {
    const src = (o as any).source?.component ?? (o as any).reportingComponent;
    return src === undefined ? '' : String(src);
  }
  let cur: any = o;
  for (const seg of field.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = cur[seg];
  }
  if (cur === undefined || cur === null) {
    if (field === 'spec.hostNetwork' || field === 'spec.unschedulable') return 'false';
    return '';
  }
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

export function matchFields(reqs: FieldRequirement[], o: KubeObject): boolean {
  for (const r of reqs) {
    const v = fieldValue(o, r.field);
    if (r.op === 'eq' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
