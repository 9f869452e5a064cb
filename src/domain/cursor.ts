import { AppError } from './errors.js';

/**
 * A cursor names a position in the global event sequence. It is opaque to
 * clients: "c" followed by the position in base 36. A user's stream is the
 * subsequence of events whose audience includes the user, so one cursor means
 * "everything of mine up to here was delivered" on every node and transport.
 */
export function encodeCursor(seq: number): string {
  return 'c' + seq.toString(36);
}

const CURSOR_RE = /^c[0-9a-z]{1,11}$/;

export function decodeCursor(cursor: string): number {
  if (typeof cursor !== 'string' || !CURSOR_RE.test(cursor)) throw new AppError('INVALID_CURSOR');
  const seq = parseInt(cursor.slice(1), 36);
  if (!Number.isSafeInteger(seq)) throw new AppError('INVALID_CURSOR');
  return seq;
}
