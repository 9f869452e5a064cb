import { computed, reactive, toRaw } from 'vue';
import type { RoomInfo, User } from '../types';
import {
  CHAT_KEYS,
  displayNameOf,
  presenceIn,
  type ChatState,
  type ConvState,
  type PresenceInfo,
  type Requests,
  type Status,
  type Tab,
  type TypingEntry,
} from './model';

/**
 * The one reactive state the views read. Creating it touches nothing outside
 * (no DOM, no storage): `start()` in session.ts reads the page's visibility
 * and the notification setting.
 *
 * The pure modules (apply-event, load, read) take a plain snapshot and return
 * the next one; `commit` writes back only the keys that changed, so Vue
 * re-renders what depends on them. Code that awaits must take a new
 * snapshot after the await: the one before it may be stale.
 */
export interface AppState extends ChatState {
  phase: 'boot' | 'anon' | 'loading' | 'ready';
  status: Status;
  publicRooms: RoomInfo[];
  tab: Tab;
  notifications: boolean;
  /** My setting: others do not see how far I have read (PATCH /me {hideReadReceipts}). */
  hideReceipts: boolean;
  toast: null | { text: string; kind: 'info' | 'error' };
  /**
   * A message to bring into view (a search result): the conversation opens
   * with the page around it (conversations.ts) and the message list scrolls
   * to it and flashes it, then clears this.
   */
  jumpTo: null | { conversationId: string; messageId: string };
  /**
   * The page started while the server could not be reached: boot keeps asking
   * (session.ts) and the splash should say so rather than show a bare logo.
   */
  bootRetrying: boolean;
}

export const state: AppState = reactive({
  phase: 'boot',
  me: null as User | null,
  status: 'connecting',
  conversations: {} as Record<string, ConvState>,
  friends: {},
  requests: { incoming: [], outgoing: [] } as Requests,
  presence: {} as Record<string, PresenceInfo>,
  typing: {} as Record<string, Record<string, TypingEntry>>,
  publicRooms: [] as RoomInfo[],
  tab: 'friends',
  activeId: null as string | null,
  atBottom: true,
  seenUpTo: null,
  visible: true,
  notifications: false,
  hideReceipts: false,
  toast: null,
  jumpTo: null,
  bootRetrying: false,
}) as AppState;

/** The event-driven part of the state, as plain data (no proxies). */
export function snapshot(): ChatState {
  const raw = toRaw(state);
  const out = {} as Record<keyof ChatState, unknown>;
  for (const k of CHAT_KEYS) out[k] = raw[k];
  return out as ChatState;
}

export function commit(next: ChatState): void {
  const raw = toRaw(state);
  const target = state as unknown as Record<keyof ChatState, unknown>;
  for (const k of CHAT_KEYS) if (raw[k] !== next[k]) target[k] = next[k];
}

export const totalUnread = computed(() => Object.values(state.conversations).reduce((n, c) => n + (c.summary.unread || 0), 0));

export function unreadOf(kind: 'direct' | 'group' | 'room'): number {
  let n = 0;
  for (const c of Object.values(state.conversations)) if (c.summary.kind === kind) n += c.summary.unread || 0;
  return n;
}

function activity(c: ConvState): string {
  return c.summary.lastMessage?.createdAt ?? c.summary.createdAt;
}

export const sortedConversations = computed(() =>
  Object.values(state.conversations).sort((a, b) => activity(b).localeCompare(activity(a))),
);

export function directWith(userId: string): ConvState | undefined {
  return Object.values(state.conversations).find((c) => c.summary.kind === 'direct' && c.summary.peer?.id === userId);
}

export function presenceOf(userId: string): PresenceInfo {
  return presenceIn(state, userId);
}

export function typingIn(conversationId: string): string[] {
  const now = Date.now();
  return Object.values(state.typing[conversationId] ?? {})
    .filter((t) => t.until > now)
    .map((t) => t.name);
}

export function pageTitle(base: string): string {
  const n = totalUnread.value;
  return n > 0 ? `(${n}) ${base}` : base;
}

export { displayNameOf };
