import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite-schema.js';
import { storeFilesContract } from './store-files.contract.js';
import { storeMessagesContract } from './store-messages.contract.js';
import { storeSearchContract } from './store-search.contract.js';
import { storeContract } from './store.contract.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-store-'));
let n = 0;

storeContract('store contract: sqlite', async () => new SqliteStore(path.join(dir, `store-${n++}.db`)));

describe('sqlite: upgrading a database made before ids were AUTOINCREMENT', () => {
  /** A version-1 database as a released hubbub left it, where the newest account (5) was already deleted. */
  function oldDatabase(file: string): void {
    const db = new Database(file);
    db.exec(SQLITE_MIGRATIONS[0]!);
    db.pragma('user_version = 1');
    const now = '2024-01-01T00:00:00.000Z';
    for (const [id, name] of [
      [1, 'alice'],
      [2, 'bob'],
      [3, 'carol'],
    ] as const) {
      db.prepare('INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)').run(
        id,
        name,
        name,
        'h',
        now,
      );
    }
    db.prepare("INSERT INTO conversations (id, kind, name, owner_id, created_at) VALUES (7, 'group', 'g', 1, ?)").run(now);
    db.prepare('INSERT INTO memberships (id, conv_id, user_id, role, joined_seq) VALUES (1, 7, 1, ?, 1), (2, 7, 2, ?, 1)').run(
      'owner',
      'member',
    );
    db.prepare("INSERT INTO messages (id, conv_id, sender_id, sender_name, body, created_at) VALUES (4, 7, 2, 'bob', 'hi', ?)").run(now);
    db.prepare('INSERT INTO read_pointers (user_id, conv_id, message_id) VALUES (1, 7, 9)').run(); // message 9 was the deleted account's
    db.prepare('INSERT INTO friend_requests (id, from_id, to_id, created_at) VALUES (3, 1, 2, ?)').run(now);
    db.prepare("INSERT INTO auth_tokens (token_hash, user_id, kind, expires_at) VALUES ('t', 2, 'bearer', 1)").run();
    // Account 5 joined and left before it was deleted: its rows are gone, its id lives on in these events.
    db.prepare("INSERT INTO events (type, conv_id, payload, created_at) VALUES ('member.joined', 7, ?, ?)").run(
      JSON.stringify({
        type: 'member.joined',
        conversationId: '7',
        member: { id: '5', username: 'eve', displayName: 'Eve', role: 'member' },
        by: '1',
      }),
      now,
    );
    db.prepare("INSERT INTO events (type, conv_id, payload, created_at) VALUES ('member.left', 7, ?, ?)").run(
      JSON.stringify({ type: 'member.left', conversationId: '7', userId: '5', by: '5' }),
      now,
    );
    db.close();
  }

  it('keeps every row and reference, and continues each id above the highest the database ever named', async () => {
    const file = path.join(dir, `old-${n++}.db`);
    oldDatabase(file);
    const store = new SqliteStore(file);
    try {
      await store.migrate();
      expect((await store.listUsers(10, 0)).map((u) => u.id)).toEqual(['1', '2', '3']);
      expect((await store.getConversation('7'))!.members.map((m) => m.id)).toEqual(['1', '2']);
      expect((await store.listMessages('7', null, 10)).map((m) => m.id)).toEqual(['4']);
      expect((await store.listFriendRequests('2')).incoming.map((r) => r.id)).toEqual(['3']);
      expect(await store.getAuthToken('t')).toMatchObject({ userId: '2', lastUsedAt: null });

      const dave = await store.createUser({ username: 'dave', displayName: 'Dave', passwordHash: 'h' });
      expect(Number(dave.id)).toBeGreaterThan(5);
      const msg = await store.appendMessage({ conversationId: '7', senderId: '1', body: 'x', clientMsgId: null, now: 'n' });
      expect(Number(msg.message.id)).toBeGreaterThan(9);
      // The rebuilt tables still cascade: deleting bob takes his membership, message, request and token.
      await store.removeMember('7', '2', '2');
      await store.deleteUser('2');
      expect((await store.listMessages('7', null, 10)).map((m) => m.senderId)).toEqual(['1']);
      expect(await store.listFriendRequests('1')).toEqual({ incoming: [], outgoing: [] });
      expect(await store.getAuthToken('t')).toBeNull();
      expect(await store.membershipSpans('7')).toHaveLength(1);
      await store.migrate(); // idempotent
    } finally {
      await store.close();
    }
  });

  it('refuses a step that would leave a dangling reference, changing nothing', async () => {
    const file = path.join(dir, `old-${n++}.db`);
    oldDatabase(file);
    const raw = new Database(file);
    raw.pragma('foreign_keys = OFF');
    raw.prepare("INSERT INTO messages (id, conv_id, sender_id, sender_name, body, created_at) VALUES (10, 7, 99, 'ghost', 'x', 'n')").run();
    raw.close();
    const store = new SqliteStore(file);
    try {
      await expect(store.migrate()).rejects.toThrow(/foreign key/);
      const check = new Database(file, { readonly: true });
      expect(check.pragma('user_version', { simple: true })).toBe(1);
      check.close();
    } finally {
      await store.close();
    }
  });
});

describe('sqlite: upgrading a database made before search (issue 14)', () => {
  it('indexes the messages already stored, in the migration, and marks their links', async () => {
    const file = path.join(dir, `pre-search-${n++}.db`);
    const db = new Database(file);
    for (const step of SQLITE_MIGRATIONS.slice(0, 4)) db.exec(step);
    db.pragma('user_version = 4');
    const now = '2024-01-01T00:00:00.000Z';
    db.prepare("INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (1, 'alice', 'Alice', 'h', ?)").run(now);
    db.prepare("INSERT INTO conversations (id, kind, name, owner_id, created_at) VALUES (1, 'group', 'g', 1, ?)").run(now);
    db.prepare("INSERT INTO memberships (conv_id, user_id, role, joined_seq) VALUES (1, 1, 'owner', 1)").run();
    const insert = db.prepare(
      "INSERT INTO messages (id, conv_id, sender_id, sender_name, body, created_at, seq, deleted) VALUES (?, 1, 1, 'Alice', ?, ?, ?, ?)",
    );
    // more than one backfill batch
    db.transaction(() => {
      for (let i = 1; i <= 2_500; i++) insert.run(i, i === 7 ? '这是一条消息 https://example.com' : `filler ${i}`, now, i + 1, 0);
      insert.run(2_501, '', now, 2_502, 1); // a tombstone stays out of the index
    })();
    db.close();
    const store = new SqliteStore(file);
    try {
      await store.migrate();
      const search = async (text: string, has: 'link' | null = null) =>
        (await store.searchMessages({ userId: '1', text, has, limit: 10 })).map((m) => m.id);
      expect(await search('消息')).toEqual(['7']);
      expect(await search('', 'link')).toEqual(['7']);
      expect(await search('filler 2500')).toEqual(['2500']);
      expect((await search('')).slice(0, 2)).toEqual(['2500', '2499']);
    } finally {
      await store.close();
    }
  });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

storeMessagesContract('store contract, messages: sqlite', async () => new SqliteStore(path.join(dir, `msg-${n++}.db`)));
storeFilesContract('store contract, files: sqlite', async () => new SqliteStore(path.join(dir, `files-${n++}.db`)));
storeSearchContract('store contract, search: sqlite', async () => new SqliteStore(path.join(dir, `search-${n++}.db`)));
