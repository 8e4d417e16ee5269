/**
 * Discovery documents (/version, /api, /apis, group versions) and a minimal OpenAPI v3.
 *
 * OpenAPI: kubectl (1.32) `apply`/`diff`/`create` validate by default (--validate=strict).
 * They first ask OpenAPI v3 whether the server supports the `fieldValidation` query
 * parameter for the kind's PATCH operation; if it does, validation is left to the server
 * and no schema is downloaded. So the sim serves `/openapi/v3` (an index of group versions)
 * and, per group version, a document whose PATCH operations carry
 * `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter. The PATCH
 * operations do not advertise strategic-merge, so kubectl computes client-side apply
 * patches from its compiled-in types (strategic merge for built-in kinds, JSON merge patch
 * for custom resources), exactly as it does against a real server. `/openapi/v2` answers
 * 404 (kubectl only wants it as protobuf, and no longer needs it).
 */
import { createHash } from 'node:crypto';
import type { Registry, ResourceDef } from './registry.js';

export function versionInfo(gitVersion: string): Record<string, unknown> {
  const m = /^v(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: m ? m[1] : '1',
    minor: m ? m[2] : '30',
    gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-08-14T00:00:00Z',
    goVersion: 'go1.22.5',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** /openapi/v3: index of group versions. */
export function openapiV3Index(registry: Registry): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const g of registry.groups()) {
    for (const v of g.versions) {
      const p = gvPath(g.name, v);
      const hash = createHash('sha256').update(`${registry.generation}/${p}`).digest('hex').slice(0, 32).toUpperCase();
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` };
    }
  }
  return { paths };
}

const Q = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });

function operations(d: ResourceDef, version: string): Record<string, unknown> {
  const gvk = { group: d.group, version, kind: d.kind };
  const ok = { responses: { '200': { description: 'OK' } } };
  const base = `/${gvPath(d.group, version)}${d.namespaced ? '/namespaces/{namespace}' : ''}/${d.plural}`;
  const params = d.namespaced ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }] : [];
  const item = {
    parameters: [...params, { name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
    get: { ...ok, operationId: `read${d.kind}`, 'x-kubernetes-action': 'get', 'x-kubernetes-group-version-kind': gvk },
    put: {
      ...ok,
      operationId: `replace${d.kind}`,
      parameters: [Q('dryRun'), Q('fieldManager'), Q('fieldValidation')],
      'x-kubernetes-action': 'put',
      'x-kubernetes-group-version-kind': gvk,
    },
    patch: {
      ...ok,
      operationId: `patch${d.kind}`,
      parameters: [Q('dryRun'), Q('fieldManager'), Q('fieldValidation'), { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } }],
      requestBody: {
        content: {
          'application/json-patch+json': { schema: { type: 'object' } },
          'application/merge-patch+json': { schema: { type: 'object' } },
          'application/apply-patch+yaml': { schema: { type: 'object' } },
        },
        required: true,
      },
      'x-kubernetes-action': 'patch',
      'x-kubernetes-group-version-kind': gvk,
    },
    delete: { ...ok, operationId: `delete${d.kind}`, 'x-kubernetes-action': 'delete', 'x-kubernetes-group-version-kind': gvk },
  };
  const coll = {
    parameters: params,
    get: { ...ok, operationId: `list${d.kind}`, 'x-kubernetes-action': 'list', 'x-kubernetes-group-version-kind': gvk },
    post: {
      ...ok,
      operationId: `create${d.kind}`,
      parameters: [Q('dryRun'), Q('fieldManager'), Q('fieldValidation')],
      'x-kubernetes-action': 'post',
      'x-kubernetes-group-version-kind': gvk,
    },
  };
  return { [base]: coll, [`${base}/{name}`]: item };
}

/** /openapi/v3/<api/v1 | apis/g/v>: a minimal spec for the group version. */
export function openapiV3Doc(registry: Registry, group: string, version: string, gitVersion: string): Record<string, unknown> | undefined {
  const defs = registry.resourcesFor(group, version);
  if (defs.length === 0) return undefined;
  let paths: Record<string, unknown> = {};
  for (const d of defs) {
    if (d.verbs.includes('patch')) paths = { ...paths, ...operations(d, version) };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: gitVersion },
    paths,
    components: { schemas: {} },
  };
}

