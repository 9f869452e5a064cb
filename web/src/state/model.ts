import { idLess } from '../format';
import type { ChatMessage, ConversationSummary, Friend, FriendRequest, Member, Message, Presence, User } from '../types';

/**
 * The shape of the app's state and the small pure helpers every state module
 * shares. Nothing here touches Vue, the DOM or the network, so the event
 * reducer and the loaders built on it run in plain Node (test/unit/web-*).
 */

export interface ConvState {
  summary: ConversationSummary;
  /** Known once the conversation was opened, or when it was created under our eyes. */
  members: Member[] | null;
  /** Stored messages in id order, then our own still on their way. */
  messages: ChatMessage[];
  loaded: boolean;
  loading: boolean;
  loadingOlder: boolean;
  hasOlder: boolean;
  /**
   * The held messages stop before the newest (a window loaded around a
   * message, state/window.ts): new messages are counted, not inserted, until
   * the reader scrolls down to the present.
   */
  hasNewer: boolean;
  /**
   * Other members' read pointers (direct conversations and groups): "Seen",
   * "Seen by N": from the conversation's detail when it loads, then from the
   * stream (read.updated); forward only (load.ts withDetailMembers).
   */
  readBy: Record<string, string>;
  /** System lines (joined, left, renamed …) placed among the messages (state/lines.ts). */
  lines: SystemLine[];
  /** I was removed: the conversation stays on screen, read-only, with a last line saying so. */
  ended: { by: string | null } | null;
}

/** A line in the timeline for a change of the conversation, not a message. */
export interface SystemLine {
  /** Unique per event: its cursor, or its kind, user and time from a history answer. */
  key: string;
  /** The newest message held when it happened ('' before any): the line is drawn after it. */
  afterId: string;
  kind: 'joined' | 'left' | 'removed' | 'renamed' | 'owner' | 'moderator' | 'unmoderator';
  /** Who it is about, by name (kept: a member who left is no longer in the member list). */
  userId: string;
  name: string;
  /** Who did it, by name, when it was someone else. */
  byId: string | null;
  byName: string | null;
  /** The new name, for 'renamed'. */
  text?: string;
}

export type Tab = 'friends' | 'groups' | 'rooms';
export type Status = 'connecting' | 'online' | 'offline';
export interface TypingEntry {
  name: string;
  until: number;
}
export interface PresenceInfo {
  status: Presence;
  lastSeen: string | null;
}
export interface Requests {
  incoming: FriendRequest[];
  outgoing: FriendRequest[];
}

/** What the stream's events change, and what they read to decide how. */
export interface ChatState {
  me: User | null;
  conversations: Record<string, ConvState>;
  friends: Record<string, Friend>;
  requests: Requests;
  presence: Record<string, PresenceInfo>;
  typing: Record<string, Record<string, TypingEntry>>;
  /** The conversation on screen, when there is one. */
  activeId: string | null;
  /** Whether the tab is visible. */
  visible: boolean;
  /** Whether the reader is at the newest message of the open conversation. */
  atBottom: boolean;
  /** The newest message of the open conversation that has been on screen (IntersectionObserver). */
  seenUpTo: string | null;
}

export const CHAT_KEYS = [
  'me',
  'conversations',
  'friends',
  'requests',
  'presence',
  'typing',
  'activeId',
  'visible',
  'atBottom',
  'seenUpTo',
] as const satisfies ReadonlyArray<keyof ChatState>;

/** Messages fetched per page; a full page means there may be older ones. */
export const PAGE = 50;

export function emptyChatState(me: User | null = null): ChatState {
  return {
    me,
    conversations: {},
    friends: {},
    requests: { incoming: [], outgoing: [] },
    presence: {},
    typing: {},
    activeId: null,
    visible: true,
    atBottom: true,
    seenUpTo: null,
  };
}

export function newConv(summary: ConversationSummary): ConvState {
  return {
    summary,
    members: null,
    messages: [],
    loaded: false,
    loading: false,
    loadingOlder: false,
    hasOlder: true,
    hasNewer: false,
    readBy: {},
    lines: [],
    ended: null,
  };
}

/** `state` with conversation `id` replaced (or removed, with null); everything else shared. */
export function withConv(state: ChatState, id: string, conv: ConvState | null): ChatState {
  const conversations = { ...state.conversations };
  if (conv) conversations[id] = conv;
  else delete conversations[id];
  return { ...state, conversations };
}

export function compareIds(x: string, y: string): number {
  return idLess(x, y) ? -1 : x === y ? 0 : 1;
}

/** Stored messages of both lists, once each, in id order (`b` wins on a tie: it is newer). */
export function mergeMessages(a: readonly Message[], b: readonly Message[]): Message[] {
  const byId = new Map<string, Message>();
  for (const m of a) byId.set(m.id, m);
  for (const m of b) byId.set(m.id, m);
  return [...byId.values()].sort((x, y) => compareIds(x.id, y.id));
}

export function storedOf(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.filter((m) => !m.state);
}

export function localOf(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.filter((m) => m.state);
}

export function displayNameOf(c: ConvState | ConversationSummary): string {
  const s = 'summary' in c ? c.summary : c;
  if (s.kind === 'direct') return s.peer?.displayName || s.peer?.username || 'Direct chat';
  return s.name ?? 'Conversation';
}

export function presenceIn(state: Pick<ChatState, 'presence' | 'friends'>, userId: string): PresenceInfo {
  return state.presence[userId] ?? state.friends[userId]?.presence ?? { status: 'offline', lastSeen: null };
}

/** Whether the reader is looking at the newest message of conversation `id` right now. */
export function isSeen(state: ChatState, id: string): boolean {
  return state.activeId === id && state.visible && state.atBottom && !state.conversations[id]?.hasNewer;
}

/** Whether message `m` calls me: by name, or @room/@everyone. */
export function mentionsMe(m: Message, me: string | undefined): boolean {
  return !!me && m.senderId !== me && !m.deleted && (!!m.mentionsAll || !!m.mentions?.includes(me));
}

/**
 * Unread and mention counts once my pointer moves from `from` to `upTo`, from
 * the messages held; null when they do not cover every message in between
 * (older ones not loaded), so the server must count.
 */
export function countsAfterRead(c: ConvState, me: string | undefined, upTo: string): { unread: number; mentions: number } | null {
  const last = c.summary.lastMessage;
  if (!last || !idLess(upTo, last.id)) return { unread: 0, mentions: 0 };
  if (!c.loaded) return null;
  const stored = storedOf(c.messages);
  if (!c.hasNewer) {
    // Every message after `upTo` is held.
    if (c.hasOlder && !(stored[0] && !idLess(upTo, stored[0].id))) return null;
    const after = stored.filter((x) => x.senderId !== me && idLess(upTo, x.id));
    return { unread: after.length, mentions: after.filter((x) => mentionsMe(x, me)).length };
  }
  // A window short of the present: what was read in it comes off the server's counts.
  const from = c.summary.lastReadMessageId ?? '0';
  if (c.hasOlder && !(stored[0] && !idLess(from, stored[0].id))) return null;
  const between = stored.filter((x) => x.senderId !== me && idLess(from, x.id) && !idLess(upTo, x.id));
  return {
    unread: Math.max(0, c.summary.unread - between.length),
    mentions: Math.max(0, (c.summary.mentions ?? 0) - between.filter((x) => mentionsMe(x, me)).length),
  };
}
