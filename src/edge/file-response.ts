import { INLINE_IMAGE_TYPES } from '../files/images.js';
import { UNKNOWN_TYPE } from '../files/sniff.js';

/**
 * How a stored file is answered over HTTP, as pure functions: what type it
 * is served as, inline or download, cache policy, and byte ranges. The
 * route (http/routes/attachments.ts) writes what these decide.
 *
 * Files come from other people, so nothing they upload may run as this
 * origin: only images this server re-encoded are ever shown inline; every
 * response is sandboxed by its CSP and carries nosniff; types a browser
 * could execute (HTML, SVG, XML, anything unknown) are served as
 * application/octet-stream, so even a user who opens the URL gets a download.
 */

/** The CSP of every file response: a sandbox (no script, no same-origin) and nothing loaded. */
export const FILE_CSP = "sandbox; default-src 'none'";

/** Seconds a file may be cached. Its URL names fixed bytes (immutable); deletion should reach shared caches within the hour. */
const PRIVATE_MAX_AGE = 86_400;
const PUBLIC_MAX_AGE = 3_600;

/** Served as what they are: passive to a browser (displayed by a plug-in at most, never run as the origin's script). */
const PASSIVE =
  /^(?:image\/(?:jpeg|png|webp|gif)|application\/(?:pdf|zip|gzip|x-7z-compressed|x-tar|x-bzip2|x-xz|vnd\.rar)|audio\/[\w.+-]+|video\/[\w.+-]+)$/;
/** Office formats, sniffed from their ZIP structure. */
const OFFICE =
  /^application\/vnd\.(?:openxmlformats-officedocument\.[\w.]+|oasis\.opendocument\.[\w.]+|ms-excel|ms-powerpoint)$|^application\/msword$/;

export function servedType(type: string): string {
  return PASSIVE.test(type) || OFFICE.test(type) ? type : UNKNOWN_TYPE;
}

/** Inline only for images this server re-encoded, and not when the client asked to download. */
export function dispositionOf(type: string, download: boolean): 'inline' | 'attachment' {
  return !download && INLINE_IMAGE_TYPES.has(type) ? 'inline' : 'attachment';
}

/** `inline|attachment; filename="ascii"; filename*=UTF-8''…` (RFC 6266 / 5987): old clients get a safe ASCII name. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** Never `public` for a private conversation's file: only the browser of who fetched it may keep it. */
export function cacheControl(isPublic: boolean): string {
  return isPublic ? `public, max-age=${PUBLIC_MAX_AGE}, immutable` : `private, max-age=${PRIVATE_MAX_AGE}, immutable`;
}

export type RangeAnswer = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * A `Range` header against a size (RFC 9110 §14): one `bytes=a-b`, `a-` or
 * `-n` range is served (206); one that starts past the end is unsatisfiable
 * (416). Anything else — several ranges, another unit, bad syntax, a > b — is
 * ignored and the whole file served, as the RFC allows.
 */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: 'full' };
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? null : Number(m[2]);
  if (last !== null && last < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(last ?? size - 1, size - 1) };
}

/** Whether a conditional header lists this ETag (or `*`). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}
