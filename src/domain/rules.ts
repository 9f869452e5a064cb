import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import { AppError } from './errors.js';
import { isId } from './ids.js';

/** Domain rules with no I/O: the shapes DESIGN.md fixes for names and bodies. */
export const MAX_BODY_CHARS = 4000;
export const MAX_CLIENT_MSG_ID = 64;
export const USERNAME_RE = /^[a-z0-9_.-]{3,32}$/;
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 256;

/**
 * The one normalisation of an account name as typed, used by registration, by
 * every lookup (login, tokens, the CLI) and by the login throttle's key, so no
 * spelling reaches the same account under a different bucket: NFKC first
 * (fullwidth "ｖｉｃｔｉｍ" and the Kelvin sign fold to ASCII), then trim (every
 * Unicode space, tab, NBSP and BOM at either end), then lower-case. What is
 * left is only a valid username if it matches USERNAME_RE; a name that does
 * not can belong to nobody.
 */
export function accountKey(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

export function normalizeUsername(raw: string): string {
  const name = accountKey(raw);
  if (!USERNAME_RE.test(name)) throw new AppError('INVALID_USERNAME');
  return name;
}

/**
 * Characters no password or display name may carry: controls (Cc), format
 * characters (Cf: zero-width spaces and joiners U+200B–U+200D, word joiner
 * U+2060, BOM U+FEFF, direction marks U+200E/F, embeddings and overrides
 * U+202A–U+202E, isolates U+2066–U+2069), lone surrogates (Cs) and line/paragraph
 * separators (Zl, Zp). They are invisible or reorder what is shown, so a person
 * cannot see or retype them.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** Minimum zxcvbn score (0–4): 2 means an estimated 10^6 guesses or more. */
export const MIN_PASSWORD_SCORE = 2;

let estimator: ZxcvbnFactory | null = null;
/** Built on first use (≈30 ms, ≈50,000 common passwords and words), so only the server pays for it. */
function strength(password: string, userInputs: string[]) {
  estimator ??= new ZxcvbnFactory({ dictionary: { ...zxcvbnCommon.dictionary }, graphs: zxcvbnCommon.adjacencyGraphs });
  return estimator.check(password, userInputs);
}

/**
 * The password policy, on the NFC form that is hashed (see passwords.ts):
 * - no invisible characters (INVISIBLE) and not only spaces → INVALID_PASSWORD_CHARACTERS;
 * - 8–256 characters (code points) → WEAK_PASSWORD / VALIDATION_FAILED;
 * - not containing the username → PASSWORD_CONTAINS_USERNAME;
 * - not guessable: zxcvbn (with the common-password and word lists of
 *   @zxcvbn-ts/language-common) must estimate at least 10^6 guesses (score
 *   ≥ MIN_PASSWORD_SCORE). Below that, a password made of a common password →
 *   PASSWORD_TOO_COMMON; one made of a repetition, sequence, keyboard run or
 *   date → WEAK_PASSWORD.
 * Returns the NFC form to hash.
 */
export function checkPassword(raw: string, username?: string): string {
  const password = raw.normalize('NFC');
  if (INVISIBLE.test(password) || password.trim().length === 0) throw new AppError('INVALID_PASSWORD_CHARACTERS');
  const length = [...password].length;
  if (length < MIN_PASSWORD) throw new AppError('WEAK_PASSWORD');
  if (length > MAX_PASSWORD) throw new AppError('VALIDATION_FAILED', `A password is at most ${MAX_PASSWORD} characters.`);
  const lower = password.toLowerCase();
  if (username && lower.includes(username.toLowerCase())) throw new AppError('PASSWORD_CONTAINS_USERNAME');
  const result = strength(password, username ? [username] : []);
  if (result.score < MIN_PASSWORD_SCORE) {
    const common = result.sequence.some(
      (m) => m.pattern === 'dictionary' && (m as { dictionaryName?: string }).dictionaryName === 'passwords-common',
    );
    if (common) throw new AppError('PASSWORD_TOO_COMMON');
    throw new AppError(
      'WEAK_PASSWORD',
      'That password is too easy to guess (a repetition, sequence, keyboard run or date); choose a longer or less regular one.',
    );
  }
  return password;
}

/**
 * Trims a message body and enforces 1–4000 characters (code points, not UTF-16
 * units). A message that carries files may have no text: `{ allowEmpty: true }`
 * (the sender says whether files come with it) lets an empty body through as ''.
 */
export function normalizeBody(raw: string, opts: { allowEmpty?: boolean } = {}): string {
  const body = raw.trim();
  if (body.length === 0) {
    if (opts.allowEmpty) return '';
    throw new AppError('BODY_EMPTY');
  }
  if (body.length > MAX_BODY_CHARS && [...body].length > MAX_BODY_CHARS) throw new AppError('BODY_TOO_LONG');
  return body;
}

/**
 * A display name as shown to others: NFC, trimmed, 1–64 visible characters
 * with none of INVISIBLE (a bidi override can make "admin\u202Egnp.exe" read
 * as "adminexe.png"). Empty means "use the username". That it must not be
 * another user's username is checked by the accounts service, which can ask
 * the store.
 */
export function normalizeDisplayName(raw: string | undefined, username: string): string {
  const name = (raw ?? '').normalize('NFC').trim();
  if (name.length === 0) return username;
  if (INVISIBLE.test(name)) throw new AppError('INVALID_DISPLAY_NAME');
  if ([...name].length > 64) throw new AppError('INVALID_DISPLAY_NAME', 'A display name is at most 64 characters.');
  return name;
}

/** Files one message may carry. */
export const MAX_ATTACHMENTS = 10;

/**
 * The files named in a send: at most MAX_ATTACHMENTS (TOO_MANY_ATTACHMENTS),
 * each an id (else it names no file: ATTACHMENT_NOT_FOUND), none twice
 * (VALIDATION_FAILED: a file belongs to one message once). Whether each is
 * the sender's unsent upload to this conversation is the store's to decide,
 * in the write's transaction.
 */
export function checkAttachmentIds(ids: readonly string[]): string[] {
  if (ids.length > MAX_ATTACHMENTS) throw new AppError('TOO_MANY_ATTACHMENTS');
  if (ids.some((id) => typeof id !== 'string' || !isId(id))) throw new AppError('ATTACHMENT_NOT_FOUND');
  if (new Set(ids).size !== ids.length) throw new AppError('VALIDATION_FAILED', 'The same file is named twice.');
  return [...ids];
}

export const MAX_FILE_NAME_BYTES = 255;

/**
 * A file name as stored and offered for download: the last segment of any
 * path ("../../etc/passwd" → "passwd", "C:\\x\\a.txt" → "a.txt"), NFC, none of
 * INVISIBLE (a bidi override could make "invoice\u202Efdp.exe" read as
 * "invoiceexe.pdf"), no leading or trailing spaces or dots (Windows drops
 * them; "." and ".." are not names), at most 255 UTF-8 bytes (what file
 * systems allow) cut on a character boundary keeping the extension. Nothing
 * left → "file". Never refuses: a name is cosmetic, the bytes are what count.
 */
export function normalizeFileName(raw: string): string {
  const segments = raw.normalize('NFC').split(/[/\\]/);
  const last = (segments.pop() ?? '').replace(new RegExp(INVISIBLE.source, 'gu'), '');
  const name = last.replace(/^[\s.]+|[\s.]+$/gu, '');
  if (name.length === 0) return 'file';
  return fitBytes(name, MAX_FILE_NAME_BYTES);
}

/** Cuts a name to `max` UTF-8 bytes, whole code points, keeping a short extension. */
function fitBytes(name: string, max: number): string {
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  if (bytes(name) <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  let stem = '';
  let used = bytes(ext);
  for (const ch of name.slice(0, name.length - ext.length)) {
    used += bytes(ch);
    if (used > max) break;
    stem += ch;
  }
  return stem + ext;
}

export function normalizeConversationName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0 || [...name].length > 64) throw new AppError('VALIDATION_FAILED', 'A name is 1–64 characters.');
  return name;
}

/** A room name as looked up: rooms are named in lower case (normalizeRoomName). */
export function roomKey(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Room names appear in URLs (/r/:name), so they follow the username alphabet. */
export function normalizeRoomName(raw: string): string {
  const name = roomKey(raw);
  if (!USERNAME_RE.test(name)) throw new AppError('VALIDATION_FAILED', 'A room name is 3–32 characters of a–z, 0–9, "_", "." and "-".');
  return name;
}
