import { idLess } from '../format';
import type { ChatMessage, EventPayload, Message, Reaction } from '../types';
import type { Applied, Effect } from './apply-event';
import { isSeen, mentionsMe, storedOf, withConv, type ChatState, type ConvState } from './model';
import { movedReadPointer } from './apply-member';

/**
 * Events about messages: created, edited, deleted, reacted to. Each is
 * idempotent: a message is replaced by the event's copy (not patched), a
 * reaction is keyed by (emoji, user).
 */

type Ev<T extends EventPayload['type']> = Extract<EventPayload, { type: T }>;
const unchanged = (state: ChatState): Applied => ({ state, effects: [] });

/** The server's reactor list per emoji is capped (docs/api.md); past it, only the count is known. */
export const REACTORS_SHOWN = 20;
/** A quote shows this much of the original (the server's rule). */
export const QUOTE_CHARS = 140;

/**
 * A stored message, from the stream or from the answer to our own send: added
 * once, replacing its pending copy. Only the stream's copy counts as unread
 * or notifies: the answer to a send is ours.
 */
export function acceptMessage(state: ChatState, m: Message, fromStream: boolean): Applied {
  const c = state.conversations[m.conversationId];
  // A conversation we were just added to: its summary comes with the list.
  if (!c) return { state, effects: fromStream ? [{ kind: 'refreshConversations' }] : [] };
  const mine = m.senderId === state.me?.id;
  const known = c.messages.some((x) => x.id === m.id);
  let messages = c.messages;
  if (!known) {
    if (mine && m.clientMsgId) messages = messages.filter((x) => !(x.state && x.clientMsgId === m.clientMsgId));
    // Only a loaded conversation holds messages (and only up to the present); the others fetch their page when opened.
    if ((c.loaded || c.loading) && !c.hasNewer) messages = insertStored(messages, m);
  }
  const isNewest = !c.summary.lastMessage || idLess(c.summary.lastMessage.id, m.id);
  const summary = isNewest ? { ...c.summary, lastMessage: m } : c.summary;
  const next = withConv(state, c.summary.id, { ...c, summary, messages });
  // The server moves the sender's read pointer to what they wrote (without an event of its own).
  if (mine) return movedReadPointer(next, m.conversationId, m.id);
  if (!fromStream || known || !isNewest) return unchanged(next);

  const effects: Effect[] = [];
  let conv = next.conversations[c.summary.id]!;
  const seen = isSeen(state, c.summary.id);
  const mention = mentionsMe(m, state.me?.id);
  if (seen) effects.push({ kind: 'markRead', conversationId: c.summary.id });
  else {
    const s = conv.summary;
    conv = { ...conv, summary: { ...s, unread: (s.unread || 0) + 1, ...(mention ? { mentions: (s.mentions ?? 0) + 1 } : {}) } };
  }
  // A mention calls me even on another conversation or with the tab in view; anything else only while hidden.
  if (!state.visible || (mention && !seen)) effects.push({ kind: 'notify', conversationId: c.summary.id, message: m, mention });
  let typing = next.typing;
  if (typing[m.conversationId]?.[m.senderId]) {
    const { [m.senderId]: _gone, ...rest } = typing[m.conversationId]!;
    typing = { ...typing, [m.conversationId]: rest };
  }
  return { state: { ...withConv(next, c.summary.id, conv), typing }, effects };
}

/** Stored messages in id order, local ones after them. */
function insertStored(messages: ConvState['messages'], m: Message): ConvState['messages'] {
  const stored = storedOf(messages);
  let i = stored.length;
  while (i > 0 && idLess(m.id, stored[i - 1]!.id)) i--;
  stored.splice(i, 0, m);
  return [...stored, ...messages.filter((x) => x.state)];
}

/** Every copy of message `id` in `c` (the list, the summary, quotes of it) rewritten by `f`. */
function rewrite(
  c: ConvState,
  id: string,
  f: (m: Message) => Message,
  quote?: (q: NonNullable<Message['replyTo']>) => Message['replyTo'],
): ConvState {
  let changed = false;
  const one = <M extends ChatMessage>(x: M): M => {
    let y: M = x;
    if (x.id === id && !x.state) y = { ...x, ...f(x) };
    if (quote && y.replyTo?.id === id) y = { ...y, replyTo: quote(y.replyTo) };
    return y !== x && JSON.stringify(y) !== JSON.stringify(x) ? y : x;
  };
  const messages = c.messages.map((x) => {
    const y = one(x);
    if (y !== x) changed = true;
    return y;
  });
  const last = c.summary.lastMessage;
  const lastNext = last ? one(last) : last;
  const lastChanged = lastNext !== last;
  if (!changed && !lastChanged) return c;
  return { ...c, messages: changed ? messages : c.messages, summary: lastChanged ? { ...c.summary, lastMessage: lastNext } : c.summary };
}

export function messageUpdated(state: ChatState, ev: Ev<'message.updated'>): Applied {
  const m = ev.message;
  const c = state.conversations[m.conversationId];
  if (!c) return unchanged(state);
  // An edit never revives a tombstone (a late edit event after the delete).
  const held = c.messages.find((x) => x.id === m.id) ?? (c.summary.lastMessage?.id === m.id ? c.summary.lastMessage : null);
  if (held?.deleted) return unchanged(state);
  const next = rewrite(
    c,
    m.id,
    (x) => ({ ...m, clientMsgId: m.clientMsgId ?? x.clientMsgId }),
    (q) => ({
      ...q,
      preview: [...m.body].slice(0, QUOTE_CHARS).join(''),
    }),
  );
  if (next === c) return unchanged(state);
  // A mention added or taken away by the edit of an unread message: the server counts again.
  const unread = !c.summary.lastReadMessageId || idLess(c.summary.lastReadMessageId, m.id);
  const changedMention = held ? mentionsMe(held, state.me?.id) !== mentionsMe(m, state.me?.id) : mentionsMe(m, state.me?.id);
  const effects: Effect[] = unread && changedMention ? [{ kind: 'refreshConversations' }] : [];
  return { state: withConv(state, c.summary.id, next), effects };
}

export function messageDeleted(state: ChatState, ev: Ev<'message.deleted'>): Applied {
  const c = state.conversations[ev.conversationId];
  if (!c) return unchanged(state);
  // The server's tombstone (domain/messages.ts): no body, no files, no preview.
  const tomb = (x: Message): Message => ({
    ...x,
    body: '',
    deleted: true,
    mentions: [],
    mentionsAll: false,
    reactions: [],
    attachments: [],
    linkPreview: null,
  });
  const next = rewrite(c, ev.messageId, tomb, (q) => ({ ...q, preview: '', deleted: true }));
  if (next === c) return unchanged(state);
  // An unread message gone: whether it still counts is the server's rule, so it counts again.
  const unread = ev.by !== state.me?.id && (!c.summary.lastReadMessageId || idLess(c.summary.lastReadMessageId, ev.messageId));
  return { state: withConv(state, c.summary.id, next), effects: unread ? [{ kind: 'refreshConversations' }] : [] };
}

/** The reactions of a message with (emoji, user) added or taken away; the same list when nothing changes. */
export function withReaction(list: readonly Reaction[], emoji: string, userId: string, on: boolean): Reaction[] {
  const i = list.findIndex((r) => r.emoji === emoji);
  const r = list[i];
  if (on) {
    if (r?.userIds.includes(userId)) return list as Reaction[];
    if (!r) return [...list, { emoji, count: 1, userIds: [userId] }];
    const userIds = r.userIds.length < REACTORS_SHOWN ? [...r.userIds, userId] : r.userIds;
    return list.map((x, j) => (j === i ? { ...x, count: x.count + 1, userIds } : x));
  }
  // Off: known only when the reactor is listed (past the cap the event may be a repeat).
  if (!r?.userIds.includes(userId)) return list as Reaction[];
  if (r.count <= 1) return list.filter((_, j) => j !== i);
  return list.map((x, j) => (j === i ? { ...x, count: x.count - 1, userIds: x.userIds.filter((u) => u !== userId) } : x));
}

export function reacted(state: ChatState, ev: Ev<'reaction.added'> | Ev<'reaction.removed'>): Applied {
  const c = state.conversations[ev.conversationId];
  if (!c) return unchanged(state);
  const on = ev.type === 'reaction.added';
  const next = rewrite(c, ev.messageId, (x) =>
    x.deleted ? x : { ...x, reactions: withReaction(x.reactions ?? [], ev.emoji, ev.userId, on) },
  );
  return unchanged(next === c ? state : withConv(state, c.summary.id, next));
}
