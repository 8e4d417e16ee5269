#!/usr/bin/env node
// Runs the single-file bundle (dist/bundle/cli.js, built by `npm run build`) when it is
// there, else the compiled sources (dist/src/cli.js). AKASH_IP_DOCTOR_NO_BUNDLE=1 forces the
// compiled sources (`npm test` runs those).
//
// Stack traces name src/*.ts: with AKASH_IP_DOCTOR_DEBUG set (the only case the CLI prints
// one) Node's source-map support is on; otherwise an uncaught error's stack is mapped here,
// when it happens. Node 20 parses a source map in full the first time any stack is formatted
// (undici formats some internally), which costs a healthy `check` about 0.2 s of CPU for
// the bundle's map; this way only a crash pays for it.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/bundle/cli.js', import.meta.url);
const useBundle = process.env.AKASH_IP_DOCTOR_NO_BUNDLE !== '1' && existsSync(bundle);
if (process.env.AKASH_IP_DOCTOR_DEBUG || !useBundle) process.setSourceMapsEnabled(true);
else {
  process.on('uncaughtException', (err) => {
    process.stderr.write(`${mapStack(err instanceof Error ? (err.stack ?? String(err)) : `Uncaught ${String(err)}`)}\n`);
    process.exit(1);
  });
}
const cli = useBundle ? await import(bundle.href) : await import('../dist/src/cli.js');
// a cli.js that exports runAsProcess() runs when called; one that runs on import is done here
if (typeof cli.runAsProcess === 'function') await cli.runAsProcess();

/** file:///…/dist/bundle/x.js:L:C -> /…/src/y.ts:L:C through x.js.map (read only now) */
function mapStack(stack) {
  const maps = new Map();
  return stack.replace(/(file:\/\/\/[^\s()]*\/dist\/bundle\/[^\s():]+\.js):(\d+):(\d+)/g, (whole, url, line, col) => {
    try {
      let m = maps.get(url);
      if (m === undefined) {
        const file = fileURLToPath(url);
        m = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
        maps.set(url, m);
      }
      const e = m.findEntry(Number(line) - 1, Number(col) - 1);
      if (!e || !e.originalSource) return whole;
      const src = e.originalSource.startsWith('file:') ? fileURLToPath(e.originalSource) : fileURLToPath(new URL(e.originalSource, url));
      return `${src}:${e.originalLine + 1}:${e.originalColumn + 1}`;
    } catch {
      return whole;
    }
  });
}
