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

/** Finds who is calling: a bearer token wins over the session cookie. */
export async function identify(auth: AuthService, request: FastifyRequest): Promise<Principal | null> {
  const header = request.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new AppError('AUTH_REQUIRED', 'The Authorization header must be "Bearer <token>".');
    const p = await auth.resolve(m[1]!, 'bearer');
    if (!p) throw new AppError('AUTH_REQUIRED', 'The bearer token is unknown or expired.');
    return p;
  }
  const cookie = request.cookies?.[SESSION_COOKIE];
  if (cookie) return auth.resolve(cookie, 'session');
  return null;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A cookie travels with cross-site requests; the CSRF token does not, so a
 * cookie-authenticated mutation must echo the session's token in X-CSRF-Token.
 * Bearer tokens are never sent implicitly and need no such proof.
 */
export function checkCsrf(request: FastifyRequest): void {
  const p = request.principal;
  if (!p || p.via !== 'session' || !MUTATING.has(request.method)) return;
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
