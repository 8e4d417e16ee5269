#!/usr/bin/env node
// Runs the single-file bundle (dist/bundle/cli.js, built by `npm run build`) when it is
// there, else the compiled sources (dist/src/cli.js). AKASH_IP_DOCTOR_NO_BUNDLE=1 forces the
// compiled sources (`npm test` runs those). Source maps stay on so stack traces name src/*.ts.
import { existsSync } from 'node:fs';

process.setSourceMapsEnabled(true);
const bundle = new URL('../dist/bundle/cli.js', import.meta.url);
if (process.env.AKASH_IP_DOCTOR_NO_BUNDLE !== '1' && existsSync(bundle)) await import(bundle.href);
else await import('../dist/src/cli.js');
