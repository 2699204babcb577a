import { SwitchyardError } from '../model/index.js';

/**
 * Keyset cursors: the sort value and id of the last row of a page, and the list and order they
 * were made for (`kind`), opaque to clients (base64url JSON). A cursor that does not decode is
 * a validation error naming `cursor`; so is one made for another list or order, which would
 * otherwise answer a wrong page (an empty one that reads as the end, or the first again).
 */
export type CursorValue = string | number | null;

export function encodeCursor(value: CursorValue, id: number, kind: string): string {
  return Buffer.from(JSON.stringify([value, id, kind])).toString('base64url');
}

export function decodeCursor(cursor: string, kind: string): { value: CursorValue; id: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (Array.isArray(parsed) && parsed.length === 3 && Number.isSafeInteger(parsed[1]) && typeof parsed[2] === 'string') {
    const [value, id, madeFor] = parsed;
    if (value === null || typeof value === 'string' || typeof value === 'number') {
      if (madeFor === kind) return { value, id };
      throw new SwitchyardError('SWY_ERR_VALIDATION', 'cursor: made for another list or order; start again without it', [
        { path: 'cursor', message: 'made for another list or order' },
      ]);
    }
  }
  throw new SwitchyardError('SWY_ERR_VALIDATION', 'cursor: not a cursor this server gave out', [
    { path: 'cursor', message: 'not a cursor this server gave out' },
  ]);
}
