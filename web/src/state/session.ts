import { watch } from 'vue';
import type { StreamEvent } from '@hubbub/client';
import { client, errorInfo, sdk } from '../sdk';
import type { User } from '../types';
import { applyEvent } from './apply-event';
import { commit, snapshot, state } from './app-state';
import { loadConversation, markReadIfSeen, refreshFriends } from './conversations';
import { runEffects } from './effects';
import { loaded } from './load';
import { notificationsWanted } from './notifications';
import { withPresence } from './presence';
import { forgetAllKept, keepFor } from './kept';
import { resendAfterOutage, resendKept } from './send-queue';
import { held, onStreamEvent, receive } from './stream';
import { toast } from './toasts';
import { startTypingExpiry, withTyping } from './typing';

/**
 * The session: who we are, the stream, and loading the state. State is
 * loaded once after the stream's head is taken, then kept current by the
 * stream's events alone (CURSOR_EXPIRED → `reset` → load again).
 */

let started = false;
/** Whether a session's stream is open (or should be): the browser's online/offline events act on it. */
let sessionLive = false;

/**
 * Everything that listens to the page — visibility, the network, the
 * typing-expiry timer — starts here, once, not when a module is imported.
 */
export function start(): void {
  if (started) return;
  started = true;
  state.visible = document.visibilityState === 'visible';
  state.notifications = notificationsWanted();
  document.addEventListener('visibilitychange', () => {
    state.visible = document.visibilityState === 'visible';
    if (state.visible) markReadIfSeen();
  });
  // The browser knows before any socket does when the network is gone: drop
  // the stream at once (status shows "Offline") and resume from the cursor
  // when the network is back, instead of waiting for ping timeouts.
  window.addEventListener('offline', () => {
    if (sessionLive) client.close();
  });
  window.addEventListener('online', () => {
    if (sessionLive) client.connect().catch((err) => toast(`Could not reconnect: ${errorInfo(err).message}`, 'error'));
  });
  watch(
    () => state.atBottom,
    (b) => {
      if (b) markReadIfSeen();
    },
  );
  startTypingExpiry();
}

/** Waits between asking who we are while the server cannot answer (grows to the cap). */
const BOOT_RETRY_MS = { first: 500, max: 5000 };

/**
 * Who we are, asked until the server answers: a reload while the server is
 * unreachable (or down for a restart) waits for it instead of showing the
 * login screen — only a 401 means logged out — so what was kept in the
 * browser is sent as soon as it is back.
 */
async function whoAmI(): Promise<User | null> {
  let wait = BOOT_RETRY_MS.first;
  for (;;) {
    try {
      const me = await sdk.me();
      state.bootRetrying = false;
      return me;
    } catch (err) {
      const { status } = errorInfo(err);
      if (status === undefined || (status !== 0 && status < 500 && status !== 408 && status !== 429)) {
        state.bootRetrying = false;
        return null;
      }
      state.bootRetrying = true;
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, BOOT_RETRY_MS.max);
    }
  }
}

export async function boot(): Promise<void> {
  const me = await whoAmI();
  if (!me) {
    state.phase = 'anon';
    return;
  }
  state.me = me;
  try {
    await startSession();
  } catch (err) {
    // The session exists but the stream refused us (credentials gone): start over logged out.
    state.me = null;
    state.phase = 'anon';
    toast(`Please log in again (${errorInfo(err).message})`, 'error');
  }
}

export async function login(username: string, password: string): Promise<void> {
  const r = await sdk.login(username, password);
  state.me = r.user;
  await startSession();
}

export async function register(username: string, password: string, displayName?: string): Promise<void> {
  const r = await sdk.register(username, password, displayName || undefined);
  state.me = r.user;
  await startSession();
}

export async function logout(): Promise<void> {
  try {
    await sdk.logout();
  } finally {
    client.close();
    sessionStorage.clear();
    forgetAllKept();
    location.assign('/');
  }
}

let wired = false;

function onEvent(ev: StreamEvent): void {
  const r = applyEvent(snapshot(), ev);
  commit(r.state);
  runEffects(r.effects);
}

function wire(): void {
  if (wired) return;
  wired = true;
  onStreamEvent(onEvent);
  client.on('event', receive);
  client.on('typing', (s) => {
    const st = snapshot();
    commit({ ...st, typing: withTyping(st, s, Date.now()) });
  });
  client.on('presence', (s) => {
    const st = snapshot();
    commit({ ...st, presence: withPresence(st, s) });
  });
  client.on('status', (s) => {
    state.status = s;
    if (s === 'online' && state.phase === 'ready') {
      resendAfterOutage();
      // Presence changed unseen while we were away.
      refreshFriends().catch(() => {});
    }
  });
  client.on('reset', () => {
    void loadAll();
  });
}

async function startSession(): Promise<void> {
  state.phase = 'loading';
  if (state.me) keepFor(state.me.id);
  wire();
  // Head first, then state, then the stream: nothing falls between.
  await client.connect();
  sessionLive = true;
  await loadAll();
  resendKept();
  state.phase = 'ready';
  sdk
    .settings()
    .then((s) => (state.hideReceipts = s.hideReadReceipts))
    .catch(() => {
      /* the switch shows the default until the next start */
    });
}

async function loadAll(): Promise<void> {
  await held(async () => {
    const [conversations, friends, requests] = await Promise.all([sdk.conversations(), sdk.friends(), sdk.friendRequests()]);
    commit(loaded(snapshot(), { conversations, friends, requests }));
  });
  if (state.activeId && state.conversations[state.activeId]) await loadConversation(state.activeId);
}
