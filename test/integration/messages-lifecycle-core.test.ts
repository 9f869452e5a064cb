import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/bus/memory.js';
import type { User } from '../../src/domain/types.js';
import { Hub } from '../../src/hub/hub.js';
import { ChatService } from '../../src/services/chat.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import { findPostgres } from '../contract/store.contract.js';

/**
 * The message lifecycle through ChatService with a real store and hub (issue
 * 13): mentions resolved on the server against current members, @room only
 * from those allowed, replies validated and quoted, the edit window on the
 * service's clock, reactions bounded by the operator's setting, moderators
 * and admins deleting, history around a message with its system lines, and a
 * deleted body gone from the node's memory as from the database. A refused
 * request writes nothing (the log's head does not move).
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-lifecycle-'));
const { url } = await findPostgres();
const schemas: string[] = [];
let n = 0;

function suite(name: string, open: () => Promise<Store>, skip = false): void {
  describe.skipIf(skip)(name, () => {
    async function world() {
      const store = await open();
      await store.migrate();
      const hub = new Hub(store, new MemoryBus(), { nodeId: 't', logCapacity: 1000, pollInterval: 0 });
      await hub.start();
      let clock = Date.UTC(2026, 0, 1);
      const chat = new ChatService(store, hub, () => new Date(clock), { editWindowSeconds: 60, maxReactionsPerMessage: 2 });
      const mk = async (u: string) => store.createUser({ username: u, displayName: u.toUpperCase(), passwordHash: 'h' });
      const [alice, bob, carol] = [await mk('alice'), await mk('bob'), await mk('carol')];
      for (const [x, y] of [
        [alice, bob],
        [alice, carol],
      ] as const) {
        await chat.requestFriend(x, y.username);
        await chat.requestFriend(y, x.username);
      }
      const g = await chat.createGroup(alice, 'team', ['bob']);
      const unchanged = async (p: () => Promise<unknown>, code: string) => {
        const head = await store.headSeq();
        await expect(p()).rejects.toMatchObject({ code });
        expect(await store.headSeq()).toBe(head);
      };
      const close = async () => {
        await hub.stop();
        await store.close();
      };
      return { store, hub, chat, alice, bob, carol, g, unchanged, close, tick: (s: number) => (clock += s * 1000) };
    }

    it('resolves mentions against current members on send and edit; @room only from the owner', async () => {
      const w = await world();
      try {
        const { message: m } = await w.chat.send(w.bob, w.g.id, 'hey @alice and @carol, @room', null);
        expect(m).toMatchObject({ mentions: [w.alice.id], mentionsAll: false });
        const { message: all } = await w.chat.send(w.alice, w.g.id, '@everyone look', null);
        expect(all.mentionsAll).toBe(true);
        const edited = await w.chat.editMessage(w.bob, m.id, 'only @bob now');
        expect(edited).toMatchObject({ mentions: [w.bob.id], editedAt: expect.any(String) });
        const summary = (await w.store.listConversationsOf(w.bob.id)).find((s) => s.id === w.g.id)!;
        expect(summary.mentions).toBe(1);
      } finally {
        await w.close();
      }
    });

    it('validates replies, edits within the window only, and refuses without writing', async () => {
      const w = await world();
      try {
        const { message: m } = await w.chat.send(w.bob, w.g.id, 'original', null);
        const other = await w.chat.createGroup(w.alice, 'elsewhere', []);
        await w.unchanged(() => w.chat.send(w.alice, other.id, 'reply across', null, { replyTo: m.id }), 'MESSAGE_NOT_FOUND');
        await w.unchanged(() => w.chat.send(w.alice, w.g.id, 'reply to nothing', null, { replyTo: '999999' }), 'MESSAGE_NOT_FOUND');
        const { message: reply } = await w.chat.send(w.alice, w.g.id, 'answer', 'c-1', { replyTo: m.id });
        expect(reply.replyTo).toEqual({ id: m.id, senderId: w.bob.id, senderName: 'BOB', preview: 'original', deleted: false });
        expect((await w.chat.send(w.alice, w.g.id, 'answer', 'c-1', { replyTo: m.id })).duplicate).toBe(true);

        await w.unchanged(() => w.chat.editMessage(w.alice, m.id, 'not mine'), 'NOT_YOUR_MESSAGE');
        await w.unchanged(() => w.chat.editMessage(w.carol, m.id, 'not a member'), 'NOT_A_MEMBER');
        await w.unchanged(() => w.chat.editMessage(w.bob, m.id, '   '), 'BODY_EMPTY');
        await w.unchanged(() => w.chat.editMessage(w.bob, m.id, 'x'.repeat(4001)), 'BODY_TOO_LONG');
        await w.chat.editMessage(w.bob, m.id, 'fixed');
        w.tick(61);
        await w.unchanged(() => w.chat.editMessage(w.bob, m.id, 'too late'), 'EDIT_WINDOW_PASSED');
        expect(await w.chat.editMessage(w.bob, m.id, 'fixed')).toMatchObject({ body: 'fixed' }); // a retry is still answered
        expect(await w.chat.messageEdits(w.alice, m.id)).toEqual([{ body: 'original', editedAt: expect.any(String) }]);
        await expect(w.chat.messageEdits(w.carol, m.id)).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
        const page = await w.chat.history(w.alice, w.g.id, { limit: 10 });
        expect(page.messages.find((x) => x.id === reply.id)!.replyTo!.preview).toBe('fixed');
      } finally {
        await w.close();
      }
    });

    it('reacts with one emoji, bounded per message, `me` in the answer', async () => {
      const w = await world();
      try {
        const { message: m } = await w.chat.send(w.bob, w.g.id, 'react', null);
        await w.unchanged(() => w.chat.react(w.alice, m.id, 'lol', true), 'INVALID_EMOJI');
        const r = await w.chat.react(w.alice, m.id, '👍', true);
        expect(r.reactions).toEqual([{ emoji: '👍', count: 1, userIds: [w.alice.id], me: true }]);
        expect((await w.chat.react(w.bob, m.id, '👍', true)).reactions[0]).toMatchObject({ count: 2, me: true });
        await w.chat.react(w.bob, m.id, '🎉', true);
        await w.unchanged(() => w.chat.react(w.bob, m.id, '🚀', true), 'TOO_MANY_REACTIONS');
        await w.unchanged(() => w.chat.react(w.carol, m.id, '👍', true), 'NOT_A_MEMBER');
      } finally {
        await w.close();
      }
    });

    it('deletes: the sender, the group owner, a room moderator, an admin; the body leaves the node’s memory', async () => {
      const w = await world();
      try {
        const { message: m } = await w.chat.send(w.bob, w.g.id, 'secret words', null);
        await w.chat.send(w.alice, w.g.id, 'quoting', null, { replyTo: m.id });
        await w.unchanged(() => w.chat.deleteMessage(w.carol, m.id), 'NOT_A_MEMBER');
        const tomb = await w.chat.deleteMessage(w.alice, m.id); // the group's owner
        expect(tomb).toMatchObject({ body: '', deleted: true });
        const mem = w.hub
          .readRecent(w.bob.id, 0, 1000)!
          .entries.map((e) => e.frame)
          .join('\n');
        expect(mem).not.toContain('secret');
        expect(mem).toContain('"type":"message.deleted"');
        expect((await w.store.readEvents(0, 1000)).map((e) => e.payload).join()).not.toContain('secret');
        expect((await w.chat.deleteMessage(w.bob, m.id)).deleted).toBe(true); // again: the tombstone

        const room = await w.chat.createRoom(w.alice, 'hall');
        await w.chat.join(w.bob, room.id);
        await w.chat.join(w.carol, room.id);
        const { message: rm } = await w.chat.send(w.carol, room.id, 'spam', null);
        await w.unchanged(() => w.chat.deleteMessage(w.bob, rm.id), 'NOT_YOUR_MESSAGE');
        await w.unchanged(() => w.chat.setModerator(w.bob, room.id, w.carol.id, true), 'NOT_OWNER');
        await w.chat.setModerator(w.alice, room.id, w.bob.id, true);
        expect((await w.chat.deleteMessage(w.bob, rm.id)).deleted).toBe(true);

        const dm = await w.chat.direct(w.alice, 'carol');
        const { message: dmm } = await w.chat.send(w.alice, dm.id, 'private', null);
        await w.unchanged(() => w.chat.deleteMessage(w.bob, dmm.id), 'NOT_A_MEMBER');
        await w.store.setUserRole(w.bob.id, 'admin');
        const admin: User = { ...w.bob, role: 'admin' };
        expect((await w.chat.deleteMessage(admin, dmm.id)).deleted).toBe(true);
      } finally {
        await w.close();
      }
    });

    it('pages history before and around a message with the system lines inside the range', async () => {
      const w = await world();
      try {
        const ids: string[] = [];
        for (let i = 0; i < 6; i++) ids.push((await w.chat.send(w.alice, w.g.id, `m${i}`, null)).message.id);
        await w.chat.addMember(w.alice, w.g.id, 'carol');
        for (let i = 6; i < 12; i++) ids.push((await w.chat.send(w.alice, w.g.id, `m${i}`, null)).message.id);
        await w.chat.rename(w.alice, w.g.id, 'renamed');

        const latest = await w.chat.history(w.bob, w.g.id, { limit: 4 });
        expect(latest.messages.map((m) => m.body)).toEqual(['m8', 'm9', 'm10', 'm11']);
        expect(latest).toMatchObject({ hasBefore: true, hasAfter: false });
        expect(latest.events.map((e) => e.type)).toEqual(['conversation.updated']);
        const around = await w.chat.history(w.bob, w.g.id, { around: ids[6], limit: 5 });
        expect(around.messages.map((m) => m.body)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8']);
        expect(around.events).toEqual([
          expect.objectContaining({ type: 'member.joined', at: expect.any(String), cursor: expect.any(String) }),
        ]);
        const first = await w.chat.history(w.bob, w.g.id, { before: ids[2], limit: 10 });
        expect(first).toMatchObject({ hasBefore: false, hasAfter: true });
        expect(first.events.map((e) => e.type)).toEqual([]);
        await expect(w.chat.history(w.bob, w.g.id, { around: '999999', limit: 5 })).rejects.toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
        await expect(w.chat.history(w.carol, w.g.id, { limit: 5 })).resolves.toBeTruthy();
      } finally {
        await w.close();
      }
    });
  });
}

suite('message lifecycle through ChatService: sqlite', async () => new SqliteStore(path.join(dir, `l-${n++}.db`)));
suite(
  'message lifecycle through ChatService: postgres',
  async () => {
    const schema = `hubbub_life_${process.pid}_${schemas.length}`;
    schemas.push(schema);
    return new PostgresStore(url!, { schema });
  },
  !url,
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
