/**
 * SQLite migrations, applied in order at start; `user_version` records how far
 * a database has come. Append new steps; never edit a released one. Each runs
 * in one transaction with foreign keys off (SqliteStore.migrate), so a step may
 * rebuild a table that others reference; the foreign keys are checked before
 * it commits.
 */
export const SQLITE_MIGRATIONS: string[] = [
  `
  CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    csrf_token TEXT,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX auth_tokens_user ON auth_tokens(user_id);
  CREATE TABLE friend_requests (
    id INTEGER PRIMARY KEY,
    from_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    to_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending',
    created_at TEXT NOT NULL
  );
  CREATE UNIQUE INDEX friend_requests_pending ON friend_requests(from_id, to_id) WHERE status = 'pending';
  CREATE INDEX friend_requests_to ON friend_requests(to_id, status);
  CREATE TABLE friendships (
    user_a INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_b INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_a, user_b)
  );
  CREATE INDEX friendships_b ON friendships(user_b);
  CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT,
    owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    direct_key TEXT UNIQUE,
    created_at TEXT NOT NULL
  );
  CREATE UNIQUE INDEX conversations_room_name ON conversations(name) WHERE kind = 'room';
  CREATE TABLE memberships (
    id INTEGER PRIMARY KEY,
    conv_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL DEFAULT 'member',
    joined_seq INTEGER NOT NULL,
    left_seq INTEGER
  );
  CREATE UNIQUE INDEX memberships_current ON memberships(conv_id, user_id) WHERE left_seq IS NULL;
  CREATE INDEX memberships_user ON memberships(user_id, conv_id);
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conv_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    sender_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sender_name TEXT NOT NULL,
    body TEXT NOT NULL,
    client_msg_id TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX messages_conv ON messages(conv_id, id);
  CREATE UNIQUE INDEX messages_client_id ON messages(sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
  CREATE TABLE read_pointers (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    conv_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, conv_id)
  );
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    conv_id INTEGER,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX events_conv ON events(conv_id, seq);
  CREATE TABLE event_targets (
    user_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (user_id, seq)
  ) WITHOUT ROWID;
  CREATE INDEX event_targets_seq ON event_targets(seq);
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  // 2. Ids are never reused. `INTEGER PRIMARY KEY` alone hands the id of the
  // newest deleted row to the next insert, so a new sign-up could take a deleted
  // account's id and with it whatever still names that id (issue 11).
  // AUTOINCREMENT keeps the highest id ever used in sqlite_sequence. SQLite
  // cannot alter a primary key, so each table is rebuilt under its own name;
  // rows keep their ids, and the tables that reference it keep pointing at it
  // by name. Each counter then starts above the highest id the database still
  // mentions anywhere, not only above the live rows: the rows of an account
  // deleted before this step are gone, but their ids live on in old events.
  `
  CREATE TABLE users_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  INSERT INTO users_v2 (id, username, display_name, password_hash, created_at)
    SELECT id, username, display_name, password_hash, created_at FROM users;
  DROP TABLE users;
  ALTER TABLE users_v2 RENAME TO users;

  CREATE TABLE friend_requests_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    from_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    to_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending',
    created_at TEXT NOT NULL
  );
  INSERT INTO friend_requests_v2 (id, from_id, to_id, status, created_at)
    SELECT id, from_id, to_id, status, created_at FROM friend_requests;
  DROP TABLE friend_requests;
  ALTER TABLE friend_requests_v2 RENAME TO friend_requests;
  CREATE UNIQUE INDEX friend_requests_pending ON friend_requests(from_id, to_id) WHERE status = 'pending';
  CREATE INDEX friend_requests_to ON friend_requests(to_id, status);

  CREATE TABLE conversations_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    name TEXT,
    owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    direct_key TEXT UNIQUE,
    created_at TEXT NOT NULL
  );
  INSERT INTO conversations_v2 (id, kind, name, owner_id, direct_key, created_at)
    SELECT id, kind, name, owner_id, direct_key, created_at FROM conversations;
  DROP TABLE conversations;
  ALTER TABLE conversations_v2 RENAME TO conversations;
  CREATE UNIQUE INDEX conversations_room_name ON conversations(name) WHERE kind = 'room';

  CREATE TABLE memberships_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conv_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL DEFAULT 'member',
    joined_seq INTEGER NOT NULL,
    left_seq INTEGER
  );
  INSERT INTO memberships_v2 (id, conv_id, user_id, role, joined_seq, left_seq)
    SELECT id, conv_id, user_id, role, joined_seq, left_seq FROM memberships;
  DROP TABLE memberships;
  ALTER TABLE memberships_v2 RENAME TO memberships;
  CREATE UNIQUE INDEX memberships_current ON memberships(conv_id, user_id) WHERE left_seq IS NULL;
  CREATE INDEX memberships_user ON memberships(user_id, conv_id);

  CREATE TABLE messages_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conv_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    sender_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sender_name TEXT NOT NULL,
    body TEXT NOT NULL,
    client_msg_id TEXT,
    created_at TEXT NOT NULL
  );
  INSERT INTO messages_v2 (id, conv_id, sender_id, sender_name, body, client_msg_id, created_at)
    SELECT id, conv_id, sender_id, sender_name, body, client_msg_id, created_at FROM messages;
  DROP TABLE messages;
  ALTER TABLE messages_v2 RENAME TO messages;
  CREATE INDEX messages_conv ON messages(conv_id, id);
  CREATE UNIQUE INDEX messages_client_id ON messages(sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;

  DELETE FROM sqlite_sequence WHERE name IN ('users', 'friend_requests', 'conversations', 'memberships', 'messages');
  INSERT INTO sqlite_sequence (name, seq) SELECT 'users', coalesce(max(x), 0) FROM (
    SELECT max(id) AS x FROM users
    UNION ALL
    -- user ids named in events (a deleted sender's messages went with them, so those are skipped)
    SELECT max(CAST(t.value AS INTEGER)) FROM events e, json_tree(e.payload) t
      WHERE e.type <> 'message.created' AND t.type = 'text' AND (
        t.key IN ('userId', 'fromId', 'toId', 'ownerId', 'newOwnerId', 'by') OR t.path = '$.userIds'
        OR (t.key = 'id' AND (t.path GLOB '*.member' OR t.path GLOB '*.from' OR t.path GLOB '*.to'
                              OR t.path GLOB '*.users[[]*]' OR t.path GLOB '*.members[[]*]')))
    UNION ALL SELECT max(user_id) FROM event_targets);
  INSERT INTO sqlite_sequence (name, seq) SELECT 'messages', coalesce(max(x), 0) FROM (
    SELECT max(id) AS x FROM messages
    UNION ALL SELECT max(message_id) FROM read_pointers
    UNION ALL SELECT max(CAST(json_extract(payload, '$.upTo') AS INTEGER)) FROM events WHERE type = 'read.updated');
  INSERT INTO sqlite_sequence (name, seq) SELECT 'conversations', coalesce(max(x), 0) FROM (
    SELECT max(id) AS x FROM conversations UNION ALL SELECT max(conv_id) FROM events);
  INSERT INTO sqlite_sequence (name, seq) SELECT 'friend_requests', coalesce(max(x), 0) FROM (
    SELECT max(id) AS x FROM friend_requests
    UNION ALL SELECT max(CAST(coalesce(json_extract(payload, '$.requestId'), json_extract(payload, '$.request.id')) AS INTEGER))
      FROM events WHERE type IN ('friend.requested', 'friend.accepted', 'friend.declined'));
  INSERT INTO sqlite_sequence (name, seq) SELECT 'memberships', coalesce(max(id), 0) FROM memberships;
  `,
  // 3. The session list: when a credential was made and last used, and from where.
  // Credentials made before this step show null for all four.
  `
  ALTER TABLE auth_tokens ADD COLUMN created_at INTEGER;
  ALTER TABLE auth_tokens ADD COLUMN last_used_at INTEGER;
  ALTER TABLE auth_tokens ADD COLUMN user_agent TEXT;
  ALTER TABLE auth_tokens ADD COLUMN ip TEXT;
  `,
  // 4. Messages people can work with (issue 13): edits with their history, tombstones, replies,
  // mentions (ids as a JSON array, counted with LIKE on '"id"'), reactions; the server role and
  // the read-receipt setting. `seq` is the position of a message's message.created event (the
  // bound of a history page's system lines, and where its body is to be redacted on delete);
  // filled from the events still retained.
  `
  ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
  ALTER TABLE users ADD COLUMN hide_read_receipts INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE messages ADD COLUMN edited_at TEXT;
  ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE messages ADD COLUMN reply_to_id INTEGER;
  ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE messages ADD COLUMN mentions_all INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE messages ADD COLUMN seq INTEGER;
  UPDATE messages SET seq = x.seq
    FROM (SELECT seq, CAST(json_extract(payload, '$.message.id') AS INTEGER) AS mid FROM events WHERE type = 'message.created') AS x
    WHERE x.mid = messages.id;
  CREATE INDEX messages_reply_to ON messages(reply_to_id) WHERE reply_to_id IS NOT NULL;
  CREATE TABLE message_edits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    edited_at TEXT NOT NULL,
    seq INTEGER NOT NULL
  );
  CREATE INDEX message_edits_message ON message_edits(message_id, id);
  CREATE TABLE reactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    emoji TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE UNIQUE INDEX reactions_one ON reactions(message_id, emoji, user_id);
  CREATE INDEX reactions_user ON reactions(user_id);
  `,
  // 5. Files, link previews and search (issue 14). An attachment is uploaded unsent (message_id
  // NULL) and bound to one message at its send, at its place in the message's list. Blob keys are
  // content addresses shared by equal uploads: indexed, so that a delete can tell whether a key is
  // still referenced and the file store's sweep can ask the same (blobsInUse). The search index is
  // a contentless FTS5 table over the terms src/domain/search-text.ts computes (contentless: the
  // bodies are already in messages, and the index would only hold them twice; contentless_delete
  // lets an edit or delete remove a row without restating its old terms, so a change of the
  // tokenizing rules can never leave a row undeletable). The `ascii` tokenizer splits only at
  // ASCII punctuation and spaces, which no term contains, and folds nothing outside ASCII: each
  // precomputed term stays exactly one token, the same string PostgreSQL stores. detail=none keeps
  // rowids only: every query is an AND/OR of single terms (adjacency is checked in JS). The rows of
  // existing messages are written by the JS step that follows this one (sqlite-search.ts).
  `
  CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conv_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    uploader_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    message_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    size INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    blob_key TEXT NOT NULL,
    thumb_key TEXT,
    thumb_size INTEGER NOT NULL DEFAULT 0,
    position INTEGER,
    created_at TEXT NOT NULL
  );
  CREATE INDEX attachments_message ON attachments(message_id, position) WHERE message_id IS NOT NULL;
  CREATE INDEX attachments_uploader ON attachments(uploader_id, size, thumb_size);
  CREATE INDEX attachments_unsent ON attachments(created_at) WHERE message_id IS NULL;
  CREATE INDEX attachments_blob ON attachments(blob_key);
  CREATE INDEX attachments_thumb ON attachments(thumb_key) WHERE thumb_key IS NOT NULL;
  ALTER TABLE messages ADD COLUMN link_preview TEXT;
  ALTER TABLE messages ADD COLUMN link_preview_image TEXT;
  ALTER TABLE messages ADD COLUMN has_link INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX messages_preview_image ON messages(link_preview_image) WHERE link_preview_image IS NOT NULL;
  CREATE VIRTUAL TABLE message_search USING fts5(terms, content='', contentless_delete=1, tokenize='ascii', detail=none);
  `,
];
