/**
 * Cursors are opaque to applications, but the SDK orders them to drop
 * duplicates: "c" followed by the position in base 36.
 */
export function cursorPosition(cursor: string): number {
  const n = parseInt(cursor.slice(1), 36);
  return cursor.startsWith('c') && Number.isFinite(n) ? n : -1;
}

/** Negative when `a` is before `b`, 0 when equal, positive after. */
export function compareCursors(a: string, b: string): number {
  return cursorPosition(a) - cursorPosition(b);
}
