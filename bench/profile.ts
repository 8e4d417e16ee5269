/**
 * Summarise a V8 .cpuprofile (node --cpu-prof) by where the time went: self time per
 * package (node_modules/<pkg>), per project directory (src/<dir>), Node internals, GC, and
 * the top functions. Positions inside a bundle are mapped back through its source map.
 *
 *   node dist/bench/profile.js FILE.cpuprofile [TOP]
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const maps = new Map<string, SourceMap | null>();

function mapFor(file: string): SourceMap | null {
  if (maps.has(file)) return maps.get(file)!;
  let m: SourceMap | null = null;
  try {
    const text = readFileSync(file, 'utf8');
    const ref = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text.slice(-500));
    const mf = ref ? path.resolve(path.dirname(file), ref[1]!) : undefined;
    if (mf && existsSync(mf)) m = new SourceMap(JSON.parse(readFileSync(mf, 'utf8')));
  } catch {
    m = null;
  }
  maps.set(file, m);
  return m;
}

/** original source file and line of a frame (mapped through a source map when there is one) */
function origin(cf: CallFrame): { file: string; line: number } {
  if (!cf.url.startsWith('file://')) return { file: cf.url, line: cf.lineNumber + 1 };
  const file = fileURLToPath(cf.url);
  const m = mapFor(file);
  if (m && cf.lineNumber >= 0) {
    const e = m.findEntry(cf.lineNumber, cf.columnNumber) as { originalSource?: string; originalLine?: number };
    if (e && e.originalSource) {
      const src = e.originalSource.startsWith('file://') ? fileURLToPath(e.originalSource) : path.resolve(path.dirname(file), e.originalSource);
      return { file: src, line: (e.originalLine ?? 0) + 1 };
    }
  }
  return { file, line: cf.lineNumber + 1 };
}

function bucket(cf: CallFrame, file: string): string {
  if (!cf.url) {
    if (cf.functionName === '(garbage collector)') return '(garbage collector)';
    if (cf.functionName === '(program)') return '(program: compiling, loading, native)';
    if (cf.functionName === '(idle)') return '(idle: waiting for I/O)';
    return `(native) ${cf.functionName}`;
  }
  if (file.startsWith('node:')) return 'node: internals';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (nm) return nm[1]!;
  const src = /\/(src|bench|dist\/src)\/([^/]+)/.exec(file);
  if (src) return `src/${src[2]!.replace(/\.(ts|js)$/, '')}`;
  return file;
}

export function summariseProfile(file: string, top = 15): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const buckets = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const o = origin(n.callFrame);
    const b = bucket(n.callFrame, o.file);
    buckets.set(b, (buckets.get(b) ?? 0) + us);
    const rel = o.file.startsWith('/') ? path.relative(process.cwd(), o.file) : o.file;
    const fk = `${n.callFrame.functionName || '(anonymous)'} ${rel}${n.callFrame.url ? `:${o.line}` : ''}`;
    fns.set(fk, (fns.get(fk) ?? 0) + us);
    total += us;
  }
  const idle = buckets.get('(idle: waiting for I/O)') ?? 0;
  const out = [`profile: ${(total / 1000).toFixed(0)} ms sampled, ${((total - idle) / 1000).toFixed(0)} ms on CPU; self time by package / directory:`];
  for (const [b, us] of [...buckets].sort((a, c) => c[1] - a[1]).slice(0, top)) out.push(`  ${(us / 1000).toFixed(0).padStart(6)} ms  ${b}`);
  out.push('top functions by self time:');
  for (const [f, us] of [...fns].filter(([k]) => !k.startsWith('(idle)')).sort((a, c) => c[1] - a[1]).slice(0, top)) out.push(`  ${(us / 1000).toFixed(0).padStart(6)} ms  ${f}`);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const f = process.argv[2];
  if (!f) {
    console.error('usage: node dist/bench/profile.js FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  for (const l of summariseProfile(f, Number(process.argv[3] ?? 15))) console.log(l);
}
