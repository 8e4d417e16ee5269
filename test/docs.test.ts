import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registry } from '../src/checks/index.js';
import { renderChecksMarkdown, renderCheckDoc } from '../src/report/docs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('docs/checks.md is generated from the registry and up to date (run `npm run docs`)', () => {
  const onDisk = readFileSync(path.join(root, 'docs', 'checks.md'), 'utf8');
  assert.equal(onDisk, renderChecksMarkdown(registry), 'docs/checks.md is out of date: run `npm run docs`');
});

test('explain prints the same what/why/fix text as docs/checks.md', () => {
  const md = readFileSync(path.join(root, 'docs', 'checks.md'), 'utf8');
  for (const c of registry) {
    const text = renderCheckDoc(c);
    assert.ok(md.includes(`## ${c.id}\n`), `no section for ${c.id}`);
    for (const part of [c.doc.what, c.doc.why, c.doc.fix]) {
      const first = part.trim().split('\n')[0]!;
      assert.ok(md.includes(first), `${c.id}: docs lack "${first}"`);
      assert.ok(text.includes(first), `${c.id}: explain lacks "${first}"`);
    }
  }
});
