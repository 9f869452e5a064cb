import { computed, reactive, watch } from 'vue';
import { client, errorInfo, sdk } from './sdk';
import { navigate, router } from './router';
import { idLess, preview } from './format';
import type { ChatMessage, ConversationDetail, ConversationSummary, Friend, FriendRequest, Member, Message, Presence, RoomInfo, User } from './types';

/**
 * The app's state and everything that changes it. State is loaded once after
 * the stream's head is taken, then kept current by the stream's events alone
 * (CURSOR_EXPIRED → `reset` → load again). Messages are deduplicated by id;
 * our own sends are matched to their stored copy by clientMsgId.
 */

export interface ConvState {
  summary: ConversationSummary;
  members: Member[] | null;
  messages: ChatMessage[];
  loaded: boolean;
  loading: boolean;
  loadingOlder: boolean;
  hasOlder: boolean;
  /** The other side's read pointer (direct conversations): shows "Seen". */
  peerReadUpTo: string | null;
}

export type Tab = 'friends' | 'groups' | 'rooms';
export type Status = 'connecting' | 'online' | 'offline';

interface TypingEntry { name: string; until: number }

export const state = reactive({
  phase: 'boot' as 'boot' | 'anon' | 'loading' | 'ready',
  me: null as User | null,
  status: 'connecting' as Status,
  conversations: {} as Record<string, ConvState>,
  friends: {} as Record<string, Friend>,
  requests: { incoming: [] as FriendRequest[], outgoing: [] as FriendRequest[] },
  presence: {} as Record<string, { status: Presence; lastSeen: string | null }>,
  typing: {} as Record<string, Record<string, TypingEntry>>,
  publicRooms: [] as RoomInfo[],
  tab: 'friends' as Tab,
  /** The conversation on screen, when there is one. */
  activeId: null as string | null,
  /** Whether the reader is at the newest message of the open conversation. */
  atBottom: true,
  visible: document.visibilityState === 'visible',
  notifications: localStorage.getItem('hubbub.notifications') === 'on' && typeof Notification !== 'undefined' && Notification.permission === 'granted',
  toast: null as null | { text: string; kind: 'info' | 'error' },
});

export const totalUnread = computed(() => Object.values(state.conversations).reduce((n, c) => n + (c.summary.unread || 0), 0));

export function unreadOf(kind: 'direct' | 'group' | 'room'): number {
  let n = 0;
  for (const c of Object.values(state.conversations)) if (c.summary.kind === kind) n += c.summary.unread || 0;
  return n;
}

export function displayNameOf(c: ConvState | ConversationSummary): string {
  const s = 'summary' in c ? c.summary : c;
  if (s.kind === 'direct') return s.peer?.displayName || s.peer?.username || 'Direct chat';
  return s.name ?? 'Conversation';
}

function activity(c: ConvState): string {
  return c.summary.lastMessage?.createdAt ?? c.summary.createdAt;
}

export const sortedConversations = computed(() => Object.values(state.conversations).sort((a, b) => activity(b).localeCompare(activity(a))));

export function directWith(userId: string): ConvState | undefined {
  return Object.values(state.conversations).find((c) => c.summary.kind === 'direct' && c.summary.peer?.id === userId);
}

export function presenceOf(userId: string): { status: Presence; lastSeen: string | null } {
  return state.presence[userId] ?? state.friends[userId]?.presence ?? { status: 'offline', lastSeen: null };
}

export function typingIn(conversationId: string): string[] {
  const now = Date.now();
  return Object.values(state.typing[conversationId] ?? {}).filter((t) => t.until > now).map((t) => t.name);
}

let toastTimer: ReturnType<typeof setTimeout> | null = null;
export function toast(text: string, kind: 'info' | 'error' = 'info'): void {
  state.toast = { text, kind };
  if (toastTimer) clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (state.toast = null), 4500);
}

// ── session ─────────────────────────────────────────────────────────────

export async function boot(): Promise<void> {
  try {
    state.me = await sdk.me();
  } catch {
    state.phase = 'anon';
    return;
  }
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
    location.assign('/');
  }
}

let wired = false;
let loading = false;
let queued: Array<() => void> = [];

function wire(): void {
  if (wired) return;
  wired = true;
  client.on('event', (ev: any) => {
    if (loading) queued.push(() => onEvent(ev));
    else onEvent(ev);
  });
  client.on('typing', (s: any) => onTyping(s));
  client.on('presence', (s: any) => {
    state.presence[s.userId] = { status: s.status, lastSeen: s.lastSeen ?? null };
  });
  client.on('status', (s: Status) => {
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

/**
 * The browser knows before any socket does when the network is gone: drop the
 * stream at once (status shows "Offline") and resume from the cursor when the
 * network is back, instead of waiting for ping timeouts.
 */
let sessionLive = false;
window.addEventListener('offline', () => {
  if (!sessionLive) return;
  client.close();
});
window.addEventListener('online', () => {
  if (!sessionLive) return;
  client.connect().catch((err) => toast(`Could not reconnect: ${errorInfo(err).message}`, 'error'));
});

async function startSession(): Promise<void> {
  state.phase = 'loading';
  wire();
  // Head first, then state, then the stream: nothing falls between.
  await client.connect();
  sessionLive = true;
  await loadAll();
  state.phase = 'ready';
}

async function loadAll(): Promise<void> {
  loading = true;
  queued = [];
  try {
    const [convs, friends, requests] = await Promise.all([sdk.conversations(), sdk.friends(), sdk.friendRequests()]);
    const next: Record<string, ConvState> = {};
    for (const s of convs) {
      const old = state.conversations[s.id];
      // Messages on their way stay; stored ones are fetched again when the conversation is shown.
      next[s.id] = old ? { ...old, summary: s, loaded: false, members: null, hasOlder: true, messages: old.messages.filter((m) => m.state) } : newConv(s);
    }
    state.conversations = next;
    state.friends = Object.fromEntries(friends.map((f) => [f.id, f]));
    for (const f of friends) state.presence[f.id] = f.presence;
    state.requests = requests;
  } finally {
    loading = false;
    const q = queued;
    queued = [];
    for (const run of q) run();
  }
  if (state.activeId && state.conversations[state.activeId]) await loadConversation(state.activeId);
}

function newConv(summary: ConversationSummary): ConvState {
  return { summary, members: null, messages: [], loaded: false, loading: false, loadingOlder: false, hasOlder: true, peerReadUpTo: null };
}

// ── conversations ───────────────────────────────────────────────────────

const PAGE = 50;

async function loadConversation(id: string): Promise<void> {
  const c = state.conversations[id];
  if (!c || c.loading || c.loaded) return;
  c.loading = true;
  try {
    const [detail, messages] = await Promise.all([sdk.conversation(id), sdk.messages(id, undefined, PAGE)]);
    const cur = state.conversations[id];
    if (!cur) return;
    cur.members = detail.members;
    cur.summary.memberCount = detail.memberCount;
    const local = cur.messages.filter((m) => m.state);
    const stored = mergeMessages(cur.messages.filter((m) => !m.state), messages);
    cur.messages = [...stored, ...local.filter((l) => !stored.some((s) => s.clientMsgId && s.clientMsgId === l.clientMsgId && s.senderId === l.senderId))];
    cur.hasOlder = messages.length >= PAGE;
    cur.loaded = true;
    const last = stored[stored.length - 1];
    if (last && (!cur.summary.lastMessage || !idLess(last.id, cur.summary.lastMessage.id))) cur.summary.lastMessage = last;
  } catch (err) {
    toast(`Could not load the conversation: ${errorInfo(err).message}`, 'error');
  } finally {
    const cur = state.conversations[id];
    if (cur) cur.loading = false;
  }
  markReadIfSeen();
}

function mergeMessages(a: Message[], b: Message[]): Message[] {
  const byId = new Map<string, Message>();
  for (const m of a) byId.set(m.id, m);
  for (const m of b) byId.set(m.id, m);
  return [...byId.values()].sort((x, y) => (idLess(x.id, y.id) ? -1 : x.id === y.id ? 0 : 1));
}

export async function loadOlder(id: string): Promise<number> {
  const c = state.conversations[id];
  if (!c || !c.loaded || c.loadingOlder || !c.hasOlder) return 0;
  const oldest = c.messages.find((m) => !m.state);
  if (!oldest) {
    c.hasOlder = false;
    return 0;
  }
  c.loadingOlder = true;
  try {
    const older = await sdk.messages(id, oldest.id, PAGE);
    const local = c.messages.filter((m) => m.state);
    c.messages = [...mergeMessages(c.messages.filter((m) => !m.state), older), ...local];
    c.hasOlder = older.length >= PAGE;
    return older.length;
  } catch (err) {
    toast(`Could not load older messages: ${errorInfo(err).message}`, 'error');
    return 0;
  } finally {
    c.loadingOlder = false;
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
  const id = state.activeId;
  if (!id || !state.visible || !state.atBottom) return;
  const c = state.conversations[id];
  if (!c || !c.loaded) return;
  const last = [...c.messages].reverse().find((m) => !m.state);
  if (!last) return;
  const already = c.summary.lastReadMessageId;
  const hadUnread = c.summary.unread > 0;
  c.summary.unread = 0;
  if (already && !idLess(already, last.id)) return;
  c.summary.lastReadMessageId = last.id;
  if (!hadUnread && last.senderId === state.me?.id && already) return;
  sdk.markRead(id, last.id).catch(() => {
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
      state.conversations[conv.id] = newConv({ ...conv, peer: { id: friend.id, username: friend.username, displayName: friend.displayName }, memberCount: 2, unread: 0, lastMessage: null, lastReadMessageId: null });
    }
    navigate(`/c/${conv.id}`);
  } catch (err) {
    toast(errorInfo(err).message, 'error');
  }
}

// ── sending ─────────────────────────────────────────────────────────────

const SEND_PATIENCE_MS = 15_000;

function newClientMsgId(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export function sendMessage(conversationId: string, text: string): boolean {
  const body = text.trim();
  const c = state.conversations[conversationId];
  if (!body || !c || !state.me) return false;
  const clientMsgId = newClientMsgId();
  const local: ChatMessage = {
    id: `local:${clientMsgId}`, conversationId, senderId: state.me.id, senderName: state.me.displayName || state.me.username,
    body, createdAt: new Date().toISOString(), clientMsgId, state: 'pending',
  };
  c.messages.push(local);
  void deliver(conversationId, clientMsgId);
  return true;
}

export function retryMessage(conversationId: string, clientMsgId: string): void {
  const m = state.conversations[conversationId]?.messages.find((x) => x.clientMsgId === clientMsgId && x.state);
  if (!m) return;
  m.state = 'pending';
  m.error = undefined;
  m.retryable = undefined;
  void deliver(conversationId, clientMsgId);
}

export function discardMessage(conversationId: string, clientMsgId: string): void {
  const c = state.conversations[conversationId];
  if (c) c.messages = c.messages.filter((x) => !(x.state && x.clientMsgId === clientMsgId));
}

/** Sends that have not been answered yet, by clientMsgId (one loop each; the SDK retries inside). */
const inflight = new Set<string>();
const CONNECTIVITY = new Set(['CLOSED', 'DISCONNECTED', 'NETWORK', 'TIMEOUT', 'ABORTED']);

async function deliver(conversationId: string, clientMsgId: string): Promise<void> {
  const find = () => state.conversations[conversationId]?.messages.find((x) => x.clientMsgId === clientMsgId && x.state);
  const m = find();
  if (!m || inflight.has(clientMsgId)) return;
  inflight.add(clientMsgId);
  // Past our patience the message shows as failed (with Retry); the SDK may
  // still deliver it, and a retry reuses the clientMsgId, so it is stored once.
  const slow = setTimeout(() => {
    const cur = find();
    if (cur && cur.state === 'pending') {
      cur.state = 'failed';
      cur.error = state.status === 'online' ? 'No answer yet' : 'You are offline';
      cur.retryable = true;
    }
  }, SEND_PATIENCE_MS);
  try {
    const stored = await sdk.send(conversationId, m.body, clientMsgId);
    acceptMessage(stored);
  } catch (err) {
    const cur = find();
    if (cur) {
      const info = errorInfo(err);
      cur.state = 'failed';
      cur.retryable = CONNECTIVITY.has(info.code) || (err as { retryable?: boolean }).retryable === true;
      cur.error = cur.retryable ? 'You are offline' : info.message;
    }
  } finally {
    clearTimeout(slow);
    inflight.delete(clientMsgId);
  }
}

/** Back online: messages that failed for want of a connection go again (same clientMsgId: stored once). */
function resendAfterOutage(): void {
  for (const c of Object.values(state.conversations)) {
    for (const m of c.messages) {
      if (m.state === 'failed' && m.retryable && m.clientMsgId) retryMessage(c.summary.id, m.clientMsgId);
    }
  }
}

/** A stored message, from the stream or a send's answer: added once, replacing its pending copy. */
function acceptMessage(m: Message, fromStream = false): void {
  const c = state.conversations[m.conversationId];
  if (!c) return;
  const mine = m.senderId === state.me?.id;
  const known = c.messages.some((x) => x.id === m.id);
  if (!known) {
    const pendingIdx = mine && m.clientMsgId ? c.messages.findIndex((x) => x.state && x.clientMsgId === m.clientMsgId) : -1;
    if (pendingIdx >= 0) c.messages.splice(pendingIdx, 1);
    if (c.loaded || c.loading) {
      // Stored messages in id order, local ones after them.
      const stored = c.messages.filter((x) => !x.state);
      const local = c.messages.filter((x) => x.state);
      let i = stored.length;
      while (i > 0 && idLess(m.id, stored[i - 1]!.id)) i--;
      stored.splice(i, 0, m);
      c.messages = [...stored, ...local];
    }
  }
  const isNewest = !c.summary.lastMessage || idLess(c.summary.lastMessage.id, m.id);
  if (isNewest) c.summary.lastMessage = m;
  if (!fromStream || known || !isNewest) return;
  if (mine) return;
  const seen = state.activeId === m.conversationId && state.visible && state.atBottom;
  if (seen) markReadIfSeen();
  else c.summary.unread = (c.summary.unread || 0) + 1;
  const t = state.typing[m.conversationId];
  if (t) delete t[m.senderId];
  if (!state.visible) notify(c, m);
}

// ── stream ──────────────────────────────────────────────────────────────

function onEvent(ev: any): void {
  const me = state.me?.id;
  switch (ev.type) {
    case 'message.created':
      if (!state.conversations[ev.message.conversationId]) void refreshConversations();
      else acceptMessage(ev.message, true);
      break;
    case 'conversation.created': {
      const d = ev.conversation as ConversationDetail;
      if (!state.conversations[d.id] && d.members.some((x) => x.id === me)) {
        const peer = d.kind === 'direct' ? d.members.find((x) => x.id !== me) : undefined;
        state.conversations[d.id] = newConv({
          id: d.id, kind: d.kind, name: d.name, ownerId: d.ownerId, createdAt: d.createdAt, memberCount: d.memberCount,
          unread: 0, lastMessage: null, lastReadMessageId: null, ...(peer ? { peer: { id: peer.id, username: peer.username, displayName: peer.displayName } } : {}),
        });
        state.conversations[d.id]!.members = d.members;
      }
      break;
    }
    case 'conversation.updated': {
      const c = state.conversations[ev.conversation.id];
      if (c) c.summary.name = ev.conversation.name;
      break;
    }
    case 'member.joined': {
      const c = state.conversations[ev.conversationId];
      if (ev.member.id === me) {
        if (!c) void refreshConversations();
      } else if (c) {
        if (c.members && !c.members.some((x) => x.id === ev.member.id)) c.members.push(ev.member);
        c.summary.memberCount = c.members?.length ?? c.summary.memberCount + 1;
      }
      break;
    }
    case 'member.left': {
      const c = state.conversations[ev.conversationId];
      if (!c) break;
      if (ev.userId === me) {
        delete state.conversations[ev.conversationId];
        if (state.activeId === ev.conversationId) {
          state.activeId = null;
          if (router.route.name === 'conversation') navigate('/', { replace: true });
        }
      } else {
        if (c.members) c.members = c.members.filter((x) => x.id !== ev.userId).map((x) => (x.id === ev.newOwnerId ? { ...x, role: 'owner' as const } : x));
        if (ev.newOwnerId) c.summary.ownerId = ev.newOwnerId;
        c.summary.memberCount = c.members?.length ?? Math.max(0, c.summary.memberCount - 1);
      }
      break;
    }
    case 'friend.requested': {
      const r = ev.request as FriendRequest;
      const list = r.to.id === me ? state.requests.incoming : state.requests.outgoing;
      if (!list.some((x) => x.id === r.id)) list.push(r);
      if (r.to.id === me) toast(`${r.from.displayName || r.from.username} sent you a friend request`);
      break;
    }
    case 'friend.accepted': {
      state.requests.incoming = state.requests.incoming.filter((x) => x.id !== ev.requestId);
      state.requests.outgoing = state.requests.outgoing.filter((x) => x.id !== ev.requestId);
      for (const u of ev.users as User[]) {
        if (u.id !== me && !state.friends[u.id]) state.friends[u.id] = { ...u, presence: presenceOf(u.id) };
      }
      void refreshFriends();
      break;
    }
    case 'friend.declined':
      state.requests.incoming = state.requests.incoming.filter((x) => x.id !== ev.requestId);
      state.requests.outgoing = state.requests.outgoing.filter((x) => x.id !== ev.requestId);
      break;
    case 'friend.removed':
      for (const id of ev.userIds as string[]) if (id !== me) delete state.friends[id];
      break;
    case 'read.updated': {
      const c = state.conversations[ev.conversationId];
      if (!c) break;
      if (ev.userId === me) {
        if (!c.summary.lastReadMessageId || idLess(c.summary.lastReadMessageId, ev.upTo)) c.summary.lastReadMessageId = ev.upTo;
        const last = c.summary.lastMessage;
        if (!last || !idLess(ev.upTo, last.id)) c.summary.unread = 0;
        else if (c.loaded) c.summary.unread = c.messages.filter((x) => !x.state && x.senderId !== me && idLess(ev.upTo, x.id)).length;
      } else if (!c.peerReadUpTo || idLess(c.peerReadUpTo, ev.upTo)) {
        c.peerReadUpTo = ev.upTo;
      }
      break;
    }
  }
}

function onTyping(s: { conversationId: string; userId: string; username: string; until: string }): void {
  if (s.userId === state.me?.id) return;
  const name = state.friends[s.userId]?.displayName
    || state.conversations[s.conversationId]?.members?.find((x) => x.id === s.userId)?.displayName
    || s.username;
  const until = Math.min(Date.parse(s.until) || Date.now() + 5000, Date.now() + 8000);
  (state.typing[s.conversationId] ??= {})[s.userId] = { name, until };
}

// Typing entries expire on their own.
setInterval(() => {
  const now = Date.now();
  for (const [conv, users] of Object.entries(state.typing)) {
    for (const [uid, t] of Object.entries(users)) if (t.until <= now) delete users[uid];
    if (Object.keys(users).length === 0) delete state.typing[conv];
  }
}, 1000);

let refreshing: Promise<void> | null = null;
async function refreshConversations(): Promise<void> {
  refreshing ??= (async () => {
    try {
      const convs = await sdk.conversations();
      for (const s of convs) {
        const c = state.conversations[s.id];
        if (!c) state.conversations[s.id] = newConv(s);
        else {
          c.summary.unread = s.unread;
          if (s.lastMessage && (!c.summary.lastMessage || idLess(c.summary.lastMessage.id, s.lastMessage.id))) c.summary.lastMessage = s.lastMessage;
          c.summary.memberCount = s.memberCount;
        }
      }
      if (state.activeId && state.conversations[state.activeId] && !state.conversations[state.activeId]!.loaded) await loadConversation(state.activeId);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function refreshFriends(): Promise<void> {
  const friends = await sdk.friends();
  state.friends = Object.fromEntries(friends.map((f) => [f.id, f]));
  for (const f of friends) state.presence[f.id] = f.presence;
}

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

// ── typing (outgoing) ───────────────────────────────────────────────────

let lastTypingAt = 0;
let lastTypingConv = '';
export function noteTyping(conversationId: string): void {
  const now = Date.now();
  if (conversationId === lastTypingConv && now - lastTypingAt < 2500) return;
  lastTypingAt = now;
  lastTypingConv = conversationId;
  try {
    sdk.typing(conversationId);
  } catch {
    /* typing is best effort */
  }
}

// ── title and notifications ─────────────────────────────────────────────

function notify(c: ConvState, m: Message): void {
  if (!state.notifications || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const where = c.summary.kind === 'direct' ? m.senderName : `${m.senderName} in ${displayNameOf(c)}`;
  try {
    const n = new Notification(where, { body: preview(m.body, 140), tag: `hubbub-${c.summary.id}`, icon: '/favicon.svg' });
    n.onclick = () => {
      window.focus();
      navigate(`/c/${c.summary.id}`);
      n.close();
    };
  } catch {
    /* some browsers only allow notifications from a service worker */
  }
}

export async function setNotifications(on: boolean): Promise<void> {
  if (!on) {
    state.notifications = false;
    localStorage.setItem('hubbub.notifications', 'off');
    return;
  }
  if (typeof Notification === 'undefined') {
    toast('This browser does not support desktop notifications.', 'error');
    return;
  }
  const p = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
  state.notifications = p === 'granted';
  localStorage.setItem('hubbub.notifications', state.notifications ? 'on' : 'off');
  if (!state.notifications) toast('Notifications are blocked in the browser settings.', 'error');
}

document.addEventListener('visibilitychange', () => {
  state.visible = document.visibilityState === 'visible';
  if (state.visible) markReadIfSeen();
});

export function pageTitle(base: string): string {
  const n = totalUnread.value;
  return n > 0 ? `(${n}) ${base}` : base;
}

watch(() => state.atBottom, (b) => {
  if (b) markReadIfSeen();
});
