/**
 * SQLite migrations, applied in order at start; `user_version` records how far
 * a database has come. Append new steps; never edit a released one.
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
];
