#!/usr/bin/env node
// Regenerates docs/checks.md from the check registry (run after `npm run build`).
import { writeFileSync, mkdirSync } from 'node:fs';
const { registry } = await import('../dist/src/checks/index.js');
const { renderChecksMarkdown } = await import('../dist/src/report/docs.js');
mkdirSync('docs', { recursive: true });
writeFileSync('docs/checks.md', renderChecksMarkdown(registry));
console.log(`docs/checks.md: ${registry.length} checks`);
