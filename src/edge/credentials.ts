import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';
import type { AuthService, Principal } from '../services/auth.js';

export const SESSION_COOKIE = 'hubbub_session';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** A credential as presented, before anyone looked it up. */
export interface Presented {
  token: string;
  via: 'bearer' | 'session';
}

const BEARER = /^Bearer\s+(\S+)$/i;
const SESSION = new RegExp('(?:^|;)\\s*' + SESSION_COOKIE + '=([^;]*)');

/**
 * The one reading of a request's credential, for every way in (the Fastify
 * hook, the long-poll fast path): a bearer header wins over the session
 * cookie; a header that is not "Bearer <token>" is refused rather than
 * ignored, so a typo never silently falls back to the cookie. `sessionCookie`
 * is the cookie's value as the caller parsed it.
 */
export function presented(authorization: string | undefined, sessionCookie: string | undefined): Presented | null {
  if (authorization) {
    const m = BEARER.exec(authorization);
    if (!m) throw new AppError('AUTH_REQUIRED', 'The Authorization header must be "Bearer <token>".');
    return { token: m[1]!, via: 'bearer' };
  }
  return sessionCookie ? { token: sessionCookie, via: 'session' } : null;
}

/**
 * The session cookie's value read straight off a Cookie header, for callers
 * without a cookie parser; null when the value is quoted or encoded (the
 * cookie parser decodes those, so only it may say what they mean).
 */
export function plainSessionCookie(header: string | undefined): string | undefined | null {
  if (header === undefined) return undefined;
  const value = SESSION.exec(header)?.[1];
  if (value !== undefined && (value.includes('%') || value.includes('"'))) return null;
  return value;
}

/** Finds who is calling (see `presented`); an unknown bearer token is refused, an unknown cookie is anonymous. */
export async function identify(auth: AuthService, request: FastifyRequest): Promise<Principal | null> {
  const cred = presented(request.headers.authorization, request.cookies?.[SESSION_COOKIE]);
  if (!cred) return null;
  const p = await auth.resolve(cred.token, cred.via);
  if (!p && cred.via === 'bearer') throw new AppError('AUTH_REQUIRED', 'The bearer token is unknown or expired.');
  return p;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A cookie travels with cross-site requests; the CSRF token does not, so a
 * cookie-authenticated mutation must echo the session's token in X-CSRF-Token.
 * Bearer tokens are never sent implicitly and need no such proof.
 */
export function checkCsrf(request: FastifyRequest): void {
  const p = request.principal;
  if (p?.via !== 'session' || !MUTATING.has(request.method)) return;
  const given = request.headers['x-csrf-token'];
  if (typeof given !== 'string' || !p.csrfToken) throw new AppError('CSRF_FAILED');
  const a = Buffer.from(given);
  const b = Buffer.from(p.csrfToken);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new AppError('CSRF_FAILED');
}

export function requireUser(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('AUTH_REQUIRED');
  return request.principal;
}

export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean, maxAgeSeconds: number): void {
  reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: maxAgeSeconds });
}
