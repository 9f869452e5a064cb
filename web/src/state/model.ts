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
   * The other side's read pointer (direct conversations): shows "Seen". Only
   * the stream carries it; the REST API has no field for it, so a reload
   * forgets it until the peer reads again.
   */
  peerReadUpTo: string | null;
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
  };
}

export function newConv(summary: ConversationSummary): ConvState {
  return { summary, members: null, messages: [], loaded: false, loading: false, loadingOlder: false, hasOlder: true, peerReadUpTo: null };
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
  return state.activeId === id && state.visible && state.atBottom;
}
