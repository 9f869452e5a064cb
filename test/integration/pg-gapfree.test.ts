import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/domain/types.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { findPostgres } from '../contract/store.contract.js';

/**
 * The crux of the PostgreSQL store: several nodes (separate pools) with many
 * concurrent writers each, while readers tail the log with readEvents and move
 * their cursor to the last position read. A reader that ever sees a position
 * before a smaller one has committed skips that smaller one for good; each
 * reader must end with every message exactly once, in strictly increasing
 * order. HUBBUB_GAPFREE_MESSAGES sets messages per writer (the bench runs 5000).
 */
const { url, tried } = await findPostgres();
if (!url && process.env.HUBBUB_REQUIRE_SERVICES === '1') {
  throw new Error(`PostgreSQL unreachable at ${tried}, and HUBBUB_REQUIRE_SERVICES=1 requires it`);
}

const NODES = 4;
const WRITERS_PER_NODE = 8;
const READERS = 4;
const PER_WRITER = Number(process.env.HUBBUB_GAPFREE_MESSAGES ?? 150);
const TOTAL = NODES * WRITERS_PER_NODE * PER_WRITER;
const schema = `hubbub_gapfree_${process.pid}_${Date.now().toString(36)}`;

interface ReaderResult {
  seqs: number[];
  messageIds: string[];
}

describe.skipIf(!url)(
  url ? 'postgres: gap-free positions across nodes' : `postgres: gap-free positions across nodes (PostgreSQL unreachable at ${tried})`,
  () => {
    let nodes: PostgresStore[] = [];

    beforeAll(async () => {
      nodes = Array.from({ length: NODES }, () => new PostgresStore(url!, { schema, max: WRITERS_PER_NODE + 2 }));
      // All nodes migrate at once, as a cluster starting together would.
      await Promise.all(nodes.map((n) => n.migrate()));
    });

    afterAll(async () => {
      await Promise.all(nodes.map((n) => n.close()));
      if (!url) return;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    });

    it(
      `${READERS} readers each see all ${TOTAL} messages from ${NODES}×${WRITERS_PER_NODE} writers exactly once, in order`,
      async () => {
        const first = nodes[0]!;
        const writers: User[] = [];
        for (let i = 0; i < NODES * WRITERS_PER_NODE; i++)
          writers.push(await first.createUser({ username: `w${i}`, displayName: `W${i}`, passwordHash: 'x' }));
        const { conversation } = await first.createConversation({
          kind: 'room',
          name: 'load',
          ownerId: null,
          memberIds: writers.map((w) => w.id),
          now: new Date().toISOString(),
        });
        const start = await first.headSeq();

        let writing = true;
        const read = async (store: PostgresStore): Promise<ReaderResult> => {
          const out: ReaderResult = { seqs: [], messageIds: [] };
          let cursor = start;
          for (;;) {
            // Sampled before the read: a read begun after every write returned must see all of them.
            const finished = !writing;
            const batch = await store.readEvents(cursor, 500);
            for (const e of batch) {
              out.seqs.push(e.seq);
              if (e.type === 'message.created') out.messageIds.push(JSON.parse(e.payload).message.id);
              cursor = e.seq;
            }
            if (batch.length === 0) {
              if (finished) return out;
              await new Promise((r) => setTimeout(r, 1));
            }
          }
        };
        const readers = Array.from({ length: READERS }, (_, i) => read(nodes[i % NODES]!));

        const write = async (store: PostgresStore, w: User): Promise<string[]> => {
          const ids: string[] = [];
          for (let i = 0; i < PER_WRITER; i++) {
            const r = await store.appendMessage({
              conversationId: conversation.id,
              senderId: w.id,
              body: `${w.username}:${i}`,
              clientMsgId: `${w.id}-${i}`,
              now: new Date().toISOString(),
            });
            ids.push(r.message.id);
          }
          return ids;
        };
        let written: string[];
        try {
          written = (await Promise.all(writers.map((w, i) => write(nodes[Math.floor(i / WRITERS_PER_NODE)]!, w)))).flat();
        } finally {
          writing = false;
        }
        const results = await Promise.all(readers);

        expect(written).toHaveLength(TOTAL);
        const expected = [...written].sort();
        for (const r of results) {
          const outOfOrder = r.seqs.findIndex((s, i) => i > 0 && s <= r.seqs[i - 1]!);
          expect(outOfOrder, 'a position came at or below the one before it').toBe(-1);
          const missing = TOTAL - new Set(r.messageIds).size;
          expect(missing, 'messages a reader never saw (its cursor moved past them)').toBe(0);
          expect(r.messageIds.length).toBe(TOTAL);
          expect([...r.messageIds].sort()).toEqual(expected);
        }
      },
      Math.max(60_000, TOTAL * 5),
    );
  },
);
