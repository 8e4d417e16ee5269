/**
 * Redaction of secret values (Helm values hold the provider's `key` and `keysecret`).
 * Used by the checks that put values into details and by every renderer.
 */
export const REDACTED = '<redacted>';

const SECRET_KEY = /key|secret|password|passwd|token|mnemonic|passphrase|credential|private/i;
/** Keys that match SECRET_KEY but name no secret: the keyring backend ("test", "file", "os") and the key's name. */
const NOT_SECRET = /^(keyring[-_]?backend|keyring[-_]?dir|keyring|key[-_]?name|akash_keyring_backend|akash_key_name)$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !NOT_SECRET.test(key);
}

/**
 * A deep copy of `values` with every value under a secret-looking key replaced by
 * "<redacted>". Name/value pair lists (`attributes: [{key, value}]`, `env: [{name, value}]`)
 * keep their names: the field called `key` there is a name, and the `value` is
 * redacted when that name looks secret. Empty values stay visible (an empty key is
 * evidence, not a secret).
 */
export function redact(values: unknown): unknown {
  if (Array.isArray(values)) return values.map(redact);
  if (!isRecord(values)) return values;
  const pairName = pairNameOf(values);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    if (pairName !== undefined) {
      if (k === 'key' || k === 'name') out[k] = v;
      else if (k === 'value') out[k] = isSecretKey(pairName) && !isEmpty(v) ? REDACTED : redact(v);
      else out[k] = isSecretKey(k) && !isEmpty(v) ? REDACTED : redact(v);
    } else out[k] = isSecretKey(k) && !isEmpty(v) ? REDACTED : redact(v);
  }
  return out;
}

/** `{key: "region", value: ...}` / `{name: "FOO", value: ...}` / `{name, valueFrom}`: the pair's name, else undefined. */
function pairNameOf(o: Record<string, unknown>): string | undefined {
  if (!('value' in o) && !('valueFrom' in o)) return undefined;
  if (typeof o.key === 'string') return o.key;
  if (typeof o.name === 'string') return o.name;
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || v === '';
}
