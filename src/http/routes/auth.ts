import type { FastifyInstance, FastifyRequest } from 'fastify';
import { checkCsrf, requireUser, SESSION_COOKIE, setSessionCookie } from '../../edge/credentials.js';
import type { Ctx } from '../../edge/context.js';
import { S } from '../schemas.js';

/** What the session list shows of where a credential was made. */
const clientOf = (req: FastifyRequest) => ({ userAgent: req.headers['user-agent'] ?? null, ip: req.ip });

export function authRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { auth, config } = ctx;
  const sessionMaxAge = config.sessionTtlDays * 86400;

  app.post<{ Body: { username: string; password: string; displayName?: string } }>(
    '/api/v1/auth/register',
    {
      schema: { body: S.register },
    },
    async (req, reply) => {
      ctx.limits.register(req.ip);
      const user = await auth.register(req.body);
      const s = await auth.openSession(user, clientOf(req));
      setSessionCookie(reply, s.token, config.secureCookies, sessionMaxAge);
      return reply.code(201).send({ user, csrfToken: s.csrfToken });
    },
  );

  // Login and token creation share one throttle (services/login-throttle.ts), keyed by the account as looked up.
  app.post<{ Body: { username: string; password: string } }>('/api/v1/auth/login', { schema: { body: S.login } }, async (req, reply) => {
    const user = await auth.login(req.body.username, req.body.password, req.ip);
    const s = await auth.openSession(user, clientOf(req));
    setSessionCookie(reply, s.token, config.secureCookies, sessionMaxAge);
    return { user, csrfToken: s.csrfToken };
  });

  app.post('/api/v1/auth/logout', async (req, reply) => {
    if (req.principal) {
      checkCsrf(req);
      await auth.revoke(req.principal.tokenHash, 'logout');
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  // Log out everywhere: every session and bearer token of the user, this one included.
  app.post('/api/v1/auth/logout-all', async (req, reply) => {
    const p = requireUser(req);
    await auth.revokeAll(p.user.id, 'logout-all');
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.post<{ Body: { username: string; password: string } }>('/api/v1/tokens', { schema: { body: S.login } }, async (req, reply) => {
    const user = await auth.login(req.body.username, req.body.password, req.ip);
    return reply.code(201).send({ token: await auth.issueBearer(user, clientOf(req)), user });
  });

  // Deleting an account asks for the password again: a stolen session alone cannot do it.
  app.delete<{ Body: { password: string } }>('/api/v1/me', { schema: { body: S.deleteAccount } }, async (req, reply) => {
    const p = requireUser(req);
    await auth.login(p.user.username, req.body.password, req.ip);
    await ctx.chat.deleteAccount(p.user);
    await auth.revokeAll(p.user.id);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  // Settings are the user's own: only /me shows them, never a user object others see.
  app.get('/api/v1/me', async (req) => {
    const p = requireUser(req);
    return { user: p.user, csrfToken: p.csrfToken, settings: await ctx.chat.settings(p.user) };
  });

  app.patch<{ Body: { displayName?: string; hideReadReceipts?: boolean } }>('/api/v1/me', { schema: { body: S.updateMe } }, async (req) => {
    const p = requireUser(req);
    const { displayName, hideReadReceipts } = req.body;
    const user = displayName === undefined ? p.user : await auth.setDisplayName(p, displayName);
    const settings =
      hideReadReceipts === undefined ? await ctx.chat.settings(p.user) : await ctx.chat.updateSettings(p.user, { hideReadReceipts });
    return { user, settings };
  });

  // Asks for the current password (throttled like a login); every other session and token ends.
  app.post<{ Body: { currentPassword: string; newPassword: string } }>(
    '/api/v1/me/password',
    { schema: { body: S.changePassword } },
    async (req) => {
      const p = requireUser(req);
      await auth.changePassword(p, req.body.currentPassword, req.body.newPassword, req.ip);
      return { ok: true };
    },
  );

  app.get('/api/v1/me/sessions', async (req) => {
    return { sessions: await auth.listSessions(requireUser(req)) };
  });

  app.delete<{ Params: { id: string } }>('/api/v1/me/sessions/:id', async (req) => {
    await auth.endSession(requireUser(req), req.params.id);
    return { ok: true };
  });
}
