/**
 * The service account's RBAC as deploy/rbac/ declares it: every binding to it, each rule
 * expanded into (verb, group, resource, subresource) x scope, and the same rules as
 * simulator token rules (to run the doctor as that service account on the simulator).
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { RequestRecord, UserRule } from '../src/sim/index.js';
import { AKASH_NS, METALLB_NS } from '../src/checks/lib/akash.js';
import { repoRoot } from './report-schema.js';

export const RBAC_DIR = path.join(repoRoot, 'deploy', 'rbac');
export const SA = { namespace: 'akash-ip-doctor', name: 'akash-ip-doctor' };
export const SA_USER = `system:serviceaccount:${SA.namespace}:${SA.name}`;

export interface Access {
  verb: string;
  group: string;
  resource: string;
  subresource: string;
  /** '' cluster-scoped or all namespaces; a known namespace; '*' some other namespace (a grant: every namespace) */
  namespace: string;
}

export interface Grant extends Access {
  /** where the grant comes from, for messages */
  from: string;
}

export interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] }[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

export async function manifests(dir: string): Promise<Doc[]> {
  const out: Doc[] = [];
  for (const f of (await readdir(dir)).filter((x) => x.endsWith('.yaml') && x !== 'kustomization.yaml').sort()) {
    for (const d of parseAllDocuments(await readFile(path.join(dir, f), 'utf8'))) {
      assert.equal(d.errors.length, 0, `${f}: ${d.errors.map((e) => e.message).join('; ')}`);
      const o = d.toJS() as Doc | null;
      if (o) out.push(o);
    }
  }
  return out;
}

/** The service account's grants: every binding to it, each rule expanded into (verb, group, resource, subresource) × scope. */
export function grantsOf(docs: Doc[], opts: { writes?: boolean } = {}): { grants: Grant[]; rules: UserRule[] } {
  const roles = new Map(docs.filter((d) => d.kind === 'Role' || d.kind === 'ClusterRole').map((d) => [`${d.kind}/${d.kind === 'Role' ? d.metadata.namespace : ''}/${d.metadata.name}`, d]));
  const grants: Grant[] = [];
  const rules: UserRule[] = [];
  for (const b of docs.filter((d) => d.kind === 'RoleBinding' || d.kind === 'ClusterRoleBinding')) {
    if (!b.subjects?.some((s) => s.kind === 'ServiceAccount' && s.name === SA.name && s.namespace === SA.namespace)) continue;
    const scope = b.kind === 'ClusterRoleBinding' ? '*' : b.metadata.namespace!;
    const role = roles.get(`${b.roleRef!.kind}/${b.roleRef!.kind === 'Role' ? b.metadata.namespace : ''}/${b.roleRef!.name}`);
    assert.ok(role, `${b.kind} ${b.metadata.name} refers to a missing ${b.roleRef!.kind} ${b.roleRef!.name}`);
    for (const rule of role.rules ?? []) {
      const from = `${role.kind} ${role.metadata.namespace ? role.metadata.namespace + '/' : ''}${role.metadata.name}`;
      for (const field of ['apiGroups', 'resources', 'verbs'] as const) assert.ok(!(rule[field] ?? []).includes('*'), `${from}: no wildcards in a role (${field})`);
      if (!opts.writes) {
        assert.ok(!rule.resourceNames?.length, `${from}: the read-only roles grant by resource, not by name`);
        for (const v of rule.verbs ?? []) assert.ok(['get', 'list', 'watch'].includes(v) || (v === 'create' && rule.resources?.includes('selfsubjectaccessreviews')), `${from}: ${v} is no read`);
      }
      const simResources: string[] = [];
      for (const g of rule.apiGroups ?? []) {
        for (const res of rule.resources ?? []) {
          const [resource, sub] = res.split('/', 2) as [string, string | undefined];
          simResources.push(`${resource}${g ? '.' + g : ''}${sub ? '/' + sub : ''}`);
          for (const verb of rule.verbs ?? []) grants.push({ verb, group: g, resource, subresource: sub ?? '', namespace: scope, from });
        }
      }
      rules.push({ verbs: rule.verbs ?? [], resources: simResources, ...(scope === '*' ? {} : { namespaces: [scope] }), ...(rule.resourceNames?.length ? { resourceNames: rule.resourceNames } : {}) });
    }
  }
  return { grants, rules };
}


/** Namespaces the doctor reads by name; a read in any other namespace (a lease namespace) needs a cluster-wide grant. */
export const KNOWN_NS = new Set([METALLB_NS, 'kube-system', AKASH_NS]);

export const key = (a: Access) => `${a.verb} ${a.resource}${a.group ? '.' + a.group : ''}${a.subresource ? '/' + a.subresource : ''} ${a.namespace === '' ? '(cluster)' : a.namespace === '*' ? '(other namespaces)' : 'in ' + a.namespace}`;

/**
 * The request attributes the API server authorises, from a request path, as Kubernetes'
 * RequestInfoFactory derives them (and as src/sim/api.ts routes): undefined for
 * non-resource paths (/version, discovery), which every authenticated user may read.
 */
export function accessOf(r: Pick<RequestRecord, 'method' | 'path' | 'query'>): Access | undefined {
  const segs = r.path.split('/').slice(1);
  let group: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    group = '';
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1]!;
    rest = segs.slice(3);
  } else return undefined;
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && ['status', 'finalize'].includes(rest[2]!))) {
    namespace = decodeURIComponent(rest[1]!);
    rest = rest.slice(2);
  }
  const [resource, name, sub] = rest;
  const watch = /(^|&)watch=(true|1)(&|$)/.test(r.query);
  const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch' };
  const verb =
    r.method === 'GET' || r.method === 'HEAD'
      ? sub === 'proxy' || name
        ? 'get'
        : watch
          ? 'watch'
          : 'list'
      : r.method === 'DELETE'
        ? name
          ? 'delete'
          : 'deletecollection'
        : (verbs[r.method] ?? r.method.toLowerCase());
  return { verb, group, resource: resource!, subresource: sub ?? '', namespace: namespace === '' || KNOWN_NS.has(namespace) ? namespace : '*' };
}

export const same = (a: Access, g: Access) => a.verb === g.verb && a.group === g.group && a.resource === g.resource && a.subresource === g.subresource;
export const covers = (g: Access, a: Access) => same(a, g) && (g.namespace === '*' || g.namespace === a.namespace);
