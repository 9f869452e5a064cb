import { navigate } from '../router';
import { errorInfo, sdk } from '../sdk';
import type { User } from '../types';
import { commit, directWith, snapshot, state } from './app-state';
import { coalesced } from './coalesced';
import { conversationLoaded, friendsRefreshed, olderLoaded, summariesRefreshed } from './load';
import { newConv, PAGE, storedOf, withConv } from './model';
import { readIfSeen } from './read';
import { held } from './stream';
import { toast } from './toasts';

/** Loading conversations, opening them, and moving the read pointer. */

export async function loadConversation(id: string): Promise<void> {
  const c = state.conversations[id];
  if (!c || c.loading || c.loaded) return;
  c.loading = true;
  try {
    await held(async () => {
      const [detail, messages] = await Promise.all([sdk.conversation(id), sdk.messages(id, undefined, PAGE)]);
      commit(conversationLoaded(snapshot(), id, detail, messages));
    });
  } catch (err) {
    toast(`Could not load the conversation: ${errorInfo(err).message}`, 'error');
  } finally {
    const cur = state.conversations[id];
    if (cur) cur.loading = false;
  }
  markReadIfSeen();
}

/** Loads the page before the oldest stored message; returns how many came. */
export async function loadOlder(id: string): Promise<number> {
  const c = state.conversations[id];
  if (!c?.loaded || c.loadingOlder || !c.hasOlder) return 0;
  const oldest = storedOf(c.messages)[0];
  if (!oldest) {
    c.hasOlder = false;
    return 0;
  }
  c.loadingOlder = true;
  try {
    const older = await sdk.messages(id, oldest.id, PAGE);
    commit(olderLoaded(snapshot(), id, older));
    return older.length;
  } catch (err) {
    toast(`Could not load older messages: ${errorInfo(err).message}`, 'error');
    return 0;
  } finally {
    const cur = state.conversations[id];
    if (cur) cur.loadingOlder = false;
  }
}

/** Shows a conversation: loads it when needed and marks it read when seen. */
export async function openConversation(id: string): Promise<void> {
  state.activeId = id;
  state.atBottom = true;
  const c = state.conversations[id];
  if (c) {
    state.tab = c.summary.kind === 'direct' ? 'friends' : c.summary.kind === 'group' ? 'groups' : 'rooms';
    sessionStorage.setItem('hubbub.lastConversation', id);
  }
  await loadConversation(id);
  markReadIfSeen();
}

export function closeConversation(): void {
  state.activeId = null;
}

/** Moves the read pointer when the newest message of the open conversation is on screen. */
export function markReadIfSeen(): void {
  const r = readIfSeen(snapshot());
  commit(r.state);
  if (!r.upTo || !state.activeId) return;
  sdk.markRead(state.activeId, r.upTo).catch(() => {
    /* the pointer moves again with the next message; nothing is lost */
  });
}

export async function startDirect(friend: User): Promise<void> {
  const existing = directWith(friend.id);
  if (existing) {
    navigate(`/c/${existing.summary.id}`);
    return;
  }
  try {
    const conv = await sdk.direct(friend.username);
    if (!state.conversations[conv.id]) {
      const peer = { id: friend.id, username: friend.username, displayName: friend.displayName };
      commit(
        withConv(snapshot(), conv.id, newConv({ ...conv, peer, memberCount: 2, unread: 0, lastMessage: null, lastReadMessageId: null })),
      );
    }
    navigate(`/c/${conv.id}`);
  } catch (err) {
    toast(errorInfo(err).message, 'error');
  }
}

/**
 * The conversation list asked again. Asked while a request is on its way,
 * it runs once more after it: the answer in flight may predate the event
 * that asked (stream.ts holds events back meanwhile).
 */
export const refreshConversations = coalesced(async () => {
  await held(async () => commit(summariesRefreshed(snapshot(), await sdk.conversations())));
  const active = state.activeId ? state.conversations[state.activeId] : undefined;
  if (active && !active.loaded) await loadConversation(active.summary.id);
});

/** The friend list (with presence) asked again; one request at a time, like the conversation list. */
export const refreshFriends = coalesced(async () => {
  await held(async () => commit(friendsRefreshed(snapshot(), await sdk.friends())));
});

export async function refreshRequests(): Promise<void> {
  state.requests = await sdk.friendRequests();
}

export async function refreshPublicRooms(): Promise<void> {
  state.publicRooms = await sdk.rooms();
}

export async function joinRoom(id: string): Promise<void> {
  await sdk.join(id);
  await refreshConversations();
}
