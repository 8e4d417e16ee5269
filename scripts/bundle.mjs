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
  plugins: [inlineVersion],
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
