import type { FastifyInstance } from 'fastify';
import { requireUser } from '../../edge/credentials.js';
import type { Ctx } from '../../edge/context.js';
import { idParam } from '../../edge/query.js';
import { S } from '../schemas.js';

type IdParams = { Params: { id: string } };
type ReactionParams = { Params: { id: string; emoji: string } };

/**
 * One message by id: edit, delete, its edit history, reactions. Who may do
 * what is the chat service's to decide; each answers the message as it is
 * afterwards, so a retried request (the same edit, a second delete, the same
 * reaction again) answers the same and writes nothing.
 */
export function messageRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { chat } = ctx;
  const messageId = (raw: string) => idParam(raw, 'MESSAGE_NOT_FOUND');

  // Edits, deletes and reactions each write to the stream like a send, and share its budget.
  app.patch<IdParams & { Body: { body: string } }>('/api/v1/messages/:id', { schema: { body: S.edit } }, async (req) => {
    const me = requireUser(req).user;
    ctx.limits.send(me.id, req.ip);
    return { message: await chat.editMessage(me, messageId(req.params.id), req.body.body) };
  });

  app.delete<IdParams>('/api/v1/messages/:id', async (req) => {
    const me = requireUser(req).user;
    ctx.limits.send(me.id, req.ip);
    return { message: await chat.deleteMessage(me, messageId(req.params.id)) };
  });

  app.get<IdParams>('/api/v1/messages/:id/edits', async (req) => {
    return { edits: await chat.messageEdits(requireUser(req).user, messageId(req.params.id)) };
  });

  // `:emoji` arrives percent-decoded; whether it is one emoji is the domain's rule (INVALID_EMOJI).
  app.put<ReactionParams>('/api/v1/messages/:id/reactions/:emoji', async (req) => {
    const me = requireUser(req).user;
    ctx.limits.send(me.id, req.ip);
    return { message: await chat.react(me, messageId(req.params.id), req.params.emoji, true) };
  });

  app.delete<ReactionParams>('/api/v1/messages/:id/reactions/:emoji', async (req) => {
    const me = requireUser(req).user;
    ctx.limits.send(me.id, req.ip);
    return { message: await chat.react(me, messageId(req.params.id), req.params.emoji, false) };
  });
}
