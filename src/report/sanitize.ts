/**
 * Strings that come from the cluster (log lines, names, annotations, HTTP bodies)
 * are stripped of escape sequences and control characters before they reach a
 * terminal, and values under secret-looking keys are redacted everywhere.
 */

// CSI, OSC (terminated by BEL or ST), other ESC sequences, then C0/C1 controls except \n and \t.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[P^_][^\u001b]*\u001b\\|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Remove escape sequences and control characters (newlines and tabs kept). */
export function sanitize(text: string): string {
  return text.replace(ANSI, '').replace(CONTROL, '');
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
