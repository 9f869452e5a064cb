import { idLess } from '../format';
import type { ConversationDetail, EventPayload } from '../types';
import type { Applied, Effect } from './apply-event';
import { lineFor, newestHeld, ownerLine, withLines } from './lines';
import { withDetailMembers } from './load';
import { countsAfterRead, newConv, withConv, type ChatState } from './model';

/** Events about membership and read positions: who is in a conversation and how far each has read. */

type Ev<T extends EventPayload['type']> = Extract<EventPayload, { type: T }>;
const unchanged = (state: ChatState): Applied => ({ state, effects: [] });
/** A stream event's cursor when it has one (a stored event always does; a test's bare payload not). */
const keyOf = (ev: EventPayload, fallback: string): string => (ev as { cursor?: string }).cursor ?? fallback;

export function conversationCreated(state: ChatState, d: ConversationDetail): Applied {
  const me = state.me?.id;
  if (state.conversations[d.id] || !d.members.some((x) => x.id === me)) return unchanged(state);
  const peer = d.kind === 'direct' ? d.members.find((x) => x.id !== me) : undefined;
  const conv = newConv({
    id: d.id,
    kind: d.kind,
    name: d.name,
    ownerId: d.ownerId,
    createdAt: d.createdAt,
    memberCount: d.memberCount,
    unread: 0,
    mentions: 0,
    lastMessage: null,
    lastReadMessageId: null,
    ...(peer ? { peer: { id: peer.id, username: peer.username, displayName: peer.displayName } } : {}),
  });
  return unchanged(withConv(state, d.id, withDetailMembers(conv, d.members, me)));
}

export function conversationUpdated(state: ChatState, ev: Ev<'conversation.updated'>): Applied {
  const c = state.conversations[ev.conversation.id];
  if (!c) return unchanged(state);
  const line = lineFor(c, ev, keyOf(ev, `renamed:${ev.conversation.name}`), newestHeld(c));
  return unchanged(withConv(state, c.summary.id, { ...withLines(c, [line]), summary: { ...c.summary, name: ev.conversation.name } }));
}

export function memberJoined(state: ChatState, ev: Ev<'member.joined'>): Applied {
  const c = state.conversations[ev.conversationId];
  if (ev.member.id === state.me?.id) {
    // Back in a conversation I was removed from: it starts over from the list.
    if (c?.ended) return { state: withConv(state, c.summary.id, null), effects: [{ kind: 'refreshConversations' }] };
    return c ? unchanged(state) : { state, effects: [{ kind: 'refreshConversations' }] };
  }
  // Without the member list a count cannot be kept exactly (the event may
  // already be in it); it is shown only with the list, which opening loads.
  if (!c?.members || c.members.some((x) => x.id === ev.member.id)) return unchanged(state);
  const members = [...c.members, ev.member];
  const withLine = withLines(c, [lineFor(c, ev, keyOf(ev, `joined:${ev.member.id}:${c.members.length}`), newestHeld(c))]);
  return unchanged(withConv(state, c.summary.id, { ...withLine, members, summary: { ...c.summary, memberCount: members.length } }));
}

export function memberLeft(state: ChatState, ev: Ev<'member.left'>): Applied {
  const c = state.conversations[ev.conversationId];
  if (!c) return unchanged(state);
  const key = keyOf(ev, `left:${ev.userId}:${c.members?.length ?? ''}`);
  if (ev.userId === state.me?.id) {
    // Removed by someone else: the conversation stays, read-only, with a last line saying so.
    if (ev.by && ev.by !== ev.userId) {
      if (c.ended) return unchanged(state);
      const ended = withLines(c, [lineFor(c, ev, key, newestHeld(c))]);
      const members = c.members ? c.members.filter((x) => x.id !== ev.userId) : null;
      return unchanged(withConv(state, c.summary.id, { ...ended, members, ended: { by: ev.by } }));
    }
    const next = withConv(state, c.summary.id, null);
    if (state.activeId !== c.summary.id) return unchanged(next);
    return { state: { ...next, activeId: null }, effects: [{ kind: 'closed', conversationId: c.summary.id }] };
  }
  const summary = ev.newOwnerId ? { ...c.summary, ownerId: ev.newOwnerId } : c.summary;
  if (!c.members) return unchanged(withConv(state, c.summary.id, { ...c, summary }));
  if (!c.members.some((x) => x.id === ev.userId)) return unchanged(withConv(state, c.summary.id, { ...c, summary }));
  const after = newestHeld(c);
  const lined = withLines(c, [lineFor(c, ev, key, after), ev.newOwnerId ? ownerLine(c, ev.newOwnerId, key, after) : null]);
  const members = c.members.filter((x) => x.id !== ev.userId).map((x) => (x.id === ev.newOwnerId ? { ...x, role: 'owner' as const } : x));
  const { [ev.userId]: _gone, ...readBy } = c.readBy;
  return unchanged(withConv(state, c.summary.id, { ...lined, members, readBy, summary: { ...summary, memberCount: members.length } }));
}

export function memberUpdated(state: ChatState, ev: Ev<'member.updated'>): Applied {
  const c = state.conversations[ev.conversationId];
  const m = c?.members?.find((x) => x.id === ev.userId);
  if (!c?.members || !m || m.role === ev.role) return unchanged(state);
  const members = c.members.map((x) => (x.id === ev.userId ? { ...x, role: ev.role } : x));
  const lined = withLines(c, [lineFor(c, ev, keyOf(ev, `role:${ev.userId}:${ev.role}`), newestHeld(c))]);
  return unchanged(withConv(state, c.summary.id, { ...lined, members }));
}

export function readUpdated(state: ChatState, ev: Ev<'read.updated'>): Applied {
  const c = state.conversations[ev.conversationId];
  if (!c) return unchanged(state);
  if (ev.userId === state.me?.id) return movedReadPointer(state, ev.conversationId, ev.upTo);
  const had = c.readBy[ev.userId];
  if (had && !idLess(had, ev.upTo)) return unchanged(state);
  return unchanged(withConv(state, c.summary.id, { ...c, readBy: { ...c.readBy, [ev.userId]: ev.upTo } }));
}

/** My read pointer moved to `upTo` (here or on another device): the unread and mention counts follow. */
export function movedReadPointer(state: ChatState, id: string, upTo: string): Applied {
  const c = state.conversations[id];
  if (!c) return unchanged(state);
  // Pointers only move forward: an older event (replayed over a newer load) changes nothing.
  if (c.summary.lastReadMessageId && !idLess(c.summary.lastReadMessageId, upTo)) return unchanged(state);
  const counts = countsAfterRead(c, state.me?.id, upTo);
  const summary = { ...c.summary, lastReadMessageId: upTo, ...(counts ?? {}) };
  const next = withConv(state, id, { ...c, summary });
  // Read elsewhere up to a message we do not hold: the server counts what is left.
  const effects: Effect[] = counts ? [] : [{ kind: 'refreshConversations' }];
  return { state: next, effects };
}
