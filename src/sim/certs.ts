/**
 * Certificates for the sim, generated fresh at start with the `openssl` CLI (node:crypto
 * cannot create X.509 certificates): a CA and a server certificate it signs for the API
 * server, and an independent self-signed certificate for the provider's :8443 responder.
 * EC P-256 keys keep generation fast.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertBundle {
  caCert: string; // PEM
  serverCert: string; // PEM
  serverKey: string; // PEM
  providerCert: string; // PEM (self-signed)
  providerKey: string; // PEM
}

const SAN = 'subjectAltName=IP:127.0.0.1,DNS:localhost';

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 20_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error('the simulated cluster needs the `openssl` command to create its certificates; install it (e.g. apt-get install -y openssl)');
    }
    throw new Error(`openssl ${args[0]} failed: ${String(err.stderr ?? err.message).trim()}`);
  }
}

export async function generateCerts(dir: string): Promise<CertBundle> {
  const p = (f: string) => join(dir, f);
  await writeFile(
    p('server.ext'),
    ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', SAN, ''].join('\n'),
  );
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await Promise.all([
    openssl(
      [
        'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=akash-ip-doctor-sim-ca',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      ],
      dir,
    ),
    openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver'], dir),
    openssl(
      [
        'req', '-x509', ...ec, '-keyout', 'provider.key', '-out', 'provider.crt', '-days', '2', '-subj', '/CN=provider.sim.local',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:provider.sim.local',
      ],
      dir,
    ),
  ]);
  await openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext'],
    dir,
  );
  const [caCert, serverCert, serverKey, providerCert, providerKey] = await Promise.all(
    ['ca.crt', 'server.crt', 'server.key', 'provider.crt', 'provider.key'].map((f) => readFile(p(f), 'utf8')),
  );
  return { caCert: caCert!, serverCert: serverCert!, serverKey: serverKey!, providerCert: providerCert!, providerKey: providerKey! };
}
