import type {
  Conversation,
  ConversationKind,
  EventType,
  FriendRequest,
  Member,
  MemberDetail,
  MembershipSpan,
  ServerRole,
  StoredEvent,
  User,
} from '../domain/types.js';
import { sharedReadPosition } from '../domain/read-pointer.js';
import type { AuthTokenInfo } from './store.js';

/**
 * Rows as both databases return them, and the one mapping of each to its
 * domain shape. Integer columns arrive as numbers from SQLite and as strings
 * from PostgreSQL's BIGINT, so they are typed `Int` and always converted here.
 */
export type Int = number | string;

export interface UserRow {
  id: Int;
  username: string;
  display_name: string;
  password_hash: string;
  created_at: string;
  role?: ServerRole | null;
}
/** SQLite answers booleans as 0/1, PostgreSQL as true/false. */
export type Bool = Int | boolean;
export interface ConversationRow {
  id: Int;
  kind: ConversationKind;
  name: string | null;
  owner_id: Int | null;
  created_at: string;
}
export interface MemberRow {
  id: Int;
  username: string;
  display_name: string;
  role: Member['role'];
}
export interface MembershipRow {
  id: Int;
  user_id: Int;
  joined_seq: Int;
  left_seq: Int | null;
}
export type PublicUserRow = Omit<UserRow, 'password_hash'>;
/** A friend request joined with its sender (`f_`) and recipient (`t_`). */
export type RequestRow = { id: Int; from_id: Int; to_id: Int; status: string; created_at: string } & Prefixed<'f_', PublicUserRow> &
  Prefixed<'t_', PublicUserRow>;
export interface TokenRow {
  token_hash: string;
  user_id: Int;
  kind: 'session' | 'bearer';
  csrf_token: string | null;
  expires_at: Int;
  created_at: Int | null;
  last_used_at: Int | null;
  user_agent: string | null;
  ip: string | null;
}
export interface EventRow {
  seq: Int;
  type: EventType;
  conv_id: Int | null;
  payload: string;
  targets?: string[] | null;
}
export interface RoomRow extends ConversationRow {
  member_count: Int;
  last_at: string | null;
}
export interface SummaryRow extends ConversationRow {
  last_read: Int | null;
  member_count: Int;
  unread: Int;
  mentions: Int;
}
export interface PeerRow {
  id: Int;
  username: string;
  display_name: string;
}

/** The columns of T under a prefix, for a row that joins the same table twice (`f_id`, `t_id`). */
export type Prefixed<P extends string, T> = { [K in keyof T & string as `${P}${K}`]: T[K] };

export function unprefix<P extends string, T>(row: Prefixed<P, T>, prefix: P): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out as T;
}

const numOrNull = (v: Int | null | undefined): number | null => (v == null ? null : Number(v));
const idOrNull = (v: Int | null | undefined): string | null => (v == null ? null : String(v));

export const userOf = (r: PublicUserRow): User => ({
  id: String(r.id),
  username: r.username,
  displayName: r.display_name,
  createdAt: r.created_at,
  role: r.role === 'admin' ? 'admin' : 'member',
});

export const truthy = (v: Bool | null | undefined): boolean => v === true || v === 1 || v === '1' || v === 't';

export const conversationOf = (r: ConversationRow): Conversation => ({
  id: String(r.id),
  kind: r.kind,
  name: r.name ?? null,
  ownerId: idOrNull(r.owner_id),
  createdAt: r.created_at,
});

export const memberOf = (r: MemberRow): Member => ({ id: String(r.id), username: r.username, displayName: r.display_name, role: r.role });

/** A member of a direct conversation or group with the read position the others may see. */
export type MemberReadRow = MemberRow & { hide_read_receipts: Bool; read_up_to: Int | null };
export const memberReadOf =
  (kind: ConversationKind) =>
  (r: MemberReadRow): MemberDetail => ({
    ...memberOf(r),
    readUpTo: sharedReadPosition(kind, truthy(r.hide_read_receipts), lastReadOf(r.read_up_to)),
  });

export const peerOf = (r: PeerRow) => ({ id: String(r.id), username: r.username, displayName: r.display_name });

export const spanOf = (r: Pick<MembershipRow, 'user_id' | 'joined_seq' | 'left_seq'>): MembershipSpan => ({
  userId: String(r.user_id),
  joinedSeq: Number(r.joined_seq),
  leftSeq: numOrNull(r.left_seq),
});

export const candidateOf = (r: MembershipRow) => ({
  userId: String(r.user_id),
  joinedSeq: Number(r.joined_seq),
  membershipId: Number(r.id),
});

export const tokenInfoOf = (r: TokenRow): AuthTokenInfo => ({
  tokenHash: r.token_hash,
  kind: r.kind,
  createdAt: numOrNull(r.created_at),
  lastUsedAt: numOrNull(r.last_used_at),
  userAgent: r.user_agent ?? null,
  ip: r.ip ?? null,
  expiresAt: Number(r.expires_at),
});

export const authTokenOf = (r: TokenRow) => ({
  userId: String(r.user_id),
  kind: r.kind,
  csrfToken: r.csrf_token,
  expiresAt: Number(r.expires_at),
  lastUsedAt: numOrNull(r.last_used_at),
});

export const eventOf = (r: EventRow): StoredEvent => ({
  seq: Number(r.seq),
  type: r.type,
  conversationId: idOrNull(r.conv_id),
  targets: r.targets ?? [],
  payload: r.payload,
});

export const requestOf = (r: RequestRow): FriendRequest => ({
  id: String(r.id),
  from: userOf(unprefix<'f_', PublicUserRow>(r, 'f_')),
  to: userOf(unprefix<'t_', PublicUserRow>(r, 't_')),
  createdAt: r.created_at,
});

export const roomOf = (r: RoomRow) => ({ ...conversationOf(r), memberCount: Number(r.member_count), lastMessageAt: r.last_at ?? null });

/** A read pointer of 0 means "nothing read" (a member who joined an empty conversation). */
export const lastReadOf = (v: Int | null): string | null => (v == null || Number(v) === 0 ? null : String(v));
