/**
 * Bearer-token users and their allow rules (an RBAC-like subset).
 *
 * Rule resources: '*' (everything, subresources included, as in RBAC), 'pods', 'pods/log',
 * 'services/proxy', 'ipaddresspools.metallb.io', 'deployments.apps', 'pods/*', '*\/log'.
 * A plain plural matches that plural in any API group.
 */
import type { UserRule } from './types.js';

export interface User {
  name: string;
  admin: boolean;
  rules: UserRule[];
}

export interface Attributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

function resourceMatches(rule: string, a: Attributes): boolean {
  if (rule === '*') return true;
  const [rRes, rSub] = rule.split('/', 2) as [string, string | undefined];
  if ((rSub ?? '') !== (a.subresource ?? '') && rSub !== '*') return false;
  if (rRes === '*') return rSub !== undefined;
  const dot = rRes.indexOf('.');
  if (dot < 0) return rRes === a.resource;
  return rRes.slice(0, dot) === a.resource && rRes.slice(dot + 1) === (a.group || 'core');
}

export function authorize(user: User, a: Attributes): { allowed: boolean; reason: string } {
  if (user.admin) return { allowed: true, reason: 'admin' };
  for (const r of user.rules) {
    if (!r.verbs.includes('*') && !r.verbs.includes(a.verb)) continue;
    if (!r.resources.some((x) => resourceMatches(x, a))) continue;
    if (r.namespaces && r.namespaces.length > 0 && !r.namespaces.includes('*')) {
      if (!a.namespace || !r.namespaces.includes(a.namespace)) continue;
    }
    if (r.resourceNames && r.resourceNames.length > 0) {
      if (!a.name || !r.resourceNames.includes(a.name)) continue;
    }
    return { allowed: true, reason: `allowed by a rule of user "${user.name}"` };
  }
  return { allowed: false, reason: '' };
}

/** The message the real API server gives for a denied request. */
export function forbiddenMessage(user: User, a: Attributes): string {
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
  const subject = a.name ? `${qualified} "${a.name}"` : qualified;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${subject} is forbidden: User "${user.name}" cannot ${a.verb} resource "${res}" in API group "${a.group}" ${scope}`;
}
