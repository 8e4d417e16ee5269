/**
 * A small, forgiving parser of the Prometheus text exposition format (0.0.4,
 * plus what OpenMetrics adds that matters here: `# EOF`). Pure; unit-tested.
 *
 * Handles `# HELP` / `# TYPE` and other comments, blank lines, CRLF, labels
 * with escaped quotes / backslashes / newlines, a trailing comma in the label
 * set, values including NaN, +Inf, -Inf and exponents, and an optional
 * timestamp. A malformed line is recorded in `errors` and skipped; it never
 * throws, because one odd line must not hide the metrics the doctor needs.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

export interface ParsedMetrics {
  samples: Sample[];
  /** Metric family name -> TYPE (counter, gauge, ...). */
  types: Map<string, string>;
  help: Map<string, string>;
  /** Malformed lines (1-based line number, short reason); the text itself is not kept. */
  errors: { line: number; reason: string }[];
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;

/** Parse a sample value as Prometheus does (Go ParseFloat: NaN, ±Inf, exponents). */
export function parseValue(text: string): number | null {
  const t = text.trim();
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && !/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return null;
  const v = Number(t);
  return Number.isNaN(v) ? null : v;
}

class LineError extends Error {}

function parseSampleLine(line: string): Sample {
  let i = 0;
  const n = line.length;
  const skipWs = () => {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
  };
  skipWs();
  if (i >= n || !NAME_START.test(line[i]!)) throw new LineError('metric name expected');
  const nameStart = i;
  while (i < n && NAME_CHAR.test(line[i]!)) i++;
  const name = line.slice(nameStart, i);
  const labels: Record<string, string> = {};
  skipWs();
  if (line[i] === '{') {
    i++;
    for (;;) {
      skipWs();
      if (line[i] === '}') {
        i++;
        break;
      }
      if (i >= n || !LABEL_START.test(line[i]!)) throw new LineError('label name expected');
      const ls = i;
      while (i < n && LABEL_CHAR.test(line[i]!)) i++;
      const lname = line.slice(ls, i);
      skipWs();
      if (line[i] !== '=') throw new LineError(`"=" expected after label ${lname}`);
      i++;
      skipWs();
      if (line[i] !== '"') throw new LineError(`quoted value expected for label ${lname}`);
      i++;
      let value = '';
      let closed = false;
      while (i < n) {
        const ch = line[i]!;
        if (ch === '\\') {
          const next = line[i + 1];
          if (next === 'n') value += '\n';
          else if (next === '\\') value += '\\';
          else if (next === '"') value += '"';
          else if (next === undefined) throw new LineError('unterminated escape');
          else value += '\\' + next; // unknown escapes are kept as written
          i += 2;
          continue;
        }
        if (ch === '"') {
          closed = true;
          i++;
          break;
        }
        value += ch;
        i++;
      }
      if (!closed) throw new LineError(`unterminated value of label ${lname}`);
      labels[lname] = value;
      skipWs();
      if (line[i] === ',') {
        i++;
        continue;
      }
      if (line[i] === '}') {
        i++;
        break;
      }
      throw new LineError('"," or "}" expected in label set');
    }
  }
  const rest = line.slice(i).trim().split(/[ \t]+/).filter(Boolean);
  if (rest.length === 0) throw new LineError(`no value for ${name}`);
  if (rest.length > 2) throw new LineError(`unexpected text after the value of ${name}`);
  const value = parseValue(rest[0]!);
  if (value === null) throw new LineError(`value of ${name} is not a number`);
  const sample: Sample = { name, labels, value };
  if (rest[1] !== undefined) {
    const ts = Number(rest[1]);
    if (!/^-?\d+(\.\d+)?$/.test(rest[1]) || !Number.isFinite(ts)) throw new LineError(`timestamp of ${name} is not a number`);
    sample.timestamp = ts;
  }
  return sample;
}

export function parsePrometheusText(text: string): ParsedMetrics {
  const out: ParsedMetrics = { samples: [], types: new Map(), help: new Map(), errors: [] };
  const lines = String(text ?? '').split(/\r?\n/);
  for (let idx = 0; idx < lines.length; idx++) {
    const line = lines[idx]!;
    const t = line.trim();
    if (!t) continue;
    if (t.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(t);
      if (m) {
        if (m[1] === 'TYPE') out.types.set(m[2]!, (m[3] ?? '').trim());
        else out.help.set(m[2]!, (m[3] ?? '').replace(/\\n/g, '\n').replace(/\\\\/g, '\\'));
      } else if (/^#\s*EOF\s*$/.test(t)) break;
      continue;
    }
    try {
      out.samples.push(parseSampleLine(line));
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      out.errors.push({ line: idx + 1, reason: e.message });
    }
  }
  return out;
}

/** Samples of `name` whose labels include every pair of `labels`. */
export function findSamples(metrics: ParsedMetrics, name: string, labels: Record<string, string> = {}): Sample[] {
  return metrics.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The value of the first matching sample, or undefined. */
export function sampleValue(metrics: ParsedMetrics, name: string, labels: Record<string, string> = {}): number | undefined {
  return findSamples(metrics, name, labels)[0]?.value;
}

/** Distinct values of one label across the samples of `name` (sorted). */
export function labelValues(metrics: ParsedMetrics, name: string, label: string): string[] {
  const set = new Set<string>();
  for (const s of metrics.samples) if (s.name === name && s.labels[label] !== undefined) set.add(s.labels[label]!);
  return [...set].sort();
}
