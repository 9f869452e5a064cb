import { navigate } from '../router';
import { errorInfo, sdk } from '../sdk';
import type { User } from '../types';
import { commit, directWith, snapshot, state } from './app-state';
import { coalesced } from './coalesced';
import { idLess } from '../format';
import { conversationLoaded, friendsRefreshed, olderLoaded, summariesRefreshed } from './load';
import { aroundLoaded, newerLoaded } from './window';
import { newConv, PAGE, storedOf, withConv } from './model';
import { readIfSeen } from './read';
import { held } from './stream';
import { toast } from './toasts';

/** Loading conversations, opening them, and moving the read pointer. */

/** How far back opening a never-read conversation goes to find its first unread message (50 messages a page). */
const BACKFILL_PAGES = 10;

/**
 * Loads a conversation for showing: its newest page, or — with more unread
 * than a page holds — the page around my read pointer, so the view lands on
 * the first unread message (state/window.ts); or, when a message was asked
 * for (`state.jumpTo`: a search result), the page around that message.
 */
export async function loadConversation(id: string): Promise<void> {
  const c = state.conversations[id];
  if (!c || c.loading || c.loaded) return;
  c.loading = true;
  const pointer = c.summary.lastReadMessageId;
  const target = state.jumpTo?.conversationId === id ? state.jumpTo.messageId : null;
  const around = target ?? (pointer !== null && c.summary.unread >= PAGE / 2 ? pointer : null);
  try {
    await held(async () => {
      const [detail, page] = await Promise.all([sdk.conversation(id), sdk.history(id, around ? { around, limit: PAGE } : { limit: PAGE })]);
      let next = conversationLoaded(snapshot(), id, detail, around ? [] : page.messages, around ? [] : page.events);
      if (around) next = aroundLoaded(next, id, page);
      commit(next);
    });
    // Never read here (no pointer) with a backlog: older pages until its start is held, so the view lands there.
    for (let n = 0; n < BACKFILL_PAGES && !target && pointer === null && c.summary.unread > PAGE / 2; n++) {
      const cur = state.conversations[id];
      const held = cur ? storedOf(cur.messages).filter((m) => m.senderId !== state.me?.id).length : 0;
      if (!cur?.hasOlder || held >= cur.summary.unread || (await loadOlder(id)) === 0) break;
    }
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
    const older = await sdk.history(id, { before: oldest.id, limit: PAGE });
    commit(olderLoaded(snapshot(), id, older.messages, older.events));
    return older.messages.length;
  } catch (err) {
    toast(`Could not load older messages: ${errorInfo(err).message}`, 'error');
    return 0;
  } finally {
    const cur = state.conversations[id];
    if (cur) cur.loadingOlder = false;
  }
}

/** Loads the messages after a window that stops short of the present; returns how many came. */
export async function loadNewer(id: string): Promise<number> {
  const c = state.conversations[id];
  const newest = c ? storedOf(c.messages).pop() : undefined;
  if (!c?.loaded || !c.hasNewer || c.loadingOlder || !newest) return 0;
  c.loadingOlder = true;
  try {
    const page = await held(async () => {
      const p = await sdk.history(id, { around: newest.id, limit: PAGE });
      commit(newerLoaded(snapshot(), id, p));
      return p;
    });
    return page.messages.filter((m) => idLess(newest.id, m.id)).length;
  } catch (err) {
    toast(`Could not load newer messages: ${errorInfo(err).message}`, 'error');
    return 0;
  } finally {
    const cur = state.conversations[id];
    if (cur) cur.loadingOlder = false;
  }
}

/** Makes sure message `messageId` is held (loading the page around it when it is not); false when it cannot be found. */
export async function loadAround(id: string, messageId: string): Promise<boolean> {
  const c = state.conversations[id];
  if (!c) return false;
  if (c.messages.some((m) => m.id === messageId && !m.state)) return true;
  try {
    await held(async () => commit(aroundLoaded(snapshot(), id, await sdk.history(id, { around: messageId, limit: PAGE }))));
  } catch (err) {
    toast(`Could not load that message: ${errorInfo(err).message}`, 'error');
    return false;
  }
  return !!state.conversations[id]?.messages.some((m) => m.id === messageId);
}

/** Shows a conversation: loads it when needed and marks it read when seen. */
export async function openConversation(id: string): Promise<void> {
  state.activeId = id;
  state.atBottom = true;
  state.seenUpTo = null;
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

/**
 * Moves the read pointer as messages of the open conversation come on
 * screen. Scrolling through a backlog reports many messages a second: one
 * request is on its way at a time, and the newest pointer goes after it.
 */
export function markReadIfSeen(): void {
  const r = readIfSeen(snapshot());
  commit(r.state);
  if (!r.upTo || !state.activeId) return;
  queued = { conversationId: state.activeId, upTo: r.upTo };
  void sendRead();
}

let queued: { conversationId: string; upTo: string } | null = null;
let sending = false;
async function sendRead(): Promise<void> {
  if (sending) return;
  sending = true;
  try {
    while (queued) {
      const q = queued;
      queued = null;
      await sdk.markRead(q.conversationId, q.upTo).catch(() => {
        /* the pointer moves again with the next message seen; nothing is lost */
      });
    }
  } finally {
    sending = false;
  }
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
        withConv(
          snapshot(),
          conv.id,
          newConv({ ...conv, peer, memberCount: 2, unread: 0, mentions: 0, lastMessage: null, lastReadMessageId: null }),
        ),
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
