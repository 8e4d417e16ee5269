/**
 * Certificates for the sim, generated in-process with @peculiar/x509 over
 * Node's WebCrypto (node:crypto makes keys but cannot build X.509 certificates, and the
 * simulator must not need an `openssl` binary): a CA and a server certificate it signs for
 * the API server, and an independent self-signed certificate for the provider's :8443
 * responder. EC P-256 keys keep generation fast; a process makes them once for all its
 * simulators (simCerts). The CA and the provider key are also
 * written into the sim's private folder (mode 0600), as the kubeconfig is.
 */
// @peculiar/x509 resolves its ASN.1 helpers through tsyringe, which needs the Reflect metadata API
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

export interface CertBundle {
  caCert: string; // PEM
  serverCert: string; // PEM
  serverKey: string; // PEM
  providerCert: string; // PEM (self-signed)
  providerKey: string; // PEM
}

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const crypto = webcrypto;
x509.cryptoProvider.set(crypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

function serial(): string {
  // positive, 16 random bytes
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] = b[0]! & 0x7f;
  return Buffer.from(b).toString('hex');
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  // a minute of slack for clocks, two days of life like the former openssl `-days 2`
  return { notBefore: new Date(now - 60_000), notAfter: new Date(now + 2 * DAY) };
}

function keyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function san(dns: string[]): x509.SubjectAlternativeNameExtension {
  return new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }, ...dns.map((value) => ({ type: 'dns' as const, value }))]);
}

const serverUsages = x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;

/** Make a new CA, server and provider certificate (in memory). */
async function makeCerts(): Promise<CertBundle> {
  const [caKeys, serverKeys, providerKeys] = await Promise.all([keyPair(), keyPair(), keyPair()]);

  const caName = 'CN=akash-ip-doctor-sim-ca';
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: caName,
    ...validity(),
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const server = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=kube-apiserver',
    issuer: ca.subject,
    ...validity(),
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(serverUsages, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      san(['localhost']),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const provider = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=provider.sim.local',
    ...validity(),
    keys: providerKeys,
    signingAlgorithm: ALG,
    extensions: [new x509.KeyUsagesExtension(serverUsages, true), new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]), san(['localhost', 'provider.sim.local'])],
  });

  return {
    caCert: ca.toString('pem') + '\n',
    serverCert: server.toString('pem') + '\n',
    serverKey: await pkcs8Pem(serverKeys.privateKey),
    providerCert: provider.toString('pem') + '\n',
    providerKey: await pkcs8Pem(providerKeys.privateKey),
  };
}

async function writeCerts(dir: string, bundle: CertBundle): Promise<CertBundle> {
  await Promise.all([
    writeFile(join(dir, 'ca.crt'), bundle.caCert, { mode: 0o600 }),
    writeFile(join(dir, 'server.key'), bundle.serverKey, { mode: 0o600 }),
    writeFile(join(dir, 'provider.key'), bundle.providerKey, { mode: 0o600 }),
  ]);
  return bundle;
}

/** New certificates, written into `dir`. */
export async function generateCerts(dir: string): Promise<CertBundle> {
  return writeCerts(dir, await makeCerts());
}

/** Shared certificates are made again when they are older than this (they are valid two days). */
const SHARED_MAX_AGE_MS = 12 * 3600 * 1000;
let shared: { made: number; bundle: Promise<CertBundle> } | undefined;

/**
 * The certificates of a simulator, written into its folder: made once per process and shared
 * by every simulator the process starts (a test process starts hundreds; making three EC keys
 * and certificates in JavaScript is most of a simulator's start-up). So two simulators of one
 * process trust each other's API server; a CA that must not match comes from generateCerts().
 */
export async function simCerts(dir: string): Promise<CertBundle> {
  if (!shared || Date.now() - shared.made > SHARED_MAX_AGE_MS) {
    const bundle = makeCerts();
    shared = { made: Date.now(), bundle };
    bundle.catch(() => {
      if (shared?.bundle === bundle) shared = undefined;
    });
  }
  return writeCerts(dir, await shared.bundle);
}
