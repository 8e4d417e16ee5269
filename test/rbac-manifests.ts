/**
 * The service account's RBAC as deploy/rbac/ declares it: every binding to it, each rule
 * expanded into (verb, group, resource, subresource) x scope, and the same rules as
 * simulator token rules (to run the doctor as that service account on the simulator).
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { UserRule } from '../src/sim/index.js';
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
export function grantsOf(docs: Doc[]): { grants: Grant[]; rules: UserRule[] } {
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
      for (const field of ['apiGroups', 'resources', 'verbs'] as const) assert.ok(!(rule[field] ?? []).includes('*'), `${from}: no wildcards in a read-only role (${field})`);
      assert.ok(!rule.resourceNames?.length, `${from}: the read-only roles grant by resource, not by name`);
      for (const v of rule.verbs ?? []) assert.ok(['get', 'list', 'watch'].includes(v) || (v === 'create' && rule.resources?.includes('selfsubjectaccessreviews')), `${from}: ${v} is no read`);
      const simResources: string[] = [];
      for (const g of rule.apiGroups ?? []) {
        for (const res of rule.resources ?? []) {
          const [resource, sub] = res.split('/', 2) as [string, string | undefined];
          simResources.push(`${resource}${g ? '.' + g : ''}${sub ? '/' + sub : ''}`);
          for (const verb of rule.verbs ?? []) grants.push({ verb, group: g, resource, subresource: sub ?? '', namespace: scope, from });
        }
      }
      rules.push({ verbs: rule.verbs ?? [], resources: simResources, ...(scope === '*' ? {} : { namespaces: [scope] }) });
    }
  }
  return { grants, rules };
}

