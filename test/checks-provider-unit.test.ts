/**
 * Pure logic of the provider / IP-operator checks: Helm release decoding and
 * redaction, attribute matching, /usage parsing, operator address parsing, the
 * permission list, and the chain REST client (against a local HTTP server).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseAllDocuments, parse } from 'yaml';
import { boolish, decodeHelmPayload, decodeReleaseSecretData, encodeHelmPayload, isSecretKey, pickRevision, providerUpgradeCommands, redact, REDACTED, toHelmRelease } from '../src/checks/lib/helm.js';
import { findIpLeaseAttribute } from '../src/checks/lib/attributes.js';
import { fetchChainProvider, isAkashAddress } from '../src/checks/lib/chain.js';
import { PERMISSIONS, describePermission, grantCommands } from '../src/checks/lib/permissions.js';
import { freeAddresses, parseUsage } from '../src/checks/ip-operator/usage.js';
import { layoutForVersion, parseVersion } from '../src/checks/lib/ip-operator.js';
import { crdManifestUrl } from '../src/checks/ip-operator/crd.js';
import { registry } from '../src/checks/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECRET_KEY = 'SIMULATED-PRIVATE-KEY-DO-NOT-PRINT';
const SECRET_PASS = 'U0lNVUxBVEVELUtFWVNFQ1JFVA==';

function releaseSecretsOf(scenarioFile: string): Record<string, any>[] {
  const text = readFileSync(join(ROOT, 'scenarios', scenarioFile), 'utf8');
  const out: Record<string, any>[] = [];
  for (const d of parseAllDocuments(text)) {
    const v = d.toJS() as any;
    const items = v?.kind === 'List' ? v.items : [v];
    for (const o of items ?? []) if (o?.kind === 'Secret' && o?.type === 'helm.sh/release.v1') out.push(o);
  }
  return out;
}

describe('Helm release decoding', () => {
  test('decodes the release Secrets of the healthy base (Secret base64 -> Helm base64 -> gzip -> JSON)', () => {
    const secrets = releaseSecretsOf('healthy-helm.yaml');
    assert.equal(secrets.length, 2, 'the base carries revisions 1 and 2');
    const byRev = new Map(secrets.map((s) => [Number(s.metadata.labels.version), s]));
    const rel = toHelmRelease(decodeReleaseSecretData(byRev.get(2)!.data.release), 'secret', byRev.get(2)!.metadata.name);
    assert.equal(rel.name, 'akash-provider');
    assert.equal(rel.revision, 2);
    assert.equal(rel.status, 'deployed');
    assert.equal(rel.chart.name, 'provider');
    assert.match(rel.chart.version, /^\d+\.\d+\.\d+$/);
    assert.equal(rel.config.ipoperator, true);
    assert.equal(rel.config.key, SECRET_KEY, 'the raw config keeps the key (only output is redacted)');
    assert.equal((rel as any).manifest, undefined, 'the rendered manifest (with secrets) is dropped');
  });

  test('decodes what scripts/make-helm-release.mjs prints, gzipped and not', () => {
    const valuesYaml = 'from: akash1xmz9es9ay9ln9x2m3q8dlu0alxf0ltce7ykjfx\nkey: K\nipoperator: true\nattributes:\n- key: ip-lease\n  value: true\n';
    for (const extra of [[], ['--no-gzip']]) {
      const out = execFileSync(process.execPath, [join(ROOT, 'scripts', 'make-helm-release.mjs'), '--values', '-', '--revision', '3', '--status', 'superseded', ...extra], { input: valuesYaml, encoding: 'utf8' });
      const secret = parse(out.replace(/^---\n/, '')) as any;
      assert.equal(secret.metadata.name, 'sh.helm.release.v1.akash-provider.v3');
      assert.deepEqual(secret.metadata.labels, { name: 'akash-provider', owner: 'helm', status: 'superseded', version: '3' });
      const helmPayload = Buffer.from(secret.data.release, 'base64');
      const gz = Buffer.from(helmPayload.toString('latin1'), 'base64');
      assert.equal(gz[0] === 0x1f && gz[1] === 0x8b, extra.length === 0, 'gzip magic present only when gzipped');
      const rel = toHelmRelease(decodeReleaseSecretData(secret.data.release), 'secret', secret.metadata.name);
      assert.equal(rel.revision, 3);
      assert.equal(rel.status, 'superseded');
      assert.deepEqual(rel.config.attributes, [{ key: 'ip-lease', value: true }]);
    }
  });

  test('accepts an uncompressed payload and rejects garbage with a clear error', () => {
    const json = { name: 'x', version: 1, info: { status: 'deployed' }, chart: { metadata: { name: 'provider', version: '1.0.0' } }, config: { a: 1 } };
    assert.deepEqual(decodeHelmPayload(Buffer.from(JSON.stringify(json)).toString('base64')), json);
    assert.deepEqual(decodeHelmPayload(gzipSync(JSON.stringify(json)).toString('base64')), json);
    assert.deepEqual(decodeHelmPayload(encodeHelmPayload(json, false)), json);
    assert.throws(() => decodeHelmPayload(Buffer.from('not json at all').toString('base64')), /not JSON/);
    assert.throws(() => decodeHelmPayload(''), /empty/);
    assert.throws(() => decodeHelmPayload(Buffer.from([0x1f, 0x8b, 0x08, 1, 2, 3, 4]).toString('base64')), /gzip data is corrupt/);
  });

  test('pickRevision prefers the newest deployed revision', () => {
    const revs = [
      { revision: 4, status: 'pending-upgrade' },
      { revision: 3, status: 'deployed' },
      { revision: 2, status: 'superseded' },
    ];
    assert.equal(pickRevision(revs)!.revision, 3);
    assert.equal(pickRevision([{ revision: 2, status: 'failed' }, { revision: 1, status: 'superseded' }])!.revision, 2);
    assert.equal(pickRevision([]), null);
  });

  test('upgrade commands pin the installed chart version', () => {
    const cmds = providerUpgradeCommands({ name: 'akash-provider', namespace: 'akash-services', chart: { name: 'provider', version: '11.6.0', appVersion: '0.16.1' } }, ['--set ipoperator=true']);
    assert.deepEqual(cmds, [
      'helm -n akash-services get values akash-provider -o yaml > provider.yaml',
      'helm upgrade akash-provider akash/provider -n akash-services --version 11.6.0 -f provider.yaml --set ipoperator=true',
    ]);
  });
});

describe('redact', () => {
  test('replaces secret-looking values and keeps the rest', () => {
    const values = {
      from: 'akash1xmz9es9ay9ln9x2m3q8dlu0alxf0ltce7ykjfx',
      key: SECRET_KEY,
      keysecret: SECRET_PASS,
      keyringbackend: 'test',
      domain: 'example.com',
      attributes: [
        { key: 'region', value: 'eu-west' },
        { key: 'ip-lease', value: true },
        { key: 'api-token', value: 'tok-123' },
      ],
      env: [{ name: 'CF_DNS_API_TOKEN', value: 'cf-secret' }, { name: 'DEBUG', value: 'true' }],
      letsEncrypt: { providers: { cloudflare: { apiToken: 'cf-2', enabled: true } } },
      nested: { password: 'p', mnemonic: 'word word', passphrase: 'pp', privateKey: 'pk', emptyKey: '' },
    };
    const r = redact(values) as any;
    assert.equal(r.from, values.from);
    assert.equal(r.key, REDACTED);
    assert.equal(r.keysecret, REDACTED);
    assert.equal(r.keyringbackend, 'test', 'the keyring backend name is no secret');
    assert.equal(r.domain, 'example.com');
    assert.deepEqual(r.attributes[0], { key: 'region', value: 'eu-west' }, 'attribute names survive (the field `key` there is a name)');
    assert.deepEqual(r.attributes[1], { key: 'ip-lease', value: true });
    assert.deepEqual(r.attributes[2], { key: 'api-token', value: REDACTED });
    assert.deepEqual(r.env[0], { name: 'CF_DNS_API_TOKEN', value: REDACTED });
    assert.deepEqual(r.env[1], { name: 'DEBUG', value: 'true' });
    assert.equal(r.letsEncrypt.providers.cloudflare.apiToken, REDACTED);
    assert.equal(r.letsEncrypt.providers.cloudflare.enabled, true);
    for (const k of ['password', 'mnemonic', 'passphrase', 'privateKey']) assert.equal(r.nested[k], REDACTED, k);
    assert.equal(r.nested.emptyKey, '', 'an empty value is evidence, not a secret');
    const text = JSON.stringify(r);
    for (const s of [SECRET_KEY, SECRET_PASS, 'tok-123', 'cf-secret', 'cf-2', 'word word', 'pk']) assert.ok(!text.includes(`"${s}"`), `${s} leaked`);
    assert.equal(values.key, SECRET_KEY, 'the input is not modified');
  });

  test('isSecretKey', () => {
    for (const k of ['key', 'keysecret', 'KEY_PASSWORD', 'apiKey', 'token', 'mnemonic', 'passphrase', 'credentials']) assert.ok(isSecretKey(k), k);
    for (const k of ['keyringbackend', 'keyring_backend', 'from', 'domain', 'attributes', 'ipoperator']) assert.ok(!isSecretKey(k), k);
  });

  test('boolish reads bool and string forms only', () => {
    assert.equal(boolish(true), true);
    assert.equal(boolish('true'), true);
    assert.equal(boolish(' TRUE '), true);
    assert.equal(boolish('false'), false);
    assert.equal(boolish(false), false);
    assert.equal(boolish('yes'), undefined);
    assert.equal(boolish(undefined), undefined);
  });
});

describe('ip-lease attribute', () => {
  test('accepts ip-lease or feat-endpoint-ip, bool or string', () => {
    assert.deepEqual(findIpLeaseAttribute([{ key: 'region', value: 'x' }, { key: 'ip-lease', value: true }]), { key: 'ip-lease', value: 'true', enabled: true, index: 1, keys: ['region', 'ip-lease'] });
    assert.equal(findIpLeaseAttribute([{ key: 'feat-endpoint-ip', value: 'true' }]).enabled, true);
    assert.equal(findIpLeaseAttribute([{ key: 'ip-lease', value: 'True' }]).enabled, true);
    const off = findIpLeaseAttribute([{ key: 'ip-lease', value: 'false' }, { key: 'tier', value: 'x' }]);
    assert.equal(off.enabled, false);
    assert.equal(off.key, 'ip-lease');
    assert.equal(off.value, 'false');
    assert.equal(off.index, 0);
    const none = findIpLeaseAttribute([{ key: 'region', value: 'x' }]);
    assert.equal(none.key, null);
    assert.equal(none.index, -1);
    assert.equal(findIpLeaseAttribute(undefined).key, null);
    assert.equal(findIpLeaseAttribute('garbage').keys.length, 0);
  });

  test('an enabled alias wins over a disabled one', () => {
    const m = findIpLeaseAttribute([{ key: 'ip-lease', value: false }, { key: 'feat-endpoint-ip', value: true }]);
    assert.equal(m.enabled, true);
    assert.equal(m.key, 'feat-endpoint-ip');
  });
});

describe('IP operator answers and configuration', () => {
  test('parseUsage reads Available as the pool total; free = max(0, total - inUse)', () => {
    assert.deepEqual(parseUsage('{"Available":16,"InUse":1}\n'), { total: 16, inUse: 1 });
    assert.deepEqual(parseUsage('{"available":0,"inuse":3}'), { total: 0, inUse: 3 }, 'Go decodes keys case-insensitively');
    assert.equal(freeAddresses({ total: 16, inUse: 1 }), 15);
    assert.equal(freeAddresses({ total: 16, inUse: 16 }), 0, 'a full pool has no free address');
    assert.equal(freeAddresses({ total: 16, inUse: 18 }), 0, 'never negative');
    assert.equal(parseUsage('OK'), null);
    assert.equal(parseUsage(''), null, 'the 503 body is empty');
    assert.equal(parseUsage('{"InUse":1}'), null);
    assert.equal(parseUsage('{"Available":1}'), null, 'both fields are always encoded');
    assert.equal(parseUsage('[1,2]'), null);
    assert.equal(parseUsage('{"Available":"x","InUse":1}'), null);
    assert.equal(parseUsage('{"Available":-1,"InUse":1}'), null, 'uint');
  });

  test('the provider version picks the operator layout (>= 0.5.0 operator-ip:rest, <= 0.4.x akash-ip-operator:api)', () => {
    assert.equal(layoutForVersion(parseVersion('0.16.1')), 'new');
    assert.equal(layoutForVersion(parseVersion('v0.5.0')), 'new');
    assert.equal(layoutForVersion(parseVersion('0.4.8')), 'old');
    assert.equal(layoutForVersion(parseVersion('0.4.6-rc1')), 'old');
    assert.equal(layoutForVersion(parseVersion('1.0.0')), 'new');
    assert.equal(layoutForVersion(parseVersion('latest')), null);
    assert.equal(layoutForVersion(parseVersion(null)), null);
  });

  test('isAkashAddress', () => {
    assert.ok(isAkashAddress('akash1xmz9es9ay9ln9x2m3q8dlu0alxf0ltce7ykjfx'));
    assert.ok(isAkashAddress('akash1hwmenz63dp59uve5ytea09suwgr47y3rn9902y'));
    assert.ok(!isAkashAddress('provider'), 'a key name is no address');
    assert.ok(!isAkashAddress('akash1short'));
    assert.ok(!isAkashAddress('akash1bmz9es9ay9ln9x2m3q8dlu0alxf0ltce7ykjfx'), 'b is not in the bech32 alphabet');
  });

  test('crdManifestUrl follows the provider version', () => {
    assert.equal(crdManifestUrl('0.16.1'), 'https://raw.githubusercontent.com/akash-network/provider/v0.16.1/pkg/apis/akash.network/crd.yaml');
    assert.equal(crdManifestUrl('v0.6.4'), 'https://raw.githubusercontent.com/akash-network/provider/v0.6.4/pkg/apis/akash.network/crd.yaml');
    assert.match(crdManifestUrl('latest'), /\/main\//);
    assert.match(crdManifestUrl(null), /\/main\//);
  });
});

describe('permission list', () => {
  test('covers the reads the checks make, and only known check ids', () => {
    const ids = new Set(registry.map((c) => c.id));
    for (const p of PERMISSIONS) for (const id of p.checks) assert.ok(ids.has(id), `${describePermission(p)} names unknown check ${id}`);
    const texts = PERMISSIONS.map(describePermission);
    for (const t of [
      'list pods in akash-services',
      'get pods/log in akash-services',
      'get services/proxy in metallb-system',
      'get services/proxy in akash-services',
      'list secrets in akash-services',
      'list ipaddresspools.metallb.io in metallb-system',
      'list nodes',
      'list events cluster-wide',
      'get configmaps in kube-system',
      'list services cluster-wide',
    ]) {
      assert.ok(texts.includes(t), `missing: ${t} (have ${texts.join('; ')})`);
    }
    const keys = PERMISSIONS.map((p) => `${p.verb}:${p.group}/${p.resource}/${p.subresource ?? ''}:${p.namespace ?? ''}`);
    assert.equal(new Set(keys).size, keys.length, 'no duplicate rows');
  });

  test('grantCommands builds one read-only Role per namespace and a ClusterRole for cluster scope', () => {
    const missing = PERMISSIONS.filter((p) => (p.namespace === 'akash-services' && (p.subresource || p.resource === 'secrets')) || p.resource === 'nodes');
    const cmds = grantCommands(missing);
    assert.deepEqual(cmds, [
      'kubectl create clusterrole akash-ip-doctor-read --verb=list --resource=nodes',
      'kubectl create clusterrolebinding akash-ip-doctor-read --clusterrole=akash-ip-doctor-read --user=<doctor-user>',
      'kubectl -n akash-services create role akash-ip-doctor-read --verb=get,list --resource=pods/log,secrets,services/proxy',
      'kubectl -n akash-services create rolebinding akash-ip-doctor-read --role=akash-ip-doctor-read --user=<doctor-user>',
    ]);
    for (const c of grantCommands(PERMISSIONS)) {
      const verbs = /--verb=(\S+)/.exec(c)?.[1];
      if (verbs) for (const v of verbs.split(',')) assert.ok(['get', 'list'].includes(v), `${c} grants ${v}`);
    }
  });
});

// ---- chain REST client against a local server ------------------------------------------------

const OWNER = 'akash1xmz9es9ay9ln9x2m3q8dlu0alxf0ltce7ykjfx';

async function chainServer(routes: Record<string, { status: number; body: unknown }>): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const r = routes[req.url ?? ''] ?? { status: 501, body: { code: 12, message: 'Not Implemented' } };
    res.writeHead(r.status, { 'content-type': 'application/json' });
    res.end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, hits, close: () => new Promise((r) => server.close(() => r())) };
}

const providerBody = (attributes: { key: string; value: string }[]) => ({ provider: { owner: OWNER, host_uri: 'https://provider.example.com:8443', attributes, info: {} } });

describe('chain API client', () => {
  test('falls back from v1beta4 (404) to v1beta3', async () => {
    const srv = await chainServer({
      [`/akash/provider/v1beta4/providers/${OWNER}`]: { status: 404, body: { code: 5, message: 'Not Found' } },
      [`/akash/provider/v1beta3/providers/${OWNER}`]: { status: 200, body: providerBody([{ key: 'ip-lease', value: 'true' }]) },
    });
    try {
      const r = await fetchChainProvider(srv.url + '/', OWNER);
      assert.equal(r.outcome, 'found');
      assert.equal(r.outcome === 'found' && r.apiVersion, 'v1beta3');
      assert.deepEqual(r.outcome === 'found' && r.attributes, [{ key: 'ip-lease', value: 'true' }]);
      assert.deepEqual(srv.hits, [`/akash/provider/v1beta4/providers/${OWNER}`, `/akash/provider/v1beta3/providers/${OWNER}`]);
    } finally {
      await srv.close();
    }
  });

  test('uses v1beta4 when it answers, and reports not-found when every version says 404/501', async () => {
    const srv = await chainServer({ [`/akash/provider/v1beta4/providers/${OWNER}`]: { status: 200, body: providerBody([{ key: 'region', value: 'eu' }]) } });
    try {
      const r = await fetchChainProvider(srv.url, OWNER);
      assert.equal(r.outcome === 'found' && r.apiVersion, 'v1beta4');
      assert.equal(srv.hits.length, 1);
      const nf = await fetchChainProvider(srv.url, 'akash1hwmenz63dp59uve5ytea09suwgr47y3rn9902y');
      assert.equal(nf.outcome, 'not-found');
      assert.deepEqual(nf.outcome === 'not-found' && nf.tried, ['v1beta4', 'v1beta3']);
    } finally {
      await srv.close();
    }
  });

  test('a 500 or a non-JSON answer is an error, not a fallback', async () => {
    const srv = await chainServer({
      [`/akash/provider/v1beta4/providers/${OWNER}`]: { status: 500, body: { message: 'internal' } },
      [`/akash/provider/v1beta4/providers/akash1hwmenz63dp59uve5ytea09suwgr47y3rn9902y`]: { status: 200, body: '<html>' },
    });
    try {
      const r = await fetchChainProvider(srv.url, OWNER);
      assert.equal(r.outcome, 'error');
      assert.match(r.outcome === 'error' ? r.reason : '', /HTTP 500: internal/);
      const r2 = await fetchChainProvider(srv.url, 'akash1hwmenz63dp59uve5ytea09suwgr47y3rn9902y');
      assert.match(r2.outcome === 'error' ? r2.reason : '', /not JSON/);
    } finally {
      await srv.close();
    }
    const closed = await fetchChainProvider(srv.url, OWNER);
    assert.equal(closed.outcome, 'error');
    assert.match(closed.outcome === 'error' ? closed.reason : '', /ECONNREFUSED|UND_ERR_SOCKET|closed/);
  });
});
