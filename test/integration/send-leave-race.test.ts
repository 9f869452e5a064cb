import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message, User } from '../../src/domain/types.js';
import type { Hub } from '../../src/hub/hub.js';
import { ChatService } from '../../src/services/chat.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import { findPostgres } from '../contract/store.contract.js';

/**
 * A send and a leave (or an unfriend) at the same moment. The send's
 * permission must be decided in the same transaction as its write: a check
 * made before the write and a leave committed between them would let a
 * non-member's message be stored. Two connections to one database (two
 * SQLite handles on one file; two PostgreSQL pools, as two nodes): the sender
 * writes through one, the leave commits through the other.
 *
 * The deterministic tests hold the send after ChatService's own checks and
 * right before the store is asked to write, and commit the leave there.
 */

/** ChatService only tells the hub what committed; delivery is not under test here. */
const noHub = { committed: async () => undefined } as unknown as Hub;
const now = () => new Date().toISOString();

interface Pair {
  sender: Store;
  other: Store;
}

/** The sending node's store, whose appendMessage first lets `meanwhile` commit on the other node. */
function heldBefore(store: Store, meanwhile: () => Promise<unknown>): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'appendMessage') {
        return async (input: Parameters<Store['appendMessage']>[0]) => {
          await meanwhile();
          return target.appendMessage(input);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function raceSuite(name: string, open: () => Promise<Pair>, opts: { skip?: boolean } = {}): void {
  describe.skipIf(!!opts.skip)(name, () => {
    const mk = (s: Store, username: string): Promise<User> => s.createUser({ username, displayName: username, passwordHash: 'h' });
    const bodies = (list: Message[], from: User) => list.filter((m) => m.senderId === from.id).map((m) => m.body);

    it("a leave committed between the send's check and its write: refused with NOT_A_MEMBER, nothing stored", async () => {
      const { sender, other } = await open();
      try {
        const [alice, bob] = [await mk(sender, 'alice'), await mk(sender, 'bob')];
        const { conversation: g } = await sender.createConversation({
          kind: 'group',
          name: 'g',
          ownerId: alice.id,
          memberIds: [bob.id],
          now: now(),
        });
        const head = await other.headSeq();
        const chat = new ChatService(
          heldBefore(sender, () => other.removeMember(g.id, bob.id, bob.id)),
          noHub,
        );

        await expect(chat.send(bob, g.id, 'after leaving', 'c-1')).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });

        expect(bodies(await other.listMessages(g.id, null, 50), bob)).toEqual([]);
        expect((await other.readEvents(head, 50)).map((e) => e.type)).toEqual(['member.left']);
        // Refused means refused: the same send again, unheld, is refused too and stores nothing.
        await expect(new ChatService(sender, noHub).send(bob, g.id, 'after leaving', 'c-1')).rejects.toMatchObject({
          code: 'NOT_A_MEMBER',
        });
        expect(bodies(await other.listMessages(g.id, null, 50), bob)).toEqual([]);
      } finally {
        await sender.close();
        await other.close();
      }
    });

    it("an unfriend committed between a direct send's check and its write: refused with FRIENDSHIP_REQUIRED, nothing stored", async () => {
      const { sender, other } = await open();
      try {
        const [alice, bob] = [await mk(sender, 'alice'), await mk(sender, 'bob')];
        await sender.requestFriendship(alice.id, bob.id, now());
        await sender.requestFriendship(bob.id, alice.id, now());
        const { conversation: dm } = await sender.getOrCreateDirect(alice.id, bob.id, now());
        const chat = new ChatService(
          heldBefore(sender, () => other.removeFriendship(alice.id, bob.id)),
          noHub,
        );

        await expect(chat.send(bob, dm.id, 'no longer friends', null)).rejects.toMatchObject({ code: 'FRIENDSHIP_REQUIRED' });
        expect(await other.listMessages(dm.id, null, 50)).toEqual([]);
      } finally {
        await sender.close();
        await other.close();
      }
    });

    it("many sends racing leaves on two connections: every stored message lies inside its sender's membership", async () => {
      const { sender, other } = await open();
      try {
        const owner = await mk(sender, 'owner');
        const people: User[] = [];
        for (let i = 0; i < 6; i++) people.push(await mk(sender, `member${i}`));
        const { conversation: g } = await sender.createConversation({
          kind: 'group',
          name: 'g',
          ownerId: owner.id,
          memberIds: people.map((p) => p.id),
          now: now(),
        });
        const chat = new ChatService(sender, noHub);
        let refused = 0;
        for (let round = 0; round < 8; round++) {
          // Each member sends a burst while the other node takes them out, and then puts them back.
          await Promise.all(
            people.map(async (p, i) => {
              const sends = Array.from({ length: 6 }, (_, k) =>
                chat.send(p, g.id, `${p.username} ${round}.${k}`, null).catch((err: { code?: string }) => {
                  if (err.code !== 'NOT_A_MEMBER') throw err;
                  refused++;
                }),
              );
              const leave = (async () => {
                for (let k = 0; k < i % 3; k++) await Promise.resolve();
                await other.removeMember(g.id, p.id, p.id);
              })();
              await Promise.all([...sends, leave]);
            }),
          );
          for (const p of people) await other.addMember(g.id, p.id, owner.id);
        }

        // Each message's position must fall inside a span of its sender: joined ≤ seq ≤ left.
        const spans = await other.membershipSpans(g.id);
        const events = [];
        for (let after = 0; ; ) {
          const batch = await other.readEvents(after, 500);
          if (batch.length === 0) break;
          events.push(...batch);
          after = batch.at(-1)!.seq;
        }
        const outside = events
          .filter((e) => e.type === 'message.created')
          .filter((e) => {
            const m = (JSON.parse(e.payload) as { message: Message }).message;
            return !spans.some((s) => s.userId === m.senderId && s.joinedSeq <= e.seq && (s.leftSeq === null || e.seq <= s.leftSeq));
          });
        expect(outside.map((e) => JSON.parse(e.payload).message.body)).toEqual([]);
        expect(refused).toBeGreaterThan(0);
      } finally {
        await sender.close();
        await other.close();
      }
    });
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-race-'));
let n = 0;
raceSuite('send racing leave: sqlite (two handles on one file)', async () => {
  const file = path.join(dir, `race-${n++}.db`);
  const sender = new SqliteStore(file);
  await sender.migrate();
  return { sender, other: new SqliteStore(file) };
});

const { url, tried } = await findPostgres();
if (!url && process.env.HUBBUB_REQUIRE_SERVICES === '1') {
  throw new Error(`PostgreSQL unreachable at ${tried}, and HUBBUB_REQUIRE_SERVICES=1 requires it`);
}
const run = `hubbub_race_${process.pid}_${Date.now().toString(36)}`;
const schemas: string[] = [];
raceSuite(
  url ? 'send racing leave: postgres (two nodes)' : `send racing leave: postgres (PostgreSQL unreachable at ${tried})`,
  async () => {
    const schema = `${run}_${schemas.length}`;
    schemas.push(schema);
    const sender = new PostgresStore(url!, { schema });
    await sender.migrate();
    return { sender, other: new PostgresStore(url!, { schema }) };
  },
  { skip: !url },
);

afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  if (!url || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await client.end();
  }
});
