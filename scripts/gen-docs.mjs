#!/usr/bin/env node
// Regenerates docs/checks.md and docs/fixes.md from the check and fix registries (run after `npm run build`).
import { writeFileSync, mkdirSync } from 'node:fs';
const { registry } = await import('../dist/src/checks/index.js');
const { renderChecksMarkdown, renderFixesMarkdown } = await import('../dist/src/report/docs.js');
const { fixRegistry } = await import('../dist/src/fixes/index.js');
mkdirSync('docs', { recursive: true });
writeFileSync('docs/checks.md', renderChecksMarkdown(registry));
console.log(`docs/checks.md: ${registry.length} checks`);
writeFileSync('docs/fixes.md', renderFixesMarkdown(fixRegistry));
console.log(`docs/fixes.md: ${fixRegistry.length} fixes`);
