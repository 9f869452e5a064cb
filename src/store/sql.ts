/**
 * SQL that is the same in both dialects, written once with `?` placeholders
 * (SQLite's); PostgreSQL gets each statement through `toPg` (`$1`, `$2`, …).
 * What truly differs — case-insensitive usernames, upserts with a maximum,
 * array parameters, the log's position allocation — stays in the store file
 * of its dialect.
 */
/** A friend request with both users (`f_…` the sender, `t_…` the recipient): see RequestRow. */
const REQUEST = `SELECT r.*, f.id AS f_id, f.username AS f_username, f.display_name AS f_display_name, f.created_at AS f_created_at,
    f.role AS f_role, t.id AS t_id, t.username AS t_username, t.display_name AS t_display_name, t.created_at AS t_created_at, t.role AS t_role
  FROM friend_requests r JOIN users f ON f.id = r.from_id JOIN users t ON t.id = r.to_id`;

export const SQL = {
  userById: 'SELECT * FROM users WHERE id = ?',
  userExists: 'SELECT 1 AS x FROM users WHERE id = ?',
  usersPage: 'SELECT * FROM users ORDER BY id LIMIT ? OFFSET ?',
  setPassword: 'UPDATE users SET password_hash = ? WHERE id = ?',
  setDisplayName: 'UPDATE users SET display_name = ? WHERE id = ?',
  deleteUser: 'DELETE FROM users WHERE id = ?',
  setUserRole: 'UPDATE users SET role = ? WHERE id = ?',
  settings: 'SELECT hide_read_receipts FROM users WHERE id = ?',
  setHideReadReceipts: 'UPDATE users SET hide_read_receipts = ? WHERE id = ?',
  /** The events that quote a message of this sender in a reply by someone else (redacted when the account goes). */
  quotingEvents: `SELECT e.seq, e.payload, r.reply_to_id AS quoted FROM messages r JOIN messages o ON o.id = r.reply_to_id
      JOIN events e ON e.seq = r.seq WHERE o.sender_id = ? AND r.sender_id <> o.sender_id
    UNION ALL
    SELECT e.seq, e.payload, r.reply_to_id AS quoted FROM messages r JOIN messages o ON o.id = r.reply_to_id
      JOIN message_edits x ON x.message_id = r.id JOIN events e ON e.seq = x.seq WHERE o.sender_id = ? AND r.sender_id <> o.sender_id`,
  /** A deleted account's messages leave the log with their edits. */
  deleteMessageEventsOfUser: `DELETE FROM events WHERE seq IN (SELECT seq FROM messages WHERE sender_id = ? AND seq IS NOT NULL
    UNION SELECT x.seq FROM message_edits x JOIN messages m ON m.id = x.message_id WHERE m.sender_id = ?)`,
  deleteTargetsOfUser: 'DELETE FROM event_targets WHERE user_id = ?',

  insertToken: `INSERT INTO auth_tokens (token_hash, user_id, kind, csrf_token, expires_at, created_at, last_used_at, user_agent, ip)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  tokenByHash: 'SELECT * FROM auth_tokens WHERE token_hash = ?',
  touchToken: 'UPDATE auth_tokens SET last_used_at = ? WHERE token_hash = ?',
  deleteToken: 'DELETE FROM auth_tokens WHERE token_hash = ?',
  probe: "INSERT INTO meta (key, value) VALUES ('probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",

  friendship: 'SELECT 1 AS x FROM friendships WHERE user_a = ? AND user_b = ?',
  insertFriendship: 'INSERT INTO friendships (user_a, user_b, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  deleteFriendship: 'DELETE FROM friendships WHERE user_a = ? AND user_b = ?',
  requestById: `${REQUEST} WHERE r.id = ?`,
  pendingRequest: `${REQUEST} WHERE r.from_id = ? AND r.to_id = ? AND r.status = 'pending'`,
  pendingRequestsOf: `${REQUEST} WHERE (r.to_id = ? OR r.from_id = ?) AND r.status = 'pending' ORDER BY r.id`,
  insertRequest: 'INSERT INTO friend_requests (from_id, to_id, created_at) VALUES (?, ?, ?) RETURNING id',
  setRequestStatus: 'UPDATE friend_requests SET status = ? WHERE id = ?',

  conversationById: 'SELECT * FROM conversations WHERE id = ?',
  conversationByDirectKey: 'SELECT * FROM conversations WHERE direct_key = ?',
  roomByName: "SELECT * FROM conversations WHERE kind = 'room' AND name = ?",
  insertDirect: "INSERT INTO conversations (kind, name, owner_id, direct_key, created_at) VALUES ('direct', NULL, NULL, ?, ?) RETURNING *",
  insertConversation: 'INSERT INTO conversations (kind, name, owner_id, created_at) VALUES (?, ?, ?, ?) RETURNING id',
  renameConversation: 'UPDATE conversations SET name = ? WHERE id = ? RETURNING *',
  setOwner: 'UPDATE conversations SET owner_id = ? WHERE id = ?',
  rooms: `SELECT c.*, (SELECT count(*) FROM memberships m WHERE m.conv_id = c.id AND m.left_seq IS NULL) AS member_count,
      (SELECT max(created_at) FROM messages x WHERE x.conv_id = c.id) AS last_at
    FROM conversations c WHERE c.kind = 'room' ORDER BY c.name`,

  members: `SELECT u.id, u.username, u.display_name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.conv_id = ? AND m.left_seq IS NULL ORDER BY m.joined_seq, m.id`,
  /** `members` with how far each has read, for the detail of a direct conversation or group. */
  membersWithReads: `SELECT u.id, u.username, u.display_name, m.role, u.hide_read_receipts, p.message_id AS read_up_to
    FROM memberships m JOIN users u ON u.id = m.user_id LEFT JOIN read_pointers p ON p.user_id = m.user_id AND p.conv_id = m.conv_id
    WHERE m.conv_id = ? AND m.left_seq IS NULL ORDER BY m.joined_seq, m.id`,
  member: `SELECT u.id, u.username, u.display_name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.conv_id = ? AND m.user_id = ? AND m.left_seq IS NULL`,
  currentMembership: 'SELECT * FROM memberships WHERE conv_id = ? AND user_id = ? AND left_seq IS NULL',
  currentMemberships: 'SELECT * FROM memberships WHERE conv_id = ? AND left_seq IS NULL',
  /** The other current member of a direct conversation (none once they deleted their account). */
  peer: 'SELECT user_id FROM memberships WHERE conv_id = ? AND user_id <> ? AND left_seq IS NULL LIMIT 1',
  endMembership: 'UPDATE memberships SET left_seq = ? WHERE id = ?',
  makeOwner: "UPDATE memberships SET role = 'owner' WHERE conv_id = ? AND user_id = ? AND left_seq IS NULL",
  setMemberRole: 'UPDATE memberships SET role = ? WHERE conv_id = ? AND user_id = ? AND left_seq IS NULL',
  /** What decideDelete and mayMentionAll need of an actor in a conversation. */
  standing: `SELECT u.role AS server_role, c.kind, c.owner_id,
      (SELECT m.role FROM memberships m WHERE m.conv_id = c.id AND m.user_id = u.id AND m.left_seq IS NULL) AS member_role
    FROM users u, conversations c WHERE u.id = ? AND c.id = ?`,
  spans: 'SELECT user_id, joined_seq, left_seq FROM memberships WHERE conv_id = ? ORDER BY id',

  messageById: 'SELECT * FROM messages WHERE id = ?',
  messageBySenderKey: 'SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?',
  messagesLatest: 'SELECT * FROM messages WHERE conv_id = ? ORDER BY id DESC LIMIT ?',
  messagesBefore: 'SELECT * FROM messages WHERE conv_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
  messagesFrom: 'SELECT * FROM messages WHERE conv_id = ? AND id >= ? ORDER BY id LIMIT ?',
  applyEdit: 'UPDATE messages SET body = ?, edited_at = ?, mentions = ?, mentions_all = ? WHERE id = ? RETURNING *',
  insertEdit: 'INSERT INTO message_edits (message_id, body, edited_at, seq) VALUES (?, ?, ?, ?)',
  editsOf: 'SELECT body, edited_at FROM message_edits WHERE message_id = ? ORDER BY id',
  /** The stored events that hold a message's body or quote it: its own, its edits', its replies' and theirs. */
  redactionSeqs: `SELECT seq FROM messages WHERE (id = ? OR reply_to_id = ?) AND seq IS NOT NULL
    UNION SELECT x.seq FROM message_edits x JOIN messages m ON m.id = x.message_id WHERE m.id = ? OR m.reply_to_id = ?`,
  eventPayload: 'SELECT payload FROM events WHERE seq = ?',
  setEventPayload: 'UPDATE events SET payload = ? WHERE seq = ?',
  tombstone: "UPDATE messages SET body = '', mentions = '[]', mentions_all = FALSE, deleted = TRUE WHERE id = ? RETURNING *",
  deleteEditsOf: 'DELETE FROM message_edits WHERE message_id = ?',
  deleteReactionsOf: 'DELETE FROM reactions WHERE message_id = ?',
  reaction: 'SELECT 1 AS x FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?',
  reactionEmojiKnown: 'SELECT 1 AS x FROM reactions WHERE message_id = ? AND emoji = ? LIMIT 1',
  distinctEmoji: 'SELECT count(DISTINCT emoji) AS n FROM reactions WHERE message_id = ?',
  insertReaction: 'INSERT INTO reactions (message_id, user_id, emoji, created_at) VALUES (?, ?, ?, ?)',
  deleteReaction: 'DELETE FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?',
  /** The position of the message before `id` (0 when none or not recorded): a page's system lines start after it. */
  seqBefore: 'SELECT seq FROM messages WHERE conv_id = ? AND id < ? ORDER BY id DESC LIMIT 1',
  seqOf: 'SELECT seq FROM messages WHERE id = ?',
  systemEvents: `SELECT seq, type, conv_id, payload, created_at FROM events
    WHERE conv_id = ? AND type IN ('member.joined', 'member.left', 'member.updated', 'conversation.updated') AND seq > ? AND seq <= ?
    ORDER BY seq DESC LIMIT ?`,
  readAudience: 'SELECT c.kind, u.hide_read_receipts FROM conversations c, users u WHERE c.id = ? AND u.id = ?',
  messageInConversation: 'SELECT id FROM messages WHERE id = ? AND conv_id = ?',
  readPointer: 'SELECT message_id FROM read_pointers WHERE user_id = ? AND conv_id = ?',
  setReadPointer: `INSERT INTO read_pointers (user_id, conv_id, message_id) VALUES (?, ?, ?)
    ON CONFLICT (user_id, conv_id) DO UPDATE SET message_id = excluded.message_id`,

  floor: "SELECT value FROM meta WHERE key = 'pruned_through'",
  pruneEvents: 'DELETE FROM events WHERE seq <= ?',
  pruneTargets: 'DELETE FROM event_targets WHERE seq <= ?',
  /** One user's stream: the events of their membership spans, and the events that name them. */
  userEvents: `SELECT e.seq, e.type, e.conv_id, e.payload FROM memberships m
      JOIN events e ON e.conv_id = m.conv_id AND e.seq >= m.joined_seq AND (m.left_seq IS NULL OR e.seq <= m.left_seq)
      WHERE m.user_id = ? AND e.seq > ? AND e.seq <= ?
    UNION
    SELECT e.seq, e.type, e.conv_id, e.payload FROM event_targets t JOIN events e ON e.seq = t.seq
      WHERE t.user_id = ? AND t.seq > ? AND t.seq <= ?
    ORDER BY 1 LIMIT ?`,
} as const;

/** `?` → `$1`, `$2`, … (no statement here has a `?` inside a literal). */
export function toPg(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export const PG_SQL: { readonly [K in keyof typeof SQL]: string } = Object.fromEntries(
  Object.entries(SQL).map(([k, v]) => [k, toPg(v)]),
) as { [K in keyof typeof SQL]: string };
