import { AppError } from '../domain/errors.js';

/** Query-string helpers: strings in, checked numbers out, catalog errors for anything else. */
export function intParam(raw: unknown, name: string, min: number, max: number, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw))
    throw new AppError('VALIDATION_FAILED', `${name} must be an integer ${min}–${max}.`);
  const n = Number(raw);
  if (n < min || n > max) throw new AppError('VALIDATION_FAILED', `${name} must be an integer ${min}–${max}.`);
  return n;
}

export function strParam(raw: unknown, name: string, maxLen: number): string | null {
  if (raw === undefined) return null;
  if (typeof raw !== 'string' || raw.length > maxLen)
    throw new AppError('VALIDATION_FAILED', `${name} must be a string of at most ${maxLen} characters.`);
  return raw;
}

export function idParam(raw: unknown, code: 'CONVERSATION_NOT_FOUND' | 'USER_NOT_FOUND' | 'MESSAGE_NOT_FOUND'): string {
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) throw new AppError(code);
  return raw;
}

/**
 * The named parameters of a query string (`url` from `from`) as plain
 * strings, or null when anything is unusual — a repeated or percent-encoded
 * parameter — for a caller without Fastify's parser: it then leaves the
 * request to Fastify, whose parser decides, with its errors.
 */
export function plainQuery<K extends string>(url: string, from: number, keys: readonly K[]): Partial<Record<K, string>> | null {
  if (url.includes('%', from) || url.includes('+', from)) return null;
  const out: Partial<Record<K, string>> = {};
  let at = from;
  while (at <= url.length) {
    let amp = url.indexOf('&', at);
    if (amp < 0) amp = url.length;
    const eq = url.indexOf('=', at);
    const hasValue = eq >= 0 && eq < amp;
    const key = url.slice(at, hasValue ? eq : amp) as K;
    if (keys.includes(key)) {
      if (out[key] !== undefined) return null;
      out[key] = hasValue ? url.slice(eq + 1, amp) : '';
    }
    at = amp + 1;
  }
  return out;
}
