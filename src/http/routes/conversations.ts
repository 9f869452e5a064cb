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

  app.get<IdParams & { Querystring: PageQuery }>('/api/v1/conversations/:id/messages', async (req) => {
    return chat.history(req.principal?.user ?? null, idParam(req.params.id, 'CONVERSATION_NOT_FOUND'), pageQuery(req.query));
  });

  app.post<IdParams & { Body: { body?: string; clientMsgId?: string; replyTo?: string; attachments?: string[] } }>(
    '/api/v1/conversations/:id/messages',
    { schema: { body: S.send } },
    async (req, reply) => {
      const me = requireUser(req).user;
      ctx.limits.send(me.id, req.ip);
      const { body = '', clientMsgId, replyTo, attachments = [] } = req.body;
      const r = await chat.send(me, idParam(req.params.id, 'CONVERSATION_NOT_FOUND'), body, clientMsgId ?? null, {
        replyTo: replyTo === undefined ? null : idParam(replyTo, 'MESSAGE_NOT_FOUND'),
        attachments,
      });
      return reply.code(r.duplicate ? 200 : 201).send({ message: r.message, duplicate: r.duplicate });
    },
  );

  // Moderators may delete others' messages in a room; only the room's owner names them.
  for (const [method, on] of [
    ['PUT', true],
    ['DELETE', false],
  ] as const) {
    app.route<{ Params: { id: string; userId: string } }>({
      method,
      url: '/api/v1/conversations/:id/moderators/:userId',
      handler: async (req) => {
        const me = requireUser(req).user;
        await chat.setModerator(me, idParam(req.params.id, 'CONVERSATION_NOT_FOUND'), idParam(req.params.userId, 'USER_NOT_FOUND'), on);
        return { ok: true };
      },
    });
  }

  app.post<IdParams & { Body: { upTo: string } }>('/api/v1/conversations/:id/read', { schema: { body: S.read } }, async (req) => {
    await chat.markRead(requireUser(req).user, idParam(req.params.id, 'CONVERSATION_NOT_FOUND'), req.body.upTo);
    return { ok: true };
  });

  app.get('/api/v1/rooms', async () => ({ rooms: await store.listRooms() }));

  app.get<{ Params: { name: string }; Querystring: PageQuery }>('/api/v1/rooms/:name/messages', async (req) => {
    const room = await chat.roomByName(req.params.name);
    return { room, ...(await chat.history(null, room.id, pageQuery(req.query))) };
  });
}

type PageQuery = { before?: string; around?: string; limit?: string };

/** A history page is the newest, the one `before` a message, or the one `around` it: never two of them. */
function pageQuery(q: PageQuery): { before?: string; around?: string; limit: number } {
  const messageId = (name: string) => {
    const v = strParam(q[name as keyof PageQuery], name, 20);
    if (v !== null && !/^\d{1,15}$/.test(v)) throw new AppError('VALIDATION_FAILED', `${name} must be a message id.`);
    return v ?? undefined;
  };
  const before = messageId('before');
  const around = messageId('around');
  if (before !== undefined && around !== undefined) throw new AppError('VALIDATION_FAILED', 'Ask for before= or around=, not both.');
  return { before, around, limit: intParam(q.limit, 'limit', 1, 100, 50) };
}
