import { SwitchyardError } from '../model/index.js';

/**
 * Keyset cursors: the sort value and id of the last row of a page, opaque to clients
 * (base64url JSON). A cursor that does not decode is a validation error naming `cursor`.
 */
export type CursorValue = string | number | null;

export function encodeCursor(value: CursorValue, id: number): string {
  return Buffer.from(JSON.stringify([value, id])).toString('base64url');
}

export function decodeCursor(cursor: string): { value: CursorValue; id: number } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && Number.isSafeInteger(parsed[1])) {
      const [value, id] = parsed;
      if (value === null || typeof value === 'string' || typeof value === 'number') return { value, id };
    }
  } catch {
    // fall through to the error below
  }
  throw new SwitchyardError('SWY_ERR_VALIDATION', 'cursor: not a cursor this server gave out', [
    { path: 'cursor', message: 'not a cursor this server gave out' },
  ]);
}
