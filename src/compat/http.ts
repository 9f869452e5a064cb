import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';
import { SESSION_COOKIE } from '../edge/credentials.js';
import type { Ctx } from '../edge/context.js';

/** Helpers shared by the legacy adapters' HTTP routes. */

/**
 * The legacy protocols are anonymous. A hubbub session cookie or bearer header
 * that a browser happens to send along must neither identify the caller nor
 * trip the v1 CSRF check (the seeds' clients know nothing of X-CSRF-Token), so
 * compat routes drop them before the app's auth hooks run.
 */
export async function dropHubbubCredentials(req: FastifyRequest): Promise<void> {
  if (req.cookies && SESSION_COOKIE in req.cookies) delete req.cookies[SESSION_COOKIE];
  delete req.headers.authorization;
}

/**
 * A request argument the way Tornado's get_argument finds it: a form field
 * (or JSON member) of the body, else the query string. Repeated or non-string
 * values are refused.
 */
export function field(req: FastifyRequest, name: string): string | null {
  for (const src of [req.body, req.query]) {
    if (src === null || typeof src !== 'object' || Array.isArray(src) || !Object.hasOwn(src, name)) continue;
    const v = (src as Record<string, unknown>)[name];
    if (typeof v === 'string') return v;
    if (v === null || v === undefined) return null;
    if (Array.isArray(v)) throw new AppError('VALIDATION_FAILED', `The field "${name}" was given more than once.`);
    throw new AppError('VALIDATION_FAILED', `The field "${name}" must be a string.`);
  }
  return null;
}

export const XSRF_COOKIE = '_xsrf';

/**
 * Tornado's `_xsrf` double-submit cookie: readable by the page's script (the
 * seed's client copies it into every POST), SameSite=Lax. Issues one when the
 * browser has none and returns the value in force.
 */
export function issueXsrfCookie(req: FastifyRequest, reply: FastifyReply, ctx: Ctx): string {
  const issued = issuedXsrf.get(req);
  if (issued) return issued;
  const have = req.cookies?.[XSRF_COOKIE];
  if (typeof have === 'string' && /^[0-9a-f]{32}$/.test(have)) return have;
  const token = randomBytes(16).toString('hex');
  reply.setCookie(XSRF_COOKIE, token, { path: '/', httpOnly: false, sameSite: 'lax', secure: ctx.config.secureCookies });
  issuedXsrf.set(req, token);
  return token;
}

const issuedXsrf = new WeakMap<FastifyRequest, string>();

/**
 * Tornado's check_xsrf_cookie: the `_xsrf` argument (or X-XSRFToken /
 * X-CSRFToken header) must equal the `_xsrf` cookie. 403 otherwise.
 */
export function checkXsrf(req: FastifyRequest): void {
  const header = req.headers['x-xsrftoken'] ?? req.headers['x-csrftoken'];
  const given = field(req, '_xsrf') ?? (typeof header === 'string' ? header : null);
  if (!given) throw new AppError('CSRF_FAILED', "'_xsrf' argument missing from POST (send the value of the _xsrf cookie).");
  const cookie = req.cookies?.[XSRF_COOKIE];
  if (!cookie) throw new AppError('CSRF_FAILED', "'_xsrf' argument has no matching cookie: load GET /chatdemo to get one.");
  const a = Buffer.from(given);
  const b = Buffer.from(cookie);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new AppError('CSRF_FAILED', 'XSRF cookie does not match POST argument.');
}

/**
 * Whether an Origin (scheme://host[:port]) is this site: the request's own
 * Host, or one of config.allowedOrigins. One rule for every legacy route: the
 * /msg upgrade and the legacy POSTs.
 */
export function originAllowed(origin: string, req: FastifyRequest, ctx: Ctx): boolean {
  if (ctx.config.allowedOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false; // "null" (sandboxed or privacy-stripped pages) and anything unparsable
  }
}

/**
 * Refuses a POST that a browser sent from another site's page. The seeds'
 * wall client (`/chat`, `/updatemsg`) sends no token, so the browser's own
 * word is the check: the Origin header, or the Referer's origin when a browser
 * sends no Origin. A request with neither does not come from a web page (curl,
 * a script), and cannot carry a visitor's ambient credentials: it is allowed.
 */
export function checkSameSite(req: FastifyRequest, ctx: Ctx): void {
  const origin = req.headers.origin;
  const referer = req.headers.referer;
  let from: string | null = null;
  if (origin !== undefined) from = origin;
  else if (referer !== undefined) {
    try {
      from = new URL(referer).origin;
    } catch {
      from = 'null';
    }
  }
  if (from !== null && !originAllowed(from, req, ctx)) {
    throw new AppError(
      'CSRF_FAILED',
      'Cross-site post refused: legacy endpoints accept posts only from pages on this site (or in allowedOrigins).',
    );
  }
}

/** Route options for a legacy post: anonymous, so limited per client IP (AbuseLimits.legacyPost). */
export function postLimit(ctx: Ctx): { preHandler: (req: FastifyRequest) => Promise<void> } {
  return { preHandler: async (req) => ctx.limits.legacyPost(req.ip) };
}

/**
 * JSON that is also safe inside a <script> element and to `eval("(" + r + ")")`
 * in old engines (as Tornado's json_encode: "</" and U+2028/2029 escaped).
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/<\//g, '<\\/')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * JSON that no HTML parser can find markup in: "<", ">" and "&" (and U+2028/9)
 * as \\u escapes. Still valid JSON with the same parsed value. For answers
 * sent as text/html because a seed's client expects a string (seed 000).
 */
export function htmlSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Tornado's xhtml_escape. */
export function xhtmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
const count = (s: string, ch: string): number => s.split(ch).length - 1;

/**
 * Tornado's linkify as the chatdemo template uses it: the text escaped, and
 * http(s) URLs (or bare www. hosts) turned into links. Other schemes stay text.
 */
export function linkify(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    let url = m[0];
    // Trailing punctuation belongs to the sentence; a ")" only when it closes nothing in the URL.
    for (;;) {
      const ch = url.at(-1);
      if (ch !== undefined && '.,;:!?\'"]}'.includes(ch)) url = url.slice(0, -1);
      else if (ch === ')' && count(url, '(') < count(url, ')')) url = url.slice(0, -1);
      else break;
    }
    if (/^(?:https?:\/\/|www\.)$/i.test(url)) continue;
    const start = m.index;
    const href = /^www\./i.test(url) ? 'http://' + url : url;
    out += xhtmlEscape(text.slice(last, start)) + `<a href="${xhtmlEscape(href)}">${xhtmlEscape(url)}</a>`;
    last = start + url.length;
  }
  return out + xhtmlEscape(text.slice(last));
}
