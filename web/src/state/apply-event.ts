import type { EventPayload, FriendRequest, Message } from '../types';
import { conversationCreated, conversationUpdated, memberJoined, memberLeft, memberUpdated, readUpdated } from './apply-member';
import { acceptMessage, messageDeleted, messageUpdated, reacted } from './apply-message';
import { presenceIn, type ChatState } from './model';

export { acceptMessage };

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
  /** A message arrived while the tab is hidden, or one mentioning me arrived unseen. */
  | { kind: 'notify'; conversationId: string; message: Message; mention: boolean }
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
    case 'message.updated':
      return messageUpdated(state, event);
    case 'message.deleted':
      return messageDeleted(state, event);
    case 'reaction.added':
    case 'reaction.removed':
      return reacted(state, event);
    case 'conversation.updated':
      return conversationUpdated(state, event);
    case 'member.joined':
      return memberJoined(state, event);
    case 'member.left':
      return memberLeft(state, event);
    case 'member.updated':
      return memberUpdated(state, event);
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
