import { AppError } from '../domain/errors.js';

/**
 * Strict `application/x-www-form-urlencoded` for the legacy routes, the only
 * routes that take forms (a v1 route answers a form with 415: login CSRF).
 *
 * Every name and value must be valid percent-encoding ("%" and two hex
 * digits) of valid UTF-8, as Tornado's decode_argument requires (it answers
 * 400 to `%FF%FE`). Lenient decoders keep a broken escape as raw text or turn
 * bad bytes into U+FFFD, and the message would be stored altered; here the
 * request is refused and nothing is stored.
 */
export type Form = Record<string, string | string[]>;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const PLUS = 0x2b;
const PERCENT = 0x25;

function hex(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/** One name or value: "+" is a space, %XX a byte, and the bytes must be UTF-8. Null when it is not valid. */
export function decodeComponent(raw: Uint8Array): string | null {
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === PERCENT) {
      const hi = hex(raw[i + 1]);
      const lo = hex(raw[i + 2]);
      if (hi < 0 || lo < 0) return null;
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else out[n++] = b === PLUS ? 0x20 : b;
  }
  try {
    return utf8.decode(out.subarray(0, n));
  } catch {
    return null;
  }
}

function invalid(where: string): AppError {
  return new AppError(
    'BAD_REQUEST',
    `The ${where} is not valid percent-encoded UTF-8 (each "%" needs two hex digits, and the bytes must be UTF-8).`,
  );
}

/**
 * Parses a form body (or a query string) into fields; a repeated name gives
 * an array. Pairs split on "&"; a pair without "=" is a name with an empty
 * value (Tornado's keep_blank_values). Throws BAD_REQUEST on bad encoding.
 */
export function parseForm(raw: Uint8Array, where = 'form body'): Form {
  const form: Form = Object.create(null) as Form;
  let start = 0;
  while (start <= raw.length) {
    let end = raw.indexOf(0x26, start); // "&"
    if (end < 0) end = raw.length;
    if (end > start) {
      const pair = raw.subarray(start, end);
      const eq = pair.indexOf(0x3d); // "="
      const name = decodeComponent(eq < 0 ? pair : pair.subarray(0, eq));
      const value = eq < 0 ? '' : decodeComponent(pair.subarray(eq + 1));
      if (name === null || value === null) throw invalid(where);
      const had = form[name];
      form[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
    }
    start = end + 1;
  }
  return form;
}
