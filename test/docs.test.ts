import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registry } from '../src/checks/index.js';
import { renderChecksMarkdown, renderCheckDoc, renderFixDoc, renderFixesMarkdown } from '../src/report/docs.js';
import { findFix, fixRegistry } from '../src/fixes/index.js';
import { main } from '../src/cli.js';

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

test('docs/fixes.md is generated from the fix registry and up to date (run `npm run docs`)', () => {
  const onDisk = readFileSync(path.join(root, 'docs', 'fixes.md'), 'utf8');
  assert.equal(onDisk, renderFixesMarkdown(fixRegistry), 'docs/fixes.md is out of date: run `npm run docs`');
});

test('every fixId a check can name resolves to a registered fix, and every fix is named by some check', () => {
  const ids = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/fixId: '([a-z0-9.-]+)'/g)) ids.add(m[1]!);
    }
  };
  walk(path.join(root, 'src', 'checks'));
  assert.ok(ids.size >= 10, `found the fixIds of the checks (${ids.size})`);
  for (const id of ids) assert.ok(findFix(id), `a check names fix ${id}, which is not registered in src/fixes/index.ts`);
  for (const f of fixRegistry) assert.ok(ids.has(f.id), `fix ${f.id} is named by no check's remedy: it can never be planned`);
  assert.equal(new Set(fixRegistry.map((f) => f.id)).size, fixRegistry.length, 'fix ids are unique');
});

test('explain <fix-id> prints the fix text of docs/fixes.md; an unknown id is a usage error', async () => {
  let out = '';
  assert.equal(await main(['explain', 'metallb.expose-controller'], { stdout: (s) => void (out += s), stderr: () => undefined }), 0);
  assert.equal(out, renderFixDoc(findFix('metallb.expose-controller')!));
  assert.match(out, /^metallb\.expose-controller — /);
  let err = '';
  assert.equal(await main(['explain', 'metallb.no-such-fix'], { stdout: () => undefined, stderr: (s) => void (err += s) }), 2);
  assert.match(err, /unknown check or fix "metallb\.no-such-fix"/);
});
