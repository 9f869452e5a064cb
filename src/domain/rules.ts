import { AppError } from './errors.js';

/** Domain rules with no I/O: the shapes DESIGN.md fixes for names and bodies. */
export const MAX_BODY_CHARS = 4000;
export const MAX_CLIENT_MSG_ID = 64;
export const USERNAME_RE = /^[a-z0-9_.-]{3,32}$/;
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 256;

export function normalizeUsername(raw: string): string {
  const name = raw.trim().toLowerCase();
  if (!USERNAME_RE.test(name)) throw new AppError('INVALID_USERNAME');
  return name;
}

/** The passwords every guesser tries first (length ≥ 8, so the length rule does not already refuse them). */
const COMMON_PASSWORDS = new Set([
  'password', 'password1', '12345678', '123456789', '1234567890', 'qwertyuiop', 'qwerty123',
  'iloveyou', 'sunshine', 'princess', 'football', 'baseball', 'welcome1', 'abc12345', '11111111', '00000000',
  'letmein1', 'trustno1', 'superman', 'starwars', 'passw0rd', 'admin123', 'changeme',
]);

/**
 * The password policy: 8–256 characters, not one of the most common
 * passwords, and not the username itself.
 */
export function checkPassword(password: string, username?: string): void {
  if (password.length < MIN_PASSWORD) throw new AppError('WEAK_PASSWORD');
  if (password.length > MAX_PASSWORD) throw new AppError('VALIDATION_FAILED', `A password is at most ${MAX_PASSWORD} characters.`);
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) throw new AppError('WEAK_PASSWORD', 'That password is among the most common ones; choose another.');
  if (username && lower.includes(username.toLowerCase())) throw new AppError('WEAK_PASSWORD', 'A password must not contain the username.');
}

/** Trims a message body and enforces 1–4000 characters (code points, not UTF-16 units). */
export function normalizeBody(raw: string): string {
  const body = raw.trim();
  if (body.length === 0) throw new AppError('BODY_EMPTY');
  if (body.length > MAX_BODY_CHARS && [...body].length > MAX_BODY_CHARS) throw new AppError('BODY_TOO_LONG');
  return body;
}

export function normalizeDisplayName(raw: string | undefined, username: string): string {
  const name = (raw ?? '').trim();
  if (name.length === 0) return username;
  if ([...name].length > 64) throw new AppError('VALIDATION_FAILED', 'A display name is at most 64 characters.');
  return name;
}

export function normalizeConversationName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0 || [...name].length > 64) throw new AppError('VALIDATION_FAILED', 'A name is 1–64 characters.');
  return name;
}

/** Room names appear in URLs (/r/:name), so they follow the username alphabet. */
export function normalizeRoomName(raw: string): string {
  const name = raw.trim().toLowerCase();
  if (!USERNAME_RE.test(name)) throw new AppError('VALIDATION_FAILED', 'A room name is 3–32 characters of a–z, 0–9, "_", "." and "-".');
  return name;
}
