import type {
  Conversation,
  ConversationDetail,
  ConversationSummary,
  FriendRequest,
  Message,
  Presence,
  StreamEvent,
  User,
} from './types.js';
import { HubbubError } from './types.js';

export type FetchLike = typeof fetch;

export interface RestOptions {
  baseUrl: () => string;
  fetch: FetchLike;
  token?: string | null;
}

export interface SyncResult {
  events: StreamEvent[];
  cursor: string;
  more: boolean;
}

export type Friend = User & { presence: { status: Presence; lastSeen: string | null } };

const SESSION_COOKIE = 'hubbub_session';

/**
 * Typed calls for every /api/v1 endpoint. Authentication is a bearer token
 * (`token`) or the session cookie: browsers keep the cookie themselves
 * (`credentials: 'include'`); in Node the session cookie is kept here. The
 * CSRF token from register/login/me is sent on every mutation.
 */
export class RestApi {
  token: string | null;
  csrfToken: string | null = null;
  /** `name=value` of the session cookie when running outside a browser. */
  cookie: string | null = null;

  constructor(private readonly opts: RestOptions) {
    this.token = opts.token ?? null;
  }

  /** Headers that authenticate a request made outside fetch (a Node WebSocket). */
  authHeaders(): Record<string, string> {
    if (this.token) return { authorization: `Bearer ${this.token}` };
    if (this.cookie) return { cookie: this.cookie };
    return {};
  }

  url(path: string): string {
    return this.opts.baseUrl().replace(/\/+$/, '') + path;
  }

  async request<T>(method: string, path: string, body?: unknown, init: { signal?: AbortSignal } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.authHeaders() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && !this.token && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    let res: Response;
    try {
      res = await this.opts.fetch(this.url(path), {
        method,
        headers,
        credentials: 'include',
        signal: init.signal,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if (init.signal?.aborted) throw new HubbubError('ABORTED', 'The request was aborted.');
      throw new HubbubError('NETWORK', `No answer from the server: ${(err as Error).message}`);
    }
    this.keepCookie(res);
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: a proxy's error page; handled below by status
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new HubbubError(
        e?.code ?? `HTTP_${res.status}`,
        e?.message ?? `HTTP ${res.status}`,
        res.status,
        retryAfterMs(res.headers.get('retry-after')),
      );
    }
    return json as T;
  }

  private keepCookie(res: Response): void {
    const list = (res.headers as Headers & { getSetCookie?: () => string[] }).getSetCookie?.() ?? [];
    for (const line of list) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      if (pair!.slice(0, eq).trim() !== SESSION_COOKIE) continue;
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)) || value === '';
      this.cookie = expired ? null : `${SESSION_COOKIE}=${value}`;
    }
  }

  // ── accounts ─────────────────────────────────────────────────────────────
  async register(username: string, password: string, displayName?: string): Promise<{ user: User; csrfToken: string }> {
    const r = await this.request<{ user: User; csrfToken: string }>(
      'POST',
      '/api/v1/auth/register',
      displayName === undefined ? { username, password } : { username, password, displayName },
    );
    this.csrfToken = r.csrfToken;
    return r;
  }

  async login(username: string, password: string): Promise<{ user: User; csrfToken: string }> {
    const r = await this.request<{ user: User; csrfToken: string }>('POST', '/api/v1/auth/login', { username, password });
    this.csrfToken = r.csrfToken;
    return r;
  }

  async logout(): Promise<void> {
    await this.request('POST', '/api/v1/auth/logout');
    this.csrfToken = null;
    this.cookie = null;
  }

  /** Issues a bearer token; with `use`, later calls authenticate with it. */
  async createToken(username: string, password: string, use = true): Promise<string> {
    const r = await this.request<{ token: string }>('POST', '/api/v1/tokens', { username, password });
    if (use) this.token = r.token;
    return r.token;
  }

  async me(): Promise<User> {
    const r = await this.request<{ user: User; csrfToken: string | null }>('GET', '/api/v1/me');
    if (r.csrfToken) this.csrfToken = r.csrfToken;
    return r.user;
  }

  async searchUsers(prefix: string): Promise<User[]> {
    return (await this.request<{ users: User[] }>('GET', `/api/v1/users?prefix=${encodeURIComponent(prefix)}`)).users;
  }

  // ── friends ──────────────────────────────────────────────────────────────
  async friends(): Promise<Friend[]> {
    return (await this.request<{ friends: Friend[] }>('GET', '/api/v1/friends')).friends;
  }

  friendRequests(): Promise<{ incoming: FriendRequest[]; outgoing: FriendRequest[] }> {
    return this.request('GET', '/api/v1/friends/requests');
  }

  async requestFriend(username: string): Promise<void> {
    await this.request('POST', '/api/v1/friends/requests', { username });
  }

  async acceptFriend(requestId: string): Promise<void> {
    await this.request('POST', `/api/v1/friends/requests/${encodeURIComponent(requestId)}/accept`);
  }

  async declineFriend(requestId: string): Promise<void> {
    await this.request('POST', `/api/v1/friends/requests/${encodeURIComponent(requestId)}/decline`);
  }

  async removeFriend(userId: string): Promise<void> {
    await this.request('DELETE', `/api/v1/friends/${encodeURIComponent(userId)}`);
  }

  async direct(username: string): Promise<Conversation> {
    return (await this.request<{ conversation: Conversation }>('POST', `/api/v1/direct/${encodeURIComponent(username)}`)).conversation;
  }

  // ── conversations ────────────────────────────────────────────────────────
  async conversations(): Promise<ConversationSummary[]> {
    return (await this.request<{ conversations: ConversationSummary[] }>('GET', '/api/v1/conversations')).conversations;
  }

  async createGroup(name: string, members: string[] = []): Promise<ConversationDetail> {
    return (await this.request<{ conversation: ConversationDetail }>('POST', '/api/v1/conversations', { kind: 'group', name, members }))
      .conversation;
  }

  async createRoom(name: string): Promise<ConversationDetail> {
    return (await this.request<{ conversation: ConversationDetail }>('POST', '/api/v1/conversations', { kind: 'room', name })).conversation;
  }

  async conversation(id: string): Promise<ConversationDetail> {
    return (await this.request<{ conversation: ConversationDetail }>('GET', `/api/v1/conversations/${encodeURIComponent(id)}`))
      .conversation;
  }

  async rename(id: string, name: string): Promise<Conversation> {
    return (await this.request<{ conversation: Conversation }>('PATCH', `/api/v1/conversations/${encodeURIComponent(id)}`, { name }))
      .conversation;
  }

  async addMember(id: string, username: string): Promise<void> {
    await this.request('POST', `/api/v1/conversations/${encodeURIComponent(id)}/members`, { username });
  }

  async removeMember(id: string, userId: string): Promise<void> {
    await this.request('DELETE', `/api/v1/conversations/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`);
  }

  async join(id: string): Promise<void> {
    await this.request('POST', `/api/v1/conversations/${encodeURIComponent(id)}/join`);
  }

  async leave(id: string): Promise<void> {
    await this.request('POST', `/api/v1/conversations/${encodeURIComponent(id)}/leave`);
  }

  async messages(id: string, page: { before?: string; limit?: number } = {}): Promise<Message[]> {
    return (await this.request<{ messages: Message[] }>('GET', `/api/v1/conversations/${encodeURIComponent(id)}/messages${query(page)}`))
      .messages;
  }

  /** One attempt; HubbubClient.send retries with the same clientMsgId. */
  sendMessage(id: string, body: string, clientMsgId?: string): Promise<{ message: Message; duplicate: boolean }> {
    return this.request(
      'POST',
      `/api/v1/conversations/${encodeURIComponent(id)}/messages`,
      clientMsgId === undefined ? { body } : { body, clientMsgId },
    );
  }

  async markRead(id: string, upTo: string): Promise<void> {
    await this.request('POST', `/api/v1/conversations/${encodeURIComponent(id)}/read`, { upTo });
  }

  async typing(id: string): Promise<void> {
    await this.request('POST', `/api/v1/conversations/${encodeURIComponent(id)}/typing`);
  }

  async rooms(): Promise<Array<Conversation & { memberCount: number; lastMessageAt: string | null }>> {
    return (
      await this.request<{ rooms: Array<Conversation & { memberCount: number; lastMessageAt: string | null }> }>('GET', '/api/v1/rooms')
    ).rooms;
  }

  roomMessages(name: string, page: { before?: string; limit?: number } = {}): Promise<{ room: Conversation; messages: Message[] }> {
    return this.request('GET', `/api/v1/rooms/${encodeURIComponent(name)}/messages${query(page)}`);
  }

  // ── the stream ───────────────────────────────────────────────────────────
  /** Short poll (no `wait`) or long poll. Without `since`: no events and the head cursor. */
  sync(since?: string | null, opts: { wait?: number; limit?: number; signal?: AbortSignal } = {}): Promise<SyncResult> {
    const q: Record<string, string | number | undefined> = { since: since ?? undefined, wait: opts.wait, limit: opts.limit };
    return this.request('GET', `/api/v1/sync${query(q)}`, undefined, { signal: opts.signal });
  }
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[A-Za-z]/.test(v)) return null; // Date.parse would take "-1" for a year
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function query(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}
