import type { FastifyInstance } from 'fastify';
import { checkCsrf, requireUser, SESSION_COOKIE, setSessionCookie } from '../auth-hooks.js';
import type { Ctx } from '../context.js';
import { S } from '../schemas.js';

export function authRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { auth, config } = ctx;
  const sessionMaxAge = config.sessionTtlDays * 86400;
  const loginLimit = { rateLimit: { max: config.rateLimits.login, timeWindow: 60_000, hook: 'preHandler' as const, keyGenerator: (req: { ip: string; body?: unknown }) => `${req.ip}:${String((req.body as { username?: string } | undefined)?.username ?? '').toLowerCase()}` } };

  app.post<{ Body: { username: string; password: string; displayName?: string } }>('/api/v1/auth/register', {
    schema: { body: S.register },
    config: { rateLimit: { max: config.rateLimits.register, timeWindow: 3_600_000 } },
  }, async (req, reply) => {
    const user = await auth.register(req.body);
    const s = await auth.openSession(user);
    setSessionCookie(reply, s.token, config.secureCookies, sessionMaxAge);
    return reply.code(201).send({ user, csrfToken: s.csrfToken });
  });

  app.post<{ Body: { username: string; password: string } }>('/api/v1/auth/login', { schema: { body: S.login }, config: loginLimit }, async (req, reply) => {
    const user = await auth.verify(req.body.username, req.body.password);
    const s = await auth.openSession(user);
    setSessionCookie(reply, s.token, config.secureCookies, sessionMaxAge);
    return { user, csrfToken: s.csrfToken };
  });

  app.post('/api/v1/auth/logout', async (req, reply) => {
    if (req.principal) {
      checkCsrf(req);
      await auth.revoke(req.principal.tokenHash);
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  // Log out everywhere: every session and bearer token of the user, this one included.
  app.post('/api/v1/auth/logout-all', async (req, reply) => {
    const p = requireUser(req);
    await auth.revokeAll(p.user.id);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.post<{ Body: { username: string; password: string } }>('/api/v1/tokens', { schema: { body: S.login }, config: loginLimit }, async (req, reply) => {
    const user = await auth.verify(req.body.username, req.body.password);
    return reply.code(201).send({ token: await auth.issueBearer(user), user });
  });

  // Deleting an account asks for the password again: a stolen session alone cannot do it.
  app.delete<{ Body: { password: string } }>('/api/v1/me', { schema: { body: S.deleteAccount } }, async (req, reply) => {
    const p = requireUser(req);
    await auth.verify(p.user.username, req.body.password);
    await ctx.chat.deleteAccount(p.user);
    await auth.revokeAll(p.user.id);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/v1/me', async (req) => {
    const p = requireUser(req);
    return { user: p.user, csrfToken: p.csrfToken };
  });
}
