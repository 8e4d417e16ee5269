/**
 * The fix registry. Ids are a contract: stable, never reused; a check's remedy names one
 * in `fixId`. One fix per file: src/fixes/<area>/<name>.ts exports `fix`.
 */
import type { Fix } from './types.js';

export const fixRegistry: readonly Fix[] = [];

export function findFix(id: string): Fix | undefined {
  return fixRegistry.find((f) => f.id === id);
}
