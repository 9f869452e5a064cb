import { idLess } from '../format';
import type { EventPayload } from '@hubbub/client';
import type { ConversationDetail, FriendRequest, Message } from '../types';
import { isSeen, newConv, presenceIn, storedOf, withConv, type ChatState, type ConvState } from './model';

/**
 * The stream's events applied to the state: a pure function of (state,
 * event) that returns the next state and the effects it asks for. It does no
 * I/O and reads no clock, so the store runs the effects (session.ts) and the
 * tests run the function alone (test/unit/web-apply-event.test.ts).
 *
 * Invariant: applying an event the state already reflects changes nothing.
 * The store loads its state *after* taking the stream's head, so events
 * between the head and the load arrive on top of a state that has them; the
 * replay test checks that every interleaving ends where a fresh load does.
 * Where the stream does not carry enough to stay exact (an unread count whose
 * messages are not loaded) the event asks for the list again instead of
 * guessing.
 */

export type Effect =
  /** Ask for the conversation list again (a conversation we do not know yet, a count we cannot compute). */
  | { kind: 'refreshConversations' }
  /** Ask for the friend list again (a new friend's presence). */
  | { kind: 'refreshFriends' }
  /** A message arrived in the conversation on screen: move the read pointer. */
  | { kind: 'markRead'; conversationId: string }
  /** A message arrived while the tab is hidden. */
  | { kind: 'notify'; conversationId: string; message: Message }
  | { kind: 'toast'; text: string }
  /** The conversation on screen is gone (we left or were removed). */
  | { kind: 'closed'; conversationId: string };

export interface Applied {
  state: ChatState;
  effects: Effect[];
}

const unchanged = (state: ChatState): Applied => ({ state, effects: [] });

export function applyEvent(state: ChatState, event: EventPayload): Applied {
  switch (event.type) {
    case 'message.created':
      return acceptMessage(state, event.message, true);
    case 'conversation.created':
      return conversationCreated(state, event.conversation);
    case 'conversation.updated': {
      const c = state.conversations[event.conversation.id];
      if (!c) return unchanged(state);
      return unchanged(withConv(state, c.summary.id, { ...c, summary: { ...c.summary, name: event.conversation.name } }));
    }
    case 'member.joined':
      return memberJoined(state, event);
    case 'member.left':
      return memberLeft(state, event);
    case 'friend.requested':
      return friendRequested(state, event.request);
    case 'friend.accepted': {
      const me = state.me?.id;
      const friends = { ...state.friends };
      for (const u of event.users) if (u.id !== me && !friends[u.id]) friends[u.id] = { ...u, presence: presenceIn(state, u.id) };
      // The new friend's presence comes with the list.
      return { state: { ...state, requests: withoutRequest(state, event.requestId), friends }, effects: [{ kind: 'refreshFriends' }] };
    }
    case 'friend.declined':
      return unchanged({ ...state, requests: withoutRequest(state, event.requestId) });
    case 'friend.removed': {
      const friends = { ...state.friends };
      for (const id of event.userIds) if (id !== state.me?.id) delete friends[id];
      return unchanged({ ...state, friends });
    }
    case 'read.updated':
      return readUpdated(state, event);
    case 'user.deleted':
    case 'auth.revoked':
      // Internal events: they ride the log between nodes and are in nobody's stream.
      return unchanged(state);
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

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
    // Only a loaded conversation holds messages; the others fetch their page when opened.
    if (c.loaded || c.loading) messages = insertStored(messages, m);
  }
  const isNewest = !c.summary.lastMessage || idLess(c.summary.lastMessage.id, m.id);
  const summary = isNewest ? { ...c.summary, lastMessage: m } : c.summary;
  const next = withConv(state, c.summary.id, { ...c, summary, messages });
  // The server moves the sender's read pointer to what they wrote (without an event of its own).
  if (mine) return movedReadPointer(next, m.conversationId, m.id);
  if (!fromStream || known || !isNewest) return unchanged(next);

  const effects: Effect[] = [];
  let conv = next.conversations[c.summary.id]!;
  if (isSeen(state, c.summary.id)) effects.push({ kind: 'markRead', conversationId: c.summary.id });
  else conv = { ...conv, summary: { ...conv.summary, unread: (conv.summary.unread || 0) + 1 } };
  if (!state.visible) effects.push({ kind: 'notify', conversationId: c.summary.id, message: m });
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

function conversationCreated(state: ChatState, d: ConversationDetail): Applied {
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
    lastMessage: null,
    lastReadMessageId: null,
    ...(peer ? { peer: { id: peer.id, username: peer.username, displayName: peer.displayName } } : {}),
  });
  return unchanged(withConv(state, d.id, { ...conv, members: d.members }));
}

type Ev<T extends EventPayload['type']> = Extract<EventPayload, { type: T }>;

function memberJoined(state: ChatState, ev: Ev<'member.joined'>): Applied {
  const c = state.conversations[ev.conversationId];
  if (ev.member.id === state.me?.id) return c ? unchanged(state) : { state, effects: [{ kind: 'refreshConversations' }] };
  // Without the member list a count cannot be kept exactly (the event may
  // already be in it); it is shown only with the list, which opening loads.
  if (!c?.members || c.members.some((x) => x.id === ev.member.id)) return unchanged(state);
  const members = [...c.members, ev.member];
  return unchanged(withConv(state, c.summary.id, { ...c, members, summary: { ...c.summary, memberCount: members.length } }));
}

function memberLeft(state: ChatState, ev: Ev<'member.left'>): Applied {
  const c = state.conversations[ev.conversationId];
  if (!c) return unchanged(state);
  if (ev.userId === state.me?.id) {
    const next = withConv(state, c.summary.id, null);
    if (state.activeId !== c.summary.id) return unchanged(next);
    return { state: { ...next, activeId: null }, effects: [{ kind: 'closed', conversationId: c.summary.id }] };
  }
  const summary = ev.newOwnerId ? { ...c.summary, ownerId: ev.newOwnerId } : c.summary;
  if (!c.members) return unchanged(withConv(state, c.summary.id, { ...c, summary }));
  const members = c.members.filter((x) => x.id !== ev.userId).map((x) => (x.id === ev.newOwnerId ? { ...x, role: 'owner' as const } : x));
  return unchanged(withConv(state, c.summary.id, { ...c, members, summary: { ...summary, memberCount: members.length } }));
}

function friendRequested(state: ChatState, r: FriendRequest): Applied {
  const incoming = r.to.id === state.me?.id;
  const list = incoming ? state.requests.incoming : state.requests.outgoing;
  if (list.some((x) => x.id === r.id)) return unchanged(state);
  const requests = incoming ? { ...state.requests, incoming: [...list, r] } : { ...state.requests, outgoing: [...list, r] };
  const effects: Effect[] = incoming ? [{ kind: 'toast', text: `${r.from.displayName || r.from.username} sent you a friend request` }] : [];
  return { state: { ...state, requests }, effects };
}

function withoutRequest(state: ChatState, requestId: string): ChatState['requests'] {
  return {
    incoming: state.requests.incoming.filter((x) => x.id !== requestId),
    outgoing: state.requests.outgoing.filter((x) => x.id !== requestId),
  };
}

function readUpdated(state: ChatState, ev: Ev<'read.updated'>): Applied {
  const c = state.conversations[ev.conversationId];
  if (!c) return unchanged(state);
  if (ev.userId === state.me?.id) return movedReadPointer(state, ev.conversationId, ev.upTo);
  if (c.peerReadUpTo && !idLess(c.peerReadUpTo, ev.upTo)) return unchanged(state);
  return unchanged(withConv(state, c.summary.id, { ...c, peerReadUpTo: ev.upTo }));
}

/** My read pointer moved to `upTo` (here or on another device): the unread count follows. */
function movedReadPointer(state: ChatState, id: string, upTo: string): Applied {
  const c = state.conversations[id];
  if (!c) return unchanged(state);
  // Pointers only move forward: an older event (replayed over a newer load) changes nothing.
  if (c.summary.lastReadMessageId && !idLess(c.summary.lastReadMessageId, upTo)) return unchanged(state);
  const last = c.summary.lastMessage;
  const stored = storedOf(c.messages);
  let unread: number | null;
  if (!last || !idLess(upTo, last.id)) unread = 0;
  else if (c.loaded && (!c.hasOlder || (stored[0] && !idLess(upTo, stored[0].id)))) {
    unread = stored.filter((x) => x.senderId !== state.me?.id && idLess(upTo, x.id)).length;
  } else unread = null;
  const summary = { ...c.summary, lastReadMessageId: upTo, ...(unread === null ? {} : { unread }) };
  const next = withConv(state, id, { ...c, summary });
  // Read elsewhere up to a message we do not hold: the server counts what is left.
  return unread === null ? { state: next, effects: [{ kind: 'refreshConversations' }] } : unchanged(next);
}
