#!/usr/bin/env node
// Prints a Helm 3 release Secret (as `kubectl get secret -o yaml` shows it) for
// scenario files: data.release = base64( base64( gzip( release JSON ) ) ), the
// labels helm lists by (owner=helm, name, status, version) and type helm.sh/release.v1.
//
//   node scripts/make-helm-release.mjs --values values.yaml [--revision 2] [--status deployed] \
//     [--name akash-provider] [--namespace akash-services] [--chart provider] \
//     [--chart-version 11.6.0] [--app-version 0.16.1] [--defaults chart-values.yaml] \
//     [--first-deployed 2026-10-01T10:00:00Z] [--last-deployed 2026-11-20T08:00:00Z] \
//     [--description "Upgrade complete"] [--no-gzip] [--configmap]
//
// `--values -` reads the user-supplied values (YAML or JSON) from stdin. `--no-gzip`
// stores the JSON without gzip (Helm accepts both). `--configmap` prints the release as
// the ConfigMap storage driver (HELM_DRIVER=configmap) keeps it.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';

const { values: opts } = parseArgs({
  options: {
    values: { type: 'string' },
    defaults: { type: 'string' },
    revision: { type: 'string', default: '1' },
    status: { type: 'string', default: 'deployed' },
    name: { type: 'string', default: 'akash-provider' },
    namespace: { type: 'string', default: 'akash-services' },
    chart: { type: 'string', default: 'provider' },
    'chart-version': { type: 'string', default: '11.6.0' },
    'app-version': { type: 'string', default: '0.16.1' },
    'first-deployed': { type: 'string', default: '2026-10-01T10:00:00Z' },
    'last-deployed': { type: 'string' },
    description: { type: 'string' },
    'no-gzip': { type: 'boolean', default: false },
    configmap: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opts.help || !opts.values) {
  console.error('usage: make-helm-release.mjs --values FILE|- [--revision N] [--status deployed|superseded|failed|pending-upgrade] [--name akash-provider] [--namespace akash-services] [--chart provider] [--chart-version V] [--app-version V] [--defaults FILE] [--no-gzip] [--configmap]');
  process.exit(opts.help ? 0 : 2);
}

const readYaml = (file) => parse(readFileSync(file === '-' ? 0 : file, 'utf8')) ?? {};
const revision = Number(opts.revision);
if (!Number.isInteger(revision) || revision < 1) {
  console.error(`--revision must be a positive integer, got ${opts.revision}`);
  process.exit(2);
}

const release = {
  name: opts.name,
  namespace: opts.namespace,
  version: revision,
  info: {
    first_deployed: opts['first-deployed'],
    last_deployed: opts['last-deployed'] ?? opts['first-deployed'],
    deleted: '',
    description: opts.description ?? (revision === 1 ? 'Install complete' : 'Upgrade complete'),
    status: opts.status,
  },
  chart: {
    metadata: { name: opts.chart, version: opts['chart-version'], appVersion: opts['app-version'], apiVersion: 'v2', description: 'Akash provider' },
    values: opts.defaults ? readYaml(opts.defaults) : { image: { repository: 'ghcr.io/akash-network/provider' }, ipoperator: false, attributes: [] },
  },
  config: readYaml(opts.values),
  manifest: '---\n# manifest omitted\n',
};

const json = Buffer.from(JSON.stringify(release), 'utf8');
const helmPayload = (opts['no-gzip'] ? json : gzipSync(json)).toString('base64');
const labels = { name: opts.name, owner: 'helm', status: opts.status, version: String(revision) };
const objectName = `sh.helm.release.v1.${opts.name}.v${revision}`;

const doc = opts.configmap
  ? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: objectName, namespace: opts.namespace, labels }, data: { release: helmPayload } }
  : {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'helm.sh/release.v1',
      metadata: { name: objectName, namespace: opts.namespace, labels },
      // a Secret's data is base64 of the bytes; the bytes are Helm's (base64) payload
      data: { release: Buffer.from(helmPayload, 'latin1').toString('base64') },
    };

process.stdout.write('---\n' + stringify(doc, { lineWidth: 0 }));
