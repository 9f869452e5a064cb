import { fetchFile, uploadFile, type UploadFile, type UploadOptions } from './files.js';
import { query, RestCore } from './rest-core.js';
import type {
  Attachment,
  Conversation,
  ConversationDetail,
  ConversationSummary,
  FriendRequest,
  HistoryPage,
  Message,
  MessageEdit,
  Presence,
  SearchPage,
  SearchParams,
  StreamEvent,
  User,
} from './types.js';

export { retryAfterMs, type FetchLike, type RestOptions } from './rest-core.js';

export interface SyncResult {
  events: StreamEvent[];
  cursor: string;
  more: boolean;
}

export type Friend = User & { presence: { status: Presence; lastSeen: string | null } };

const enc = encodeURIComponent;

/** Typed calls for every /api/v1 endpoint (the request itself: RestCore). */
export class RestApi extends RestCore {
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

  /** Changes your display name and/or settings (`hideReadReceipts`: others no longer see how far you read). */
  async updateMe(changes: { displayName?: string; hideReadReceipts?: boolean }): Promise<User> {
    return (await this.request<{ user: User }>('PATCH', '/api/v1/me', changes)).user;
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
    return (await this.history(id, page)).messages;
  }

  /**
   * A page of history: the `limit` messages before `before` (or the newest),
   * or centred on `around`; with the conversation's system events (joins,
   * leaves, renames, moderators) whose positions fall inside the page.
   */
  history(id: string, page: { before?: string; around?: string; limit?: number } = {}): Promise<HistoryPage> {
    return this.request('GET', `/api/v1/conversations/${enc(id)}/messages${query(page)}`);
  }

  /**
   * One attempt; HubbubClient.send retries with the same clientMsgId.
   * `attachments`: ids from `upload` (at most 10); the body may then be ''.
   */
  sendMessage(
    id: string,
    body: string,
    clientMsgId?: string,
    replyTo?: string,
    attachments?: string[],
  ): Promise<{ message: Message; duplicate: boolean }> {
    const payload: Record<string, string | string[]> = { body };
    if (clientMsgId !== undefined) payload.clientMsgId = clientMsgId;
    if (replyTo !== undefined) payload.replyTo = replyTo;
    if (attachments?.length) payload.attachments = attachments;
    return this.request('POST', `/api/v1/conversations/${enc(id)}/messages`, payload);
  }

  // ── files and search ─────────────────────────────────────────────────────
  /** Uploads one file to a conversation (see client/files.ts); send its id with a message. */
  upload(conversationId: string, file: UploadFile, opts: UploadOptions = {}): Promise<Attachment> {
    return uploadFile(this, conversationId, file, opts);
  }

  /** A file's bytes with this client's credentials (`Attachment.url`, `thumbnailUrl`, `LinkPreview.imageUrl`). */
  file(url: string, opts: { signal?: AbortSignal; range?: string } = {}): Promise<Response> {
    return fetchFile(this, url, opts);
  }

  /** Messages I can read that match, newest first; page on with `cursor: nextCursor`. */
  search(params: SearchParams, opts: { signal?: AbortSignal } = {}): Promise<SearchPage> {
    return this.request('GET', `/api/v1/search${query({ ...params })}`, undefined, opts);
  }

  // ── one message ──────────────────────────────────────────────────────────
  async editMessage(messageId: string, body: string): Promise<Message> {
    return (await this.request<{ message: Message }>('PATCH', `/api/v1/messages/${enc(messageId)}`, { body })).message;
  }

  /** Deletes for everyone; answers the tombstone (also when it was deleted already). */
  async deleteMessage(messageId: string): Promise<Message> {
    return (await this.request<{ message: Message }>('DELETE', `/api/v1/messages/${enc(messageId)}`)).message;
  }

  /** Earlier versions of an edited message, oldest first. */
  async messageEdits(messageId: string): Promise<MessageEdit[]> {
    return (await this.request<{ edits: MessageEdit[] }>('GET', `/api/v1/messages/${enc(messageId)}/edits`)).edits;
  }

  async addReaction(messageId: string, emoji: string): Promise<Message> {
    return (await this.request<{ message: Message }>('PUT', `/api/v1/messages/${enc(messageId)}/reactions/${enc(emoji)}`)).message;
  }

  async removeReaction(messageId: string, emoji: string): Promise<Message> {
    return (await this.request<{ message: Message }>('DELETE', `/api/v1/messages/${enc(messageId)}/reactions/${enc(emoji)}`)).message;
  }

  /** A room owner names (`on`) or unnames a moderator. */
  async setModerator(conversationId: string, userId: string, on: boolean): Promise<void> {
    await this.request(on ? 'PUT' : 'DELETE', `/api/v1/conversations/${enc(conversationId)}/moderators/${enc(userId)}`);
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
