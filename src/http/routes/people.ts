import type { FastifyInstance } from 'fastify';
import { requireUser } from '../../edge/credentials.js';
import type { Ctx } from '../../edge/context.js';
import { S } from '../schemas.js';
import { strParam } from '../../edge/query.js';

export function peopleRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { store, chat, presence } = ctx;

  app.get<{ Querystring: { prefix?: string } }>('/api/v1/users', async (req) => {
    requireUser(req);
    const prefix = (strParam(req.query.prefix, 'prefix', 32) ?? '').trim().toLowerCase();
    return { users: await store.searchUsers(prefix, 20) };
  });

  app.get('/api/v1/friends', async (req) => {
    const me = requireUser(req).user;
    const friends = await store.listFriends(me.id);
    return { friends: friends.map((f) => ({ ...f, presence: presence.status(f.id) })) };
  });

  app.get('/api/v1/friends/requests', async (req) => {
    const me = requireUser(req).user;
    return store.listFriendRequests(me.id);
  });

  app.post<{ Body: { username: string } }>(
    '/api/v1/friends/requests',
    {
      schema: { body: S.friendRequest },
    },
    async (req, reply) => {
      const me = requireUser(req).user;
      ctx.limits.friendRequest(me.id, req.ip);
      await chat.requestFriend(me, req.body.username);
      return reply.code(201).send({ ok: true });
    },
  );

  app.post<{ Params: { id: string } }>('/api/v1/friends/requests/:id/accept', async (req) => {
    await chat.answerFriendRequest(requireUser(req).user, req.params.id, true);
    return { ok: true };
  });

  app.post<{ Params: { id: string } }>('/api/v1/friends/requests/:id/decline', async (req) => {
    await chat.answerFriendRequest(requireUser(req).user, req.params.id, false);
    return { ok: true };
  });

  app.delete<{ Params: { userId: string } }>('/api/v1/friends/:userId', async (req) => {
    await chat.removeFriend(requireUser(req).user, req.params.userId);
    return { ok: true };
  });

  app.post<{ Params: { username: string } }>('/api/v1/direct/:username', async (req) => {
    return { conversation: await chat.direct(requireUser(req).user, req.params.username) };
  });
}
