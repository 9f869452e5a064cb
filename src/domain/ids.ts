/**
 * Ids travel as strings of decimal digits (the stores' integer keys). Fifteen
 * digits at most: every id then stays an exact JavaScript number, which the
 * friend-pair order below relies on, and is far beyond any id a store hands
 * out. Both stores and every input guard use this one rule.
 */
export const ID_RE = /^\d{1,15}$/;

export function isId(raw: unknown): raw is string {
  return typeof raw === 'string' && ID_RE.test(raw);
}

/** What a store binds for something that is not an id: it matches no row (and never fails a BIGINT cast). */
export const NO_ID = '-1';

export function idOrNone(raw: string): string {
  return isId(raw) ? raw : NO_ID;
}

/** A friendship or a direct conversation is stored once per pair: the lower id first. */
export function orderedPair(a: string, b: string): [string, string] {
  return Number(a) < Number(b) ? [a, b] : [b, a];
}

/** The key that makes the direct conversation of two users unique. */
export function directKey(a: string, b: string): string {
  const [x, y] = orderedPair(a, b);
  return `${x}:${y}`;
}
