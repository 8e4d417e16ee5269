#!/usr/bin/env node
// Bundles the CLI (src/cli.ts and everything it imports, dependencies included) into
// dist/bundle/cli.js with linked source maps. bin/akash-ip-doctor.js runs the bundle when it
// is there and falls back to dist/src/cli.js (what `npm test` runs).
//
// Why: loading ~1,000 small ESM files of node_modules (mostly @kubernetes/client-node) costs
// more than parsing one file. `splitting` keeps the modules the CLI imports with `await
// import()` (the simulator, the checks on `--version`/`list`/`explain` once the CLI loads them
// lazily) in separate chunks that load only when used.
//
//   node scripts/bundle.mjs             # bundle everything (default)
//   node scripts/bundle.mjs --external  # keep node_modules as imports (for comparison)
//   node scripts/bundle.mjs --outdir DIR
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const external = argv.includes('--external');
const oi = argv.indexOf('--outdir');
const outdir = path.resolve(root, oi >= 0 ? argv[oi + 1] : 'dist/bundle');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

// src/core/version.ts reads ../../../package.json relative to its own file, which is not
// where a bundled chunk lives: the bundle gets the name and version inlined at build time.
const inlineVersion = {
  name: 'inline-version',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]core[\\/]version\.ts$/ }, () => ({
      contents: `export const TOOL_NAME = ${JSON.stringify(pkg.name)};\nexport const TOOL_VERSION = ${JSON.stringify(pkg.version)};\n`,
      loader: 'ts',
    }));
  },
};

// KubeConfig (the only part of @kubernetes/client-node the CLI runs, src/cluster/client.ts)
// imports the generated API client (./gen/index.js: every API class and model, ~14 MB of
// source) only for KubeConfig.makeApiClient, node-fetch (with whatwg-url and tr46's large
// mapping table) only for KubeConfig.applyToFetchOptions, and socks-proxy-agent and hpagent
// (with socks, ip-address, smart-buffer) only for the agent of applyToHTTPSOptions; the CLI
// calls none of these (it takes the credentials with applyAuthorizationHeader and connects
// through its own transport, src/cluster/transport.ts, which loads `socks` itself when a
// kubeconfig names a SOCKS proxy). The bundle gets stubs that throw in their place: ~1 MB less
// JavaScript to compile and run at every start.
const noGeneratedApi = {
  name: 'no-generated-api',
  setup(b) {
    const fromConfig = (a) => /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]config\.js$/.test(a.importer);
    b.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (a) => (fromConfig(a) ? { path: 'gen', namespace: 'no-generated-api' } : undefined));
    b.onResolve({ filter: /^(node-fetch|socks-proxy-agent|hpagent)$/ }, (a) => (fromConfig(a) ? { path: a.path, namespace: 'no-generated-api' } : undefined));
    const no = (what) => `const no = () => { throw new Error('KubeConfig.${what} is not part of the akash-ip-doctor bundle'); };\n`;
    b.onLoad({ filter: /^gen$/, namespace: 'no-generated-api' }, () => ({
      contents: `${no('makeApiClient')}export function createConfiguration() { no(); }\nexport class ServerConfiguration { constructor() { no(); } }\n`,
      loader: 'js',
    }));
    b.onLoad({ filter: /^node-fetch$/, namespace: 'no-generated-api' }, () => ({
      contents: `${no('applyToFetchOptions')}export class Headers { constructor() { no(); } }\n`,
      loader: 'js',
    }));
    b.onLoad({ filter: /^(socks-proxy-agent|hpagent)$/, namespace: 'no-generated-api' }, (a) => ({
      contents: `${no('createAgent with a proxy-url')}${(a.path === 'hpagent' ? ['HttpProxyAgent', 'HttpsProxyAgent'] : ['SocksProxyAgent']).map((c) => `export class ${c} { constructor() { no(); } }\n`).join('')}`,
      loader: 'js',
    }));
  },
};

// undici's index loads every part of undici (fetch, WebSocket, EventSource, caches, mocks, …).
// src/cluster/ uses Client, Pool, Agent, Dispatcher, buildConnector and request (always with a
// dispatcher): its imports of 'undici' get an entry that loads only those, from undici's own
// files and with index.js's request() (the simulator and the rest keep the full index).
const slimUndici = {
  name: 'slim-undici',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (a) => (/[\\/]src[\\/]cluster[\\/][^\\/]+\.ts$/.test(a.importer) ? { path: 'undici', namespace: 'slim-undici' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'slim-undici' }, () => ({
      resolveDir: root,
      loader: 'js',
      contents: `'use strict';
const Client = require('undici/lib/dispatcher/client');
const Dispatcher = require('undici/lib/dispatcher/dispatcher');
const Pool = require('undici/lib/dispatcher/pool');
const Agent = require('undici/lib/dispatcher/agent');
const api = require('undici/lib/api');
const buildConnector = require('undici/lib/core/connect');
const errors = require('undici/lib/core/errors');
const util = require('undici/lib/core/util');
const { getGlobalDispatcher } = require('undici/lib/global');
Object.assign(Dispatcher.prototype, api);
// as undici/index.js makeDispatcher(api.request)
function request(url, opts, handler) {
  if (typeof opts === 'function') { handler = opts; opts = null; }
  if (!url || (typeof url !== 'string' && typeof url !== 'object' && !(url instanceof URL))) throw new errors.InvalidArgumentError('invalid url');
  if (opts != null && typeof opts !== 'object') throw new errors.InvalidArgumentError('invalid opts');
  if (opts && opts.path != null) {
    if (typeof opts.path !== 'string') throw new errors.InvalidArgumentError('invalid opts.path');
    let path = opts.path;
    if (!opts.path.startsWith('/')) path = '/' + path;
    url = new URL(util.parseOrigin(url).origin + path);
  } else {
    if (!opts) opts = typeof url === 'object' ? url : {};
    url = util.parseURL(url);
  }
  const { agent, dispatcher = getGlobalDispatcher() } = opts;
  if (agent) throw new errors.InvalidArgumentError('unsupported opts.agent. Did you mean opts.client?');
  return api.request.call(dispatcher, { ...opts, origin: url.origin, path: url.search ? url.pathname + url.search : url.pathname, method: opts.method || (opts.body ? 'PUT' : 'GET') }, handler);
}
module.exports = { Client, Dispatcher, Pool, Agent, buildConnector, errors, request };
`,
    }));
  },
};

let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  // esbuild is a devDependency: without it (a production install) bin runs dist/src/cli.js
  console.error('bundle: esbuild is not installed; skipped (bin/akash-ip-doctor.js runs dist/src/cli.js)');
  process.exit(0);
}
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // the map only has to turn bundle positions into src/*.ts positions: no copy of the sources
  sourcesContent: false,
  minifySyntax: true,
  minifyWhitespace: argv.includes('--minify'),
  minifyIdentifiers: argv.includes('--minify'),
  legalComments: 'linked',
  packages: external ? 'external' : undefined,
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies (undici, cli-table3, ...) call require() for Node built-ins
  banner: { js: "import { createRequire as __akashCreateRequire } from 'node:module'; const require = __akashCreateRequire(import.meta.url);" },
  plugins: [inlineVersion, noGeneratedApi, slimUndici],
  metafile: true,
  logLevel: 'warning',
});

let bytes = 0;
let files = 0;
for (const [f, o] of Object.entries(result.metafile.outputs)) {
  if (f.endsWith('.js')) {
    bytes += o.bytes;
    files++;
  }
}
if (!argv.includes('--quiet')) {
  console.log(`bundle: ${path.relative(root, outdir)}/cli.js and ${files - 1} chunks, ${(bytes / 1024 / 1024).toFixed(2)} MiB of JS${external ? ' (node_modules external)' : ''}`);
}
