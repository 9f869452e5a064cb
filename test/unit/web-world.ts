import type {
  ConversationDetail,
  ConversationSummary,
  EventPayload,
  Friend,
  FriendRequest,
  Member,
  Message,
  User,
} from '../../client/index.js';
import { PAGE } from '../../web/src/state/model.js';

/**
 * A small stand-in for the server, seen by one user (`me`): it keeps the
 * same rules as the store (src/store/sqlite.ts) for what the web app reads —
 * who gets which event, unread counts, read pointers that move on send and
 * on join, the owner hand-over — and answers the REST calls the store's
 * loaders make. Actions that the server would refuse are ignored, so random
 * scripts are always valid.
 */

interface Conv {
  id: string;
  kind: 'direct' | 'group' | 'room';
  name: string | null;
  ownerId: string | null;
  createdAt: string;
  members: Array<{ userId: string; role: 'owner' | 'member' }>;
  messages: Message[];
  /** Original of each reply, by message id: the quote is built from it as it is now. */
  replies: Map<string, string>;
}

export type Action =
  | { op: 'request'; from: number; to: number }
  | { op: 'accept'; nth: number }
  | { op: 'decline'; nth: number }
  | { op: 'unfriend'; a: number; b: number }
  | { op: 'direct'; a: number; b: number }
  | { op: 'group'; owner: number; with: number[] }
  | { op: 'room'; owner: number }
  | { op: 'rename'; nth: number; by: number }
  | { op: 'join'; nth: number; user: number }
  | { op: 'leave'; nth: number; user: number }
  | { op: 'send'; nth: number; user: number; mention?: boolean; reply?: number; files?: number }
  /** The server's link preview arriving for a message (message.updated with its linkPreview). */
  | { op: 'preview'; nth: number; msg: number }
  | { op: 'read'; nth: number; user: number }
  | { op: 'edit'; nth: number; user: number; msg: number }
  | { op: 'delete'; nth: number; user: number; msg: number }
  | { op: 'react'; nth: number; user: number; msg: number; emoji: number }
  | { op: 'remove'; nth: number; user: number };

/** What the REST API would answer `me` at one position. */
export interface View {
  conversations: ConversationSummary[];
  friends: Friend[];
  requests: { incoming: FriendRequest[]; outgoing: FriendRequest[] };
  details: Record<string, ConversationDetail>;
  pages: Record<string, Message[]>;
}

const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 12, 0, n)).toISOString();

export class World {
  readonly users: User[];
  /** Events in `me`'s stream, with their global position. */
  readonly stream: Array<{ seq: number; event: EventPayload }> = [];
  /** views[p] = the REST answers after the first p events of the global log. */
  readonly views: View[] = [];
  private seq = 0;
  private nextId = 1;
  private convs: Conv[] = [];
  private requests: Array<FriendRequest & { status: 'pending' | 'done' }> = [];
  private friendships = new Set<string>();
  private pointers = new Map<string, number>();

  constructor(
    userCount = 4,
    readonly me = '1',
  ) {
    this.users = Array.from({ length: userCount }, (_, i) => ({
      id: String(i + 1),
      username: `user${i + 1}`,
      displayName: `User ${i + 1}`,
      createdAt: at(0),
      role: 'member' as const,
    }));
    this.views.push(this.view());
  }

  private user(i: number): User {
    return this.users[Math.abs(i) % this.users.length]!;
  }

  private id(): string {
    return String(this.nextId++);
  }

  private pair(a: string, b: string): string {
    return a < b ? `${a}:${b}` : `${b}:${a}`;
  }

  private emit(event: EventPayload, audience: Iterable<string>): void {
    this.seq++;
    // Snapshots: messages change in place later (edits, deletes, reactions).
    if ([...audience].includes(this.me)) this.stream.push({ seq: this.seq, event: structuredClone(event) });
    this.views.push(structuredClone(this.view()));
  }

  private memberOf(c: Conv, userId: string): boolean {
    return c.members.some((m) => m.userId === userId);
  }

  private lastId(c: Conv): number {
    const last = c.messages[c.messages.length - 1];
    return last ? Number(last.id) : 0;
  }

  private member(c: Conv, userId: string): Member {
    const u = this.users.find((x) => x.id === userId)!;
    return { id: u.id, username: u.username, displayName: u.displayName, role: c.members.find((m) => m.userId === userId)!.role };
  }

  detail(c: Conv): ConversationDetail {
    // Read positions as the server shows them (src/domain/read-pointer.ts): none in rooms; nobody here hides them.
    const members = c.members.map((m) => {
      const pointer = this.pointers.get(`${m.userId}:${c.id}`) ?? 0;
      return c.kind === 'room' ? this.member(c, m.userId) : { ...this.member(c, m.userId), readUpTo: pointer ? String(pointer) : null };
    });
    return { id: c.id, kind: c.kind, name: c.name, ownerId: c.ownerId, createdAt: c.createdAt, members, memberCount: members.length };
  }

  private create(kind: Conv['kind'], owner: string | null, memberIds: string[], name: string | null): void {
    const c: Conv = {
      id: this.id(),
      kind,
      name,
      ownerId: owner,
      createdAt: at(this.seq + 1),
      messages: [],
      replies: new Map(),
      members: memberIds.map((userId) => ({ userId, role: userId === owner ? 'owner' : 'member' })),
    };
    this.convs.push(c);
    for (const m of memberIds) this.pointers.set(`${m}:${c.id}`, 0);
    this.emit({ type: 'conversation.created', conversation: this.detail(c) }, memberIds);
  }

  run(a: Action): void {
    const pending = this.requests.filter((r) => r.status === 'pending');
    const conv = (nth: number): Conv | undefined => (this.convs.length ? this.convs[Math.abs(nth) % this.convs.length] : undefined);
    switch (a.op) {
      case 'request': {
        const from = this.user(a.from),
          to = this.user(a.to);
        if (from.id === to.id || this.friendships.has(this.pair(from.id, to.id))) return;
        if (pending.some((r) => this.pair(r.from.id, r.to.id) === this.pair(from.id, to.id))) return;
        const request = { id: this.id(), from, to, createdAt: at(this.seq + 1) };
        this.requests.push({ ...request, status: 'pending' });
        return this.emit({ type: 'friend.requested', request }, [from.id, to.id]);
      }
      case 'accept':
      case 'decline': {
        const r = pending.length ? pending[Math.abs(a.nth) % pending.length]! : undefined;
        if (!r) return;
        r.status = 'done';
        if (a.op === 'decline')
          return this.emit({ type: 'friend.declined', requestId: r.id, fromId: r.from.id, toId: r.to.id }, [r.from.id, r.to.id]);
        this.friendships.add(this.pair(r.from.id, r.to.id));
        return this.emit({ type: 'friend.accepted', requestId: r.id, users: [r.from, r.to] }, [r.from.id, r.to.id]);
      }
      case 'unfriend': {
        const x = this.user(a.a),
          y = this.user(a.b);
        if (!this.friendships.delete(this.pair(x.id, y.id))) return;
        return this.emit({ type: 'friend.removed', userIds: [x.id, y.id] }, [x.id, y.id]);
      }
      case 'direct': {
        const x = this.user(a.a),
          y = this.user(a.b);
        if (x.id === y.id || this.convs.some((c) => c.kind === 'direct' && this.memberOf(c, x.id) && this.memberOf(c, y.id))) return;
        return this.create('direct', null, [x.id, y.id], null);
      }
      case 'group': {
        const owner = this.user(a.owner).id;
        const others = [...new Set(a.with.map((i) => this.user(i).id))].filter((id) => id !== owner);
        return this.create('group', owner, [owner, ...others], `group ${this.nextId}`);
      }
      case 'room':
        return this.create('room', this.user(a.owner).id, [this.user(a.owner).id], `room${this.nextId}`);
      case 'rename': {
        const c = conv(a.nth);
        const by = this.user(a.by).id;
        if (!c || c.kind === 'direct' || !this.memberOf(c, by)) return;
        c.name = `${c.kind} ${this.id()}`;
        return this.emit(
          {
            type: 'conversation.updated',
            conversation: { id: c.id, kind: c.kind, name: c.name, ownerId: c.ownerId, createdAt: c.createdAt },
          },
          c.members.map((m) => m.userId),
        );
      }
      case 'join': {
        const c = conv(a.nth);
        const u = this.user(a.user).id;
        if (!c || c.kind === 'direct' || this.memberOf(c, u)) return;
        c.members.push({ userId: u, role: 'member' });
        // A new member starts with everything before joining marked read.
        this.pointers.set(`${u}:${c.id}`, this.lastId(c));
        return this.emit(
          { type: 'member.joined', conversationId: c.id, member: this.member(c, u), by: null },
          c.members.map((m) => m.userId),
        );
      }
      case 'leave': {
        const c = conv(a.nth);
        const u = this.user(a.user).id;
        if (!c || c.kind === 'direct' || !this.memberOf(c, u)) return;
        const audience = c.members.map((m) => m.userId);
        c.members = c.members.filter((m) => m.userId !== u);
        const event: EventPayload = { type: 'member.left', conversationId: c.id, userId: u, by: null };
        if (c.kind === 'group' && c.ownerId === u) {
          const heir = c.members[0];
          if (heir) {
            heir.role = 'owner';
            event.newOwnerId = heir.userId;
          }
          c.ownerId = heir?.userId ?? null;
        }
        return this.emit(event, audience);
      }
      case 'send': {
        const c = conv(a.nth);
        const u = this.user(a.user);
        if (!c || !this.memberOf(c, u.id) || c.messages.length >= PAGE - 1) return;
        const calls = a.mention && c.kind !== 'direct' && this.memberOf(c, this.me) && u.id !== this.me;
        const original = a.reply !== undefined && c.messages.length ? c.messages[Math.abs(a.reply) % c.messages.length] : undefined;
        const id = this.id();
        if (original) c.replies.set(id, original.id);
        const message: Message = {
          id,
          conversationId: c.id,
          senderId: u.id,
          senderName: u.displayName,
          body: calls ? `hello @user${this.me}` : `hello ${this.nextId}`,
          createdAt: at(this.seq + 1),
          clientMsgId: `cm${this.nextId}`,
          editedAt: null,
          deleted: false,
          replyTo: null,
          reactions: [],
          mentions: calls ? [this.me] : [],
          mentionsAll: false,
          attachments: Array.from({ length: Math.abs(a.files ?? 0) % 3 }, (_, i) => this.attachment(`${id}-${i}`)),
          linkPreview: null,
        };
        c.messages.push(message);
        this.quote(c, message);
        // The sender has read what they wrote.
        this.pointers.set(`${u.id}:${c.id}`, Number(message.id));
        return this.emit(
          { type: 'message.created', message },
          c.members.map((m) => m.userId),
        );
      }
      case 'read': {
        const c = conv(a.nth);
        const u = this.user(a.user).id;
        if (!c || !this.memberOf(c, u) || !c.messages.length) return;
        // Somewhere in the history, not always the newest: reading on another device may stop half way.
        const upTo = c.messages[Math.abs(a.nth + a.user) % c.messages.length]!;
        if ((this.pointers.get(`${u}:${c.id}`) ?? 0) >= Number(upTo.id)) return;
        this.pointers.set(`${u}:${c.id}`, Number(upTo.id));
        // The conversation sees it in direct conversations and groups; in rooms the reader alone (docs/api.md).
        return this.emit(
          { type: 'read.updated', conversationId: c.id, userId: u, upTo: upTo.id },
          c.kind === 'room' ? [u] : c.members.map((m) => m.userId),
        );
      }
      case 'edit':
      case 'delete':
      case 'react': {
        const c = conv(a.nth);
        const u = this.user(a.user).id;
        const m = c?.messages.length ? c.messages[Math.abs(a.msg) % c.messages.length] : undefined;
        if (!c || !m || m.deleted || !this.memberOf(c, u)) return;
        const audience = c.members.map((x) => x.userId);
        if (a.op === 'edit') {
          if (m.senderId !== u) return;
          m.body = `edited ${this.nextId++}`;
          m.editedAt = at(this.seq + 1);
          return this.emit({ type: 'message.updated', message: this.quote(c, { ...m }) }, audience);
        }
        if (a.op === 'delete') {
          if (m.senderId !== u && c.ownerId !== u) return;
          Object.assign(m, { body: '', deleted: true, mentions: [], reactions: [], attachments: [], linkPreview: null });
          this.quote(c, m);
          return this.emit({ type: 'message.deleted', conversationId: c.id, messageId: m.id, by: u }, audience);
        }
        const emoji = ['👍', '🎉'][Math.abs(a.emoji) % 2]!;
        const r = m.reactions.find((x) => x.emoji === emoji);
        const on = !r?.userIds.includes(u);
        if (on) {
          if (r) r.userIds.push(u);
          else m.reactions.push({ emoji, count: 0, userIds: [u] });
        } else r!.userIds = r!.userIds.filter((x) => x !== u);
        for (const x of m.reactions) x.count = x.userIds.length;
        m.reactions = m.reactions.filter((x) => x.count > 0);
        const type = on ? ('reaction.added' as const) : ('reaction.removed' as const);
        return this.emit({ type, conversationId: c.id, messageId: m.id, emoji, userId: u }, audience);
      }
      case 'preview': {
        const c = conv(a.nth);
        const m = c?.messages.length ? c.messages[Math.abs(a.msg) % c.messages.length] : undefined;
        if (!c || !m || m.deleted || m.linkPreview) return;
        m.linkPreview = {
          url: `https://example.com/${m.id}`,
          title: `Page ${m.id}`,
          description: null,
          siteName: 'Example',
          imageUrl: `/api/v1/messages/${m.id}/preview-image`,
        };
        return this.emit(
          { type: 'message.updated', message: { ...m } },
          c.members.map((x) => x.userId),
        );
      }
      case 'remove': {
        const c = conv(a.nth);
        const u = this.user(a.user).id;
        if (c?.kind !== 'group' || !c.ownerId || u === c.ownerId || !this.memberOf(c, u)) return;
        const audience = c.members.map((m) => m.userId);
        c.members = c.members.filter((m) => m.userId !== u);
        return this.emit({ type: 'member.left', conversationId: c.id, userId: u, by: c.ownerId }, audience);
      }
      default: {
        const unreachable: never = a;
        return unreachable;
      }
    }
  }

  private attachment(id: string): Message['attachments'][number] {
    return {
      id,
      name: `photo-${id}.png`,
      size: 1000,
      type: 'image/png',
      url: `/api/v1/files/${id}`,
      width: 40,
      height: 30,
      thumbnailUrl: `/api/v1/files/${id}/thumbnail`,
    };
  }

  /** Quotes of `changed` (and `changed`'s own quote) rebuilt from the originals as they are now. */
  private quote(c: Conv, changed: Message): Message {
    for (const m of [...c.messages, changed]) {
      const o = c.replies.has(m.id) ? c.messages.find((x) => x.id === c.replies.get(m.id)) : undefined;
      if (o) m.replyTo = { id: o.id, senderId: o.senderId, senderName: o.senderName, preview: o.body.slice(0, 140), deleted: o.deleted };
    }
    return changed;
  }

  private view(): View {
    const me = this.me;
    const mine = this.convs.filter((c) => this.memberOf(c, me));
    const conversations = mine.map((c): ConversationSummary => {
      const pointer = this.pointers.get(`${me}:${c.id}`) ?? 0;
      const s: ConversationSummary = {
        id: c.id,
        kind: c.kind,
        name: c.name,
        ownerId: c.ownerId,
        createdAt: c.createdAt,
        memberCount: c.members.length,
        unread: c.messages.filter((m) => Number(m.id) > pointer && m.senderId !== me).length,
        mentions: c.messages.filter((m) => Number(m.id) > pointer && m.senderId !== me && !m.deleted && m.mentions.includes(me)).length,
        lastMessage: c.messages[c.messages.length - 1] ?? null,
        lastReadMessageId: pointer === 0 ? null : String(pointer),
      };
      const peer = c.kind === 'direct' ? this.users.find((u) => u.id !== me && this.memberOf(c, u.id)) : undefined;
      if (peer) s.peer = { id: peer.id, username: peer.username, displayName: peer.displayName };
      return s;
    });
    const friends = this.users
      .filter((u) => u.id !== me && this.friendships.has(this.pair(u.id, me)))
      .sort((x, y) => x.username.localeCompare(y.username))
      .map((u): Friend => ({ ...u, presence: { status: 'offline', lastSeen: null } }));
    const pending = this.requests.filter((r) => r.status === 'pending').map(({ status: _s, ...r }) => r);
    return {
      conversations,
      friends,
      requests: { incoming: pending.filter((r) => r.to.id === me), outgoing: pending.filter((r) => r.from.id === me) },
      details: Object.fromEntries(mine.map((c) => [c.id, this.detail(c)])),
      pages: Object.fromEntries(mine.map((c) => [c.id, c.messages.slice(-PAGE)])),
    };
  }
}
