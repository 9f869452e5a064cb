import { AppError } from '../domain/errors.js';

/** Query-string helpers: strings in, checked numbers out, catalog errors for anything else. */
export function intParam(raw: unknown, name: string, min: number, max: number, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw)) throw new AppError('VALIDATION_FAILED', `${name} must be an integer ${min}–${max}.`);
  const n = Number(raw);
  if (n < min || n > max) throw new AppError('VALIDATION_FAILED', `${name} must be an integer ${min}–${max}.`);
  return n;
}

export function strParam(raw: unknown, name: string, maxLen: number): string | null {
  if (raw === undefined) return null;
  if (typeof raw !== 'string' || raw.length > maxLen) throw new AppError('VALIDATION_FAILED', `${name} must be a string of at most ${maxLen} characters.`);
  return raw;
}

export function idParam(raw: unknown, code: 'CONVERSATION_NOT_FOUND' | 'USER_NOT_FOUND' | 'MESSAGE_NOT_FOUND'): string {
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) throw new AppError(code);
  return raw;
}
