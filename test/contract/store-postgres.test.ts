import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres-schema.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { storeFilesContract } from './store-files.contract.js';
import { storeMessagesContract } from './store-messages.contract.js';
import { storeSearchContract } from './store-search.contract.js';
import { findPostgres, storeContract } from './store.contract.js';

// Probed before the suite is defined, so an unreachable server shows up as a skipped suite named for the reason.
const { url, tried } = await findPostgres();
if (!url && process.env.HUBBUB_REQUIRE_SERVICES === '1') {
  throw new Error(`PostgreSQL unreachable at ${tried}, and HUBBUB_REQUIRE_SERVICES=1 requires it`);
}

// Every test gets a fresh schema; all are dropped at the end.
const run = `hubbub_test_${process.pid}_${Date.now().toString(36)}`;
const schemas: string[] = [];

storeContract(
  url ? 'store contract: postgres' : `store contract: postgres (PostgreSQL unreachable at ${tried})`,
  async () => {
    const schema = `${run}_${schemas.length}`;
    schemas.push(schema);
    return new PostgresStore(url!, { schema });
  },
  { skip: !url },
);

storeMessagesContract(
  url ? 'store contract, messages: postgres' : `store contract, messages: postgres (PostgreSQL unreachable at ${tried})`,
  async () => {
    const schema = `${run}_${schemas.length}`;
    schemas.push(schema);
    return new PostgresStore(url!, { schema });
  },
  { skip: !url },
);

storeFilesContract(
  url ? 'store contract, files: postgres' : `store contract, files: postgres (PostgreSQL unreachable at ${tried})`,
  async () => {
    const schema = `${run}_${schemas.length}`;
    schemas.push(schema);
    return new PostgresStore(url!, { schema });
  },
  { skip: !url },
);

storeSearchContract(
  url ? 'store contract, search: postgres' : `store contract, search: postgres (PostgreSQL unreachable at ${tried})`,
  async () => {
    const schema = `${run}_${schemas.length}`;
    schemas.push(schema);
    return new PostgresStore(url!, { schema });
  },
  { skip: !url },
);

describe.skipIf(!url)('postgres: upgrading a database made before search (issue 14)', () => {
  it('indexes the messages already stored, in the migration, and marks their links', async () => {
    const schema = `${run}_${schemas.length}`;
    schemas.push(schema);
    const client = new pg.Client({ connectionString: url! });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA "${schema}"; SET search_path = "${schema}"`);
      await client.query('CREATE TABLE schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
      for (const [i, step] of POSTGRES_MIGRATIONS.slice(0, 3).entries()) {
        await client.query(step);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [i + 1]);
      }
      const now = '2024-01-01T00:00:00.000Z';
      await client.query(
        "INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (1, 'alice', 'Alice', 'h', $1)",
        [now],
      );
      await client.query("INSERT INTO conversations (id, kind, name, owner_id, created_at) VALUES (1, 'group', 'g', 1, $1)", [now]);
      await client.query("INSERT INTO memberships (conv_id, user_id, role, joined_seq) VALUES (1, 1, 'owner', 1)");
      // more than one backfill batch, and a tombstone that stays out of the index
      await client.query(
        `INSERT INTO messages (id, conv_id, sender_id, sender_name, body, created_at, seq, deleted)
         SELECT g, 1, 1, 'Alice', CASE WHEN g = 7 THEN '这是一条消息 https://example.com' WHEN g = 2501 THEN '' ELSE 'filler ' || g END,
                $1, g + 1, g = 2501 FROM generate_series(1, 2501) g`,
        [now],
      );
    } finally {
      await client.end();
    }
    const store = new PostgresStore(url!, { schema });
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

describe.skipIf(!url)('postgres: search walks id windows newest first (GIN finds rows in no order)', () => {
  it('pages through matches spread over many buckets, far apart, in id order', async () => {
    const schema = `${run}_${schemas.length}`;
    schemas.push(schema);
    const store = new PostgresStore(url!, { schema });
    const client = new pg.Client({ connectionString: url! });
    await client.connect();
    try {
      await store.migrate();
      await client.query(`SET search_path = "${schema}"`);
      const a = await store.createUser({ username: 'alice', displayName: 'A', passwordHash: 'h' });
      const { conversation: g } = await store.createConversation({ kind: 'group', name: 'g', ownerId: a.id, memberIds: [], now: 'n' });
      const sent: string[] = [];
      // ids jump across buckets (16,384 ids each): a match in the newest bucket, several windows back, and far back
      for (const jump of [0, 40_000, 300_000, 310_000, 1_200_000]) {
        if (jump > 0) await client.query(`SELECT setval('messages_id_seq', ${jump})`);
        sent.push(
          (await store.appendMessage({ conversationId: g.id, senderId: a.id, body: '这是一条消息', clientMsgId: null, now: 'n' })).message
            .id,
        );
        await store.appendMessage({ conversationId: g.id, senderId: a.id, body: 'noise', clientMsgId: null, now: 'n' });
      }
      const newestFirst = [...sent].reverse();
      const all = await store.searchMessages({ userId: a.id, text: '消息', limit: 50 });
      expect(all.map((m) => m.id)).toEqual(newestFirst);
      const pages: string[] = [];
      for (let before: string | null = null; ; ) {
        const page = await store.searchMessages({ userId: a.id, text: '消息', limit: 2, beforeId: before });
        pages.push(...page.map((m) => m.id));
        if (page.length < 2) break;
        before = page.at(-1)!.id;
      }
      expect(pages).toEqual(newestFirst);
      expect((await store.searchMessages({ userId: a.id, text: '', limit: 3 })).map((m) => m.id)).toHaveLength(3);
    } finally {
      await client.end();
      await store.close();
    }
  });
});

afterAll(async () => {
  if (!url || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await client.end();
  }
});
