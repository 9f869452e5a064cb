import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { requireUser } from '../../edge/credentials.js';
import type { Ctx } from '../../edge/context.js';
import { idParam, intParam, strParam } from '../../edge/query.js';
import { S } from '../schemas.js';

type IdParams = { Params: { id: string } };

export function conversationRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { store, chat } = ctx;

  app.get('/api/v1/conversations', async (req) => {
    return { conversations: await store.listConversationsOf(requireUser(req).user.id) };
  });

  app.post<{ Body: { kind: 'group' | 'room'; name: string; members?: string[] } }>(
    '/api/v1/conversations',
    { schema: { body: S.createConversation } },
    async (req, reply) => {
      const me = requireUser(req).user;
      const conversation =
        req.body.kind === 'group'
          ? await chat.createGroup(me, req.body.name, req.body.members ?? [])
          : await chat.createRoom(me, req.body.name);
      return reply.code(201).send({ conversation });
    },
  );

  app.get<IdParams>('/api/v1/conversations/:id', async (req) => {
    return { conversation: await chat.readable(req.principal?.user ?? null, idParam(req.params.id, 'CONVERSATION_NOT_FOUND')) };
  });

  app.patch<IdParams & { Body: { name: string } }>('/api/v1/conversations/:id', { schema: { body: S.rename } }, async (req) => {
    await chat.rename(requireUser(req).user, idParam(req.params.id, 'CONVERSATION_NOT_FOUND'), req.body.name);
    return { conversation: await store.getConversation(req.params.id) };
  });

  app.post<IdParams & { Body: { username: string } }>(
    '/api/v1/conversations/:id/members',
    { schema: { body: S.addMember } },
    async (req, reply) => {
      await chat.addMember(requireUser(req).user, idParam(req.params.id, 'CONVERSATION_NOT_FOUND'), req.body.username);
      return reply.code(201).send({ ok: true });
    },
  );

  app.delete<{ Params: { id: string; userId: string } }>('/api/v1/conversations/:id/members/:userId', async (req) => {
    const me = requireUser(req).user;
    await chat.removeMember(me, idParam(req.params.id, 'CONVERSATION_NOT_FOUND'), idParam(req.params.userId, 'USER_NOT_FOUND'));
    return { ok: true };
  });

  app.post<IdParams>('/api/v1/conversations/:id/join', async (req) => {
    await chat.join(requireUser(req).user, idParam(req.params.id, 'CONVERSATION_NOT_FOUND'));
    return { ok: true };
  });

  app.post<IdParams>('/api/v1/conversations/:id/leave', async (req) => {
    const me = requireUser(req).user;
    await chat.removeMember(me, idParam(req.params.id, 'CONVERSATION_NOT_FOUND'), me.id);
    return { ok: true };
  });

  app.get<IdParams & { Querystring: { before?: string; limit?: string } }>('/api/v1/conversations/:id/messages', async (req) => {
    const before = strParam(req.query.before, 'before', 20);
    if (before !== null && !/^\d{1,15}$/.test(before)) throw new AppError('VALIDATION_FAILED', 'before must be a message id.');
    const limit = intParam(req.query.limit, 'limit', 1, 100, 50);
    return { messages: await chat.history(req.principal?.user ?? null, idParam(req.params.id, 'CONVERSATION_NOT_FOUND'), before, limit) };
  });

  app.post<IdParams & { Body: { body: string; clientMsgId?: string } }>(
    '/api/v1/conversations/:id/messages',
    { schema: { body: S.send } },
    async (req, reply) => {
      const me = requireUser(req).user;
      ctx.limits.send(me.id, req.ip);
      const r = await chat.send(me, idParam(req.params.id, 'CONVERSATION_NOT_FOUND'), req.body.body, req.body.clientMsgId ?? null);
      return reply.code(r.duplicate ? 200 : 201).send({ message: r.message, duplicate: r.duplicate });
    },
  );

  app.post<IdParams & { Body: { upTo: string } }>('/api/v1/conversations/:id/read', { schema: { body: S.read } }, async (req) => {
    await chat.markRead(requireUser(req).user, idParam(req.params.id, 'CONVERSATION_NOT_FOUND'), req.body.upTo);
    return { ok: true };
  });

  app.get('/api/v1/rooms', async () => ({ rooms: await store.listRooms() }));

  app.get<{ Params: { name: string }; Querystring: { before?: string; limit?: string } }>('/api/v1/rooms/:name/messages', async (req) => {
    const room = await chat.roomByName(req.params.name);
    const before = strParam(req.query.before, 'before', 20);
    if (before !== null && !/^\d{1,15}$/.test(before)) throw new AppError('VALIDATION_FAILED', 'before must be a message id.');
    const limit = intParam(req.query.limit, 'limit', 1, 100, 50);
    return { room, messages: await chat.history(null, room.id, before, limit) };
  });
}
