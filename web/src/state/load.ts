import { idLess } from '../format';
import type { ConversationDetail, ConversationSummary, Friend, HistoryEvent, Message } from '../types';
import { historyLines, withLines } from './lines';
import {
  localOf,
  mentionsMe,
  mergeMessages,
  newConv,
  PAGE,
  storedOf,
  withConv,
  type ChatState,
  type ConvState,
  type Requests,
} from './model';

/**
 * How answers of the REST API enter the state: pure functions from (state,
 * answer) to the next state. The store's loaders call them with what the
 * server said; the replay test calls them with fixtures, so "loaded fresh"
 * means the same thing in both.
 */

export interface InitialData {
  conversations: ConversationSummary[];
  friends: Friend[];
  requests: Requests;
}

/**
 * The whole state from a fresh load (after login, or after CURSOR_EXPIRED).
 * Messages on their way stay; stored ones are fetched again when their
 * conversation is shown.
 */
export function loaded(prev: ChatState, data: InitialData): ChatState {
  const conversations: Record<string, ConvState> = {};
  for (const s of data.conversations) {
    const old = prev.conversations[s.id];
    // Others' read pointers are kept until the detail comes again (withDetailMembers): they only move forward.
    conversations[s.id] = old
      ? {
          ...old,
          summary: s,
          members: null,
          messages: localOf(old.messages),
          loaded: false,
          hasOlder: true,
          hasNewer: false,
          lines: [],
          ended: null,
        }
      : newConv(s);
  }
  return {
    ...prev,
    conversations,
    friends: Object.fromEntries(data.friends.map((f) => [f.id, f])),
    presence: { ...prev.presence, ...Object.fromEntries(data.friends.map((f) => [f.id, f.presence])) },
    requests: data.requests,
  };
}

/** Conversation `id` with its members and newest page of messages (and the system events among them). */
export function conversationLoaded(
  state: ChatState,
  id: string,
  detail: ConversationDetail,
  page: Message[],
  events?: HistoryEvent[],
): ChatState {
  const cur0 = state.conversations[id];
  if (!cur0) return state;
  const cur = withDetailMembers(cur0, detail.members, state.me?.id);
  const stored = mergeMessages(storedOf(cur.messages), page);
  // A local copy whose stored twin arrived in this page is dropped.
  const local = localOf(cur.messages).filter(
    (l) => !stored.some((s) => s.clientMsgId && s.clientMsgId === l.clientMsgId && s.senderId === l.senderId),
  );
  const last = stored[stored.length - 1];
  const before = cur.summary.lastMessage?.id ?? '0';
  const newer = last && idLess(before, last.id);
  // Messages the page has and the summary did not: their events will find them
  // known and count nothing, so they are counted here.
  const pointer = cur.summary.lastReadMessageId ?? '0';
  const missedList = page.filter((m) => m.senderId !== state.me?.id && idLess(before, m.id) && idLess(pointer, m.id));
  const missed = missedList.length;
  const missedMentions = missedList.filter((m) => mentionsMe(m, state.me?.id)).length;
  return withConv(state, id, {
    ...cur,
    lines: [...cur.lines, ...historyLines(cur, events, page).filter((l) => !cur.lines.some((x) => x.key === l.key))],
    summary: {
      ...cur.summary,
      memberCount: detail.memberCount,
      unread: cur.summary.unread + missed,
      mentions: cur.summary.mentions + missedMentions,
      ...(newer ? { lastMessage: last } : {}),
    },
    messages: [...stored, ...local],
    hasOlder: page.length >= PAGE,
    hasNewer: false,
    loaded: true,
    loading: false,
  });
}

/**
 * The members of a conversation's detail, whose read positions (direct
 * conversations and groups) go to `readBy`, the one place the state keeps
 * them (the stream moves them there; a copy in the member list would go
 * stale). Forward only; someone no longer a member reads nothing here.
 */
export function withDetailMembers(c: ConvState, members: ConversationDetail['members'], me: string | undefined): ConvState {
  const readBy: Record<string, string> = {};
  for (const m of members) {
    const had = c.readBy[m.id];
    const now = m.id === me ? undefined : (m.readUpTo ?? undefined);
    const upTo = had && now ? (idLess(had, now) ? now : had) : (had ?? now);
    if (upTo) readBy[m.id] = upTo;
  }
  return { ...c, members: members.map(({ readUpTo: _, ...m }) => m), readBy };
}

/** A page of older history added in front. */
export function olderLoaded(state: ChatState, id: string, older: Message[], events?: HistoryEvent[]): ChatState {
  const cur = state.conversations[id];
  if (!cur) return state;
  return withConv(state, id, {
    ...withLines(cur, historyLines(cur, events, older)),
    messages: [...mergeMessages(storedOf(cur.messages), older), ...localOf(cur.messages)],
    hasOlder: older.length >= PAGE,
    loadingOlder: false,
  });
}

/**
 * The conversation list asked again (a conversation we did not know of, or
 * counts the stream cannot keep): new ones are added, known ones take the
 * server's counts; the last message only moves forward.
 */
export function summariesRefreshed(state: ChatState, summaries: ConversationSummary[]): ChatState {
  const conversations = { ...state.conversations };
  for (const s of summaries) {
    const c = conversations[s.id];
    if (!c) {
      conversations[s.id] = newConv(s);
      continue;
    }
    const newer = s.lastMessage && (!c.summary.lastMessage || idLess(c.summary.lastMessage.id, s.lastMessage.id));
    // Our own pointer may be ahead of the answer (marked read here, not yet stored there).
    const read = s.lastReadMessageId && (!c.summary.lastReadMessageId || idLess(c.summary.lastReadMessageId, s.lastReadMessageId));
    // An answer older than the state (a hold that timed out, stream.ts) does not set the count back.
    const behind = c.summary.lastMessage && (!s.lastMessage || idLess(s.lastMessage.id, c.summary.lastMessage.id));
    conversations[s.id] = {
      ...c,
      summary: {
        ...c.summary,
        ...(behind ? {} : { unread: s.unread, mentions: s.mentions }),
        memberCount: c.members?.length ?? s.memberCount,
        ...(read ? { lastReadMessageId: s.lastReadMessageId } : {}),
        ...(newer ? { lastMessage: s.lastMessage } : {}),
      },
    };
  }
  return { ...state, conversations };
}

export function friendsRefreshed(state: ChatState, friends: Friend[]): ChatState {
  return {
    ...state,
    friends: Object.fromEntries(friends.map((f) => [f.id, f])),
    presence: { ...state.presence, ...Object.fromEntries(friends.map((f) => [f.id, f.presence])) },
  };
}
