/**
 * Helpers of the model and write tests: raw HTTPS to the sim (its CA, the admin token or another),
 * the provider's /status with a bounded wait, and polling.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { parse as parseYaml } from 'yaml';

export function clients(kubeconfigPath: string) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return { kc, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
}

export interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

/** A raw HTTPS request with the kubeconfig's CA and token (or `token`). */
export async function raw(
  kubeconfigPath: string,
  method: string,
  path: string,
  opts: { body?: unknown; contentType?: string; timeoutMs?: number; token?: string } = {},
): Promise<Raw> {
  const cfg = parseYaml(readFileSync(kubeconfigPath, 'utf8'));
  const cluster = cfg.clusters[0].cluster;
  const ca = Buffer.from(cluster['certificate-authority-data'], 'base64').toString();
  const token = opts.token ?? cfg.users[0].user.token;
  const dispatcher = new Agent({ connect: { ca } });
  try {
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const res = await request(`${cluster.server}${path}`, {
      method: method as 'GET',
      dispatcher,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': opts.contentType ?? 'application/json' } : {}) },
      body,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) };
  } finally {
    await dispatcher.destroy().catch(() => {});
  }
}

/**
 * GET <provider>/status; `null` when it did not answer within timeoutMs (a hang). The short
 * default only bounds how long a test waits to call it a hang; where an answer is expected,
 * pass a generous timeout (a busy test process may answer late).
 */
export async function providerStatus(url: string, timeoutMs = 700): Promise<{ status: number; text: string } | null> {
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  try {
    const res = await request(`${url}/status`, { dispatcher, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.statusCode, text: await res.body.text() };
  } catch (e) {
    if ((e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError') return null;
    throw e;
  } finally {
    await dispatcher.destroy().catch(() => {});
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until fn returns something other than undefined/false; generous deadline, no timing claim. */
export async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what = 'condition', ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) assert.fail(`${what} not reached in time`);
    await sleep(40);
  }
}

export function proxyPath(ns: string, svc: string, path: string): string {
  return `/api/v1/namespaces/${ns}/services/${svc}/proxy/${path}`;
}
