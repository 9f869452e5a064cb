import { sdk } from '../sdk';
import type { TypingSignal } from '@hubbub/client';
import { state } from './app-state';
import type { ChatState, TypingEntry } from './model';

/** Who is typing where (incoming signals), and telling others that we type. */

/** An entry lasts until the signal's `until`, and never more than this (a clock ahead of ours). */
const MAX_TYPING_MS = 8000;
/** A signal without a readable `until` lasts this long. */
const DEFAULT_TYPING_MS = 5000;
/** We tell the server at most this often per conversation; its signal lasts longer. */
const SEND_EVERY_MS = 2500;

/** The typing table with `s` in it; our own signal (another tab of ours) is not shown. */
export function withTyping(st: ChatState, s: TypingSignal, now: number): ChatState['typing'] {
  if (s.userId === st.me?.id) return st.typing;
  const name =
    st.friends[s.userId]?.displayName ||
    st.conversations[s.conversationId]?.members?.find((x) => x.id === s.userId)?.displayName ||
    s.username;
  const until = Math.min(Date.parse(s.until) || now + DEFAULT_TYPING_MS, now + MAX_TYPING_MS);
  const entry: TypingEntry = { name, until };
  return { ...st.typing, [s.conversationId]: { ...st.typing[s.conversationId], [s.userId]: entry } };
}

/** Removes expired entries in place (through the reactive state: only what changed re-renders). */
function sweep(now: number): void {
  for (const [conv, users] of Object.entries(state.typing)) {
    for (const [uid, t] of Object.entries(users)) if (t.until <= now) delete users[uid];
    if (Object.keys(users).length === 0) delete state.typing[conv];
  }
}

let timer: ReturnType<typeof setInterval> | null = null;

/** Starts expiring entries once a second; returns the stop. Called by session.start(). */
export function startTypingExpiry(): () => void {
  if (!timer) timer = setInterval(() => sweep(Date.now()), 1000);
  return () => {
    if (timer) clearInterval(timer);
    timer = null;
  };
}

let lastTypingAt = 0;
let lastTypingConv = '';

/** Called on every keystroke in the composer; tells the server now and then. */
export function noteTyping(conversationId: string): void {
  const now = Date.now();
  if (conversationId === lastTypingConv && now - lastTypingAt < SEND_EVERY_MS) return;
  lastTypingAt = now;
  lastTypingConv = conversationId;
  try {
    sdk.typing(conversationId);
  } catch {
    /* typing is best effort */
  }
}
