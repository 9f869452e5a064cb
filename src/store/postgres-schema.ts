/**
 * PostgreSQL migrations, applied in order by PostgresStore.migrate(); the
 * `schema_migrations` table records which have run. Append new steps; never
 * edit a released one. The shape mirrors sqlite-schema.ts, with these choices:
 * - ids are BIGINT (strings in the API); timestamps stay ISO-8601 TEXT so they
 *   round-trip byte for byte like SQLite's and sort as strings.
 * - Text that is ordered or compared uses COLLATE "C": SQLite compares bytes
 *   (NOCASE only folds ASCII), while a database's default locale collation
 *   would order "_", "." and "-" differently.
 * - usernames are unique case-insensitively through an index on lower(), the
 *   counterpart of SQLite's COLLATE NOCASE.
 * - events.seq has no default: positions come only from the `event_positions`
 *   sequence, taken under the log lock (see the comment on PostgresStore), so
 *   no insert can bypass the ordering rule by accident.
 * - ids come from BIGSERIAL sequences, which never hand out a value twice (a
 *   deleted row's id, or one taken by a rolled-back insert, stays used), so no
 *   counterpart of SQLite's AUTOINCREMENT step is needed.
 */
export const POSTGRES_MIGRATIONS: string[] = [
  `
  CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT COLLATE "C" NOT NULL,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
  );
  CREATE UNIQUE INDEX users_username ON users (lower(username));
  CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    csrf_token TEXT,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX auth_tokens_user ON auth_tokens(user_id);
  CREATE TABLE friend_requests (
    id BIGSERIAL PRIMARY KEY,
    from_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    to_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending',
    created_at TEXT COLLATE "C" NOT NULL
  );
  CREATE UNIQUE INDEX friend_requests_pending ON friend_requests(from_id, to_id) WHERE status = 'pending';
  CREATE INDEX friend_requests_to ON friend_requests(to_id, status);
  CREATE TABLE friendships (
    user_a BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_b BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (user_a, user_b)
  );
  CREATE INDEX friendships_b ON friendships(user_b);
  CREATE TABLE conversations (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT COLLATE "C",
    owner_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    direct_key TEXT UNIQUE,
    created_at TEXT COLLATE "C" NOT NULL
  );
  CREATE UNIQUE INDEX conversations_room_name ON conversations(name) WHERE kind = 'room';
  CREATE TABLE memberships (
    id BIGSERIAL PRIMARY KEY,
    conv_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL DEFAULT 'member',
    joined_seq BIGINT NOT NULL,
    left_seq BIGINT
  );
  CREATE UNIQUE INDEX memberships_current ON memberships(conv_id, user_id) WHERE left_seq IS NULL;
  CREATE INDEX memberships_user ON memberships(user_id, conv_id);
  CREATE INDEX memberships_conv ON memberships(conv_id, joined_seq);
  CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY,
    conv_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    sender_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sender_name TEXT NOT NULL,
    body TEXT NOT NULL,
    client_msg_id TEXT,
    created_at TEXT COLLATE "C" NOT NULL
  );
  CREATE INDEX messages_conv ON messages(conv_id, id);
  CREATE UNIQUE INDEX messages_client_id ON messages(sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
  CREATE TABLE read_pointers (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    conv_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    message_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, conv_id)
  );
  CREATE SEQUENCE event_positions AS BIGINT;
  CREATE TABLE events (
    seq BIGINT PRIMARY KEY,
    type TEXT NOT NULL,
    conv_id BIGINT,
    payload TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
  );
  CREATE INDEX events_conv ON events(conv_id, seq);
  CREATE TABLE event_targets (
    user_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (user_id, seq)
  );
  CREATE INDEX event_targets_seq ON event_targets(seq);
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  // 2. The session list: when a credential was made and last used, and from where.
  // Credentials made before this step show null for all four.
  `
  ALTER TABLE auth_tokens ADD COLUMN created_at BIGINT;
  ALTER TABLE auth_tokens ADD COLUMN last_used_at BIGINT;
  ALTER TABLE auth_tokens ADD COLUMN user_agent TEXT;
  ALTER TABLE auth_tokens ADD COLUMN ip TEXT;
  `,
  // 3. Messages people can work with (issue 13): as SQLite's step 4.
  `
  ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
  ALTER TABLE users ADD COLUMN hide_read_receipts BOOLEAN NOT NULL DEFAULT false;
  ALTER TABLE messages ADD COLUMN edited_at TEXT COLLATE "C";
  ALTER TABLE messages ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT false;
  ALTER TABLE messages ADD COLUMN reply_to_id BIGINT;
  ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE messages ADD COLUMN mentions_all BOOLEAN NOT NULL DEFAULT false;
  ALTER TABLE messages ADD COLUMN seq BIGINT;
  UPDATE messages m SET seq = e.seq FROM events e
    WHERE e.type = 'message.created' AND (e.payload::json->'message'->>'id')::bigint = m.id;
  CREATE INDEX messages_reply_to ON messages(reply_to_id) WHERE reply_to_id IS NOT NULL;
  CREATE TABLE message_edits (
    id BIGSERIAL PRIMARY KEY,
    message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    edited_at TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL
  );
  CREATE INDEX message_edits_message ON message_edits(message_id, id);
  CREATE TABLE reactions (
    id BIGSERIAL PRIMARY KEY,
    message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    emoji TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
  );
  CREATE UNIQUE INDEX reactions_one ON reactions(message_id, emoji, user_id);
  CREATE INDEX reactions_user ON reactions(user_id);
  `,
  // 4. Files, link previews and search (issue 14): as SQLite's step 5. The search index is its own
  // table (messages rows stay small for every history read) holding the same term strings as
  // SQLite's FTS5 rows (src/domain/search-text.ts) in a text[] with a GIN index: array containment
  // compares whole strings, so no text-search parser can split or alter a CJK bigram or a stem,
  // and both stores match the same messages. conv_id is copied in so that the conversation filter
  // needs no join. Existing messages are indexed by the JS step that follows (postgres-search.ts).
  `
  CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
    conv_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    uploader_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    message_id BIGINT REFERENCES messages(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    size BIGINT NOT NULL,
    width INT,
    height INT,
    blob_key TEXT NOT NULL,
    thumb_key TEXT,
    thumb_size BIGINT NOT NULL DEFAULT 0,
    position INT,
    created_at TEXT COLLATE "C" NOT NULL
  );
  CREATE INDEX attachments_message ON attachments(message_id, position) WHERE message_id IS NOT NULL;
  CREATE INDEX attachments_uploader ON attachments(uploader_id) INCLUDE (size, thumb_size);
  CREATE INDEX attachments_unsent ON attachments(created_at) WHERE message_id IS NULL;
  CREATE INDEX attachments_blob ON attachments(blob_key);
  CREATE INDEX attachments_thumb ON attachments(thumb_key) WHERE thumb_key IS NOT NULL;
  ALTER TABLE messages ADD COLUMN link_preview TEXT;
  ALTER TABLE messages ADD COLUMN link_preview_image TEXT;
  ALTER TABLE messages ADD COLUMN has_link BOOLEAN NOT NULL DEFAULT false;
  CREATE INDEX messages_preview_image ON messages(link_preview_image) WHERE link_preview_image IS NOT NULL;
  CREATE TABLE message_search (
    message_id BIGINT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    conv_id BIGINT NOT NULL,
    terms TEXT[] NOT NULL
  );
  CREATE INDEX message_search_terms ON message_search USING gin (terms);
  `,
];
