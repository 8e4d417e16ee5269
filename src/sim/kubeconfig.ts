/**
 * Kubeconfig files for the sim: cluster `sim` with the CA inline, one token user per file.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

export function kubeconfigText(opts: { server: string; caCert: string; user: string; token: string; context: string }): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name: 'sim', cluster: { server: opts.server, 'certificate-authority-data': Buffer.from(opts.caCert).toString('base64') } }],
    users: [{ name: opts.user, user: { token: opts.token } }],
    contexts: [{ name: opts.context, context: { cluster: 'sim', user: opts.user } }],
    'current-context': opts.context,
  });
}

export async function writeKubeconfig(dir: string, fileName: string, text: string): Promise<string> {
  const path = join(dir, fileName);
  await writeFile(path, text, { mode: 0o600 });
  return path;
}
