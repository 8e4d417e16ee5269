/**
 * Strings that come from the cluster (log lines, names, annotations, HTTP bodies)
 * are stripped of escape sequences and control characters before they reach a
 * terminal, and values under secret-looking keys are redacted everywhere.
 */

// CSI, OSC (terminated by BEL or ST), other ESC sequences, then C0/C1 controls except \n and \t.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[P^_][^\u001b]*\u001b\\|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they reorder what a reader sees ("Trojan Source"). */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

/** Remove escape sequences, control characters and bidi overrides (newlines and tabs kept). */
export function sanitize(text: string): string {
  return text.replace(ANSI, '').replace(CONTROL, '').replace(BIDI, '');
}

/**
 * Characters JSON.stringify leaves raw but a terminal or editor acts on: DEL and the C1
 * controls (U+009B is a one-byte CSI), bidi overrides and isolates, and the line/paragraph
 * separators. In a JSON text they can only stand inside string values.
 */
const JSON_UNSAFE = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/** Escape those characters as \\uXXXX in a JSON text: the parsed values are unchanged. */
export function escapeJsonText(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Sanitise to a single line. */
export function sanitizeLine(text: string): string {
  return sanitize(text).replace(/[\r\n\t]+/g, ' ');
}

export { redact } from '../core/redact.js';

/** Sanitise every string inside a JSON-able value (for terminal output). */
export function sanitizeDeep<T>(value: T): T {
  if (typeof value === 'string') return sanitize(value) as unknown as T;
  if (Array.isArray(value)) return value.map((v) => sanitizeDeep(v)) as unknown as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[sanitize(k)] = sanitizeDeep(v);
    return out as T;
  }
  return value;
}
