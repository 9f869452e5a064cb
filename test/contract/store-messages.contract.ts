import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message, StoredEvent, User } from '../../src/domain/types.js';
import type { Store } from '../../src/store/store.js';

/**
 * The message lifecycle every Store keeps (issue 13): edits with history,
 * tombstones that leave no body in the database or its events, replies whose
 * quote follows the original, reactions, mentions counted per conversation,
 * moderators, read receipts' audience, history around a message with its
 * system lines. Each write decides in its own transaction; a refusal writes
 * nothing. Run against each implementation like store.contract.ts.
 */
const t = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString();
const payload = (e: StoredEvent) => JSON.parse(e.payload);
const rejectsWith = (p: Promise<unknown>, code: string) => expect(p).rejects.toMatchObject({ code });

export function storeMessagesContract(name: string, make: () => Promise<Store>, opts: { skip?: boolean } = {}): void {
  describe.skipIf(!!opts.skip)(name, () => {
    let store: Store;
    const users = async (...names: string[]) => {
      const list: User[] = [];
      for (const n of names) list.push(await store.createUser({ username: n, displayName: n.toUpperCase(), passwordHash: 'h' }));
      return list;
    };
    const send = async (convId: string, from: User, body: string, extra: Partial<Parameters<Store['appendMessage']>[0]> = {}) =>
      (await store.appendMessage({ conversationId: convId, senderId: from.id, body, clientMsgId: null, now: t(1), ...extra })).message;
    const edit = (m: Message, by: User, body: string, extra: Partial<Parameters<Store['editMessage']>[0]> = {}) =>
      store.editMessage({
        messageId: m.id,
        editorId: by.id,
        body,
        mentions: [],
        mentionsAll: false,
        now: t(5),
        windowSeconds: 0,
        ...extra,
      });
    const react = (m: Message, by: User, emoji: string, on = true, maxDistinct = 20) =>
      store.react({ messageId: m.id, userId: by.id, emoji, on, maxDistinct, now: t(6) });
    /** Every stored event's payload text, to look for a body anywhere in the log. */
    const allPayloads = async () => (await store.readEvents(0, 10_000)).map((e) => e.payload).join('\n');
    const setup = async () => {
      const [a, b, c] = await users('alice', 'bob', 'carol');
      const { conversation: g } = await store.createConversation({
        kind: 'group',
        name: 'g',
        ownerId: a!.id,
        memberIds: [b!.id],
        now: t(0),
      });
      return { a: a!, b: b!, c: c!, g };
    };

    beforeEach(async () => {
      store = await make();
      await store.migrate();
    });
    afterEach(async () => {
      await store.close();
    });

    it('edits own messages with history and message.updated; the same body again is no edit; others are refused and nothing changes', async () => {
      const { a, b, c, g } = await setup();
      const m = await send(g.id, b, 'teh typo');
      const r = await edit(m, b, 'the typo', { mentions: [a.id] });
      expect(r.message).toMatchObject({ id: m.id, body: 'the typo', editedAt: t(5), mentions: [a.id], deleted: false });
      expect(r.events.map((e) => e.type)).toEqual(['message.updated']);
      expect(payload(r.events[0]!)).toEqual({ type: 'message.updated', message: r.message });
      expect(r.events[0]!.conversationId).toBe(g.id);
      expect(await store.messageEdits(m.id)).toEqual([{ body: 'teh typo', editedAt: t(5) }]);
      expect((await edit(m, b, 'the typo')).events).toEqual([]);

      const head = await store.headSeq();
      await rejectsWith(edit(m, a, 'not yours'), 'NOT_YOUR_MESSAGE');
      await rejectsWith(edit(m, c, 'not a member'), 'NOT_A_MEMBER');
      await rejectsWith(edit({ ...m, id: '999999' }, b, 'x'), 'MESSAGE_NOT_FOUND');
      await rejectsWith(edit(m, b, 'too late', { windowSeconds: 2, now: t(10) }), 'EDIT_WINDOW_PASSED');
      expect(await store.headSeq()).toBe(head);
      expect(await store.getMessage(m.id)).toMatchObject({ body: 'the typo' });
      expect(await store.messageEdits(m.id)).toHaveLength(1);
    });

    it('deletes to a tombstone: no body, history, reactions or mentions left in the database or in any stored event', async () => {
      const { a, b, g } = await setup();
      const m = await send(g.id, b, 'secret first', { mentions: [a.id] });
      await edit(m, b, 'secret second');
      await react(m, a, '👍');
      const reply = await send(g.id, a, 'answering', { replyTo: m.id });
      expect(reply.replyTo).toEqual({ id: m.id, senderId: b.id, senderName: 'BOB', preview: 'secret second', deleted: false });
      await edit(reply, a, 'answering again');

      const r = await store.deleteMessage({ messageId: m.id, actorId: b.id, now: t(7) });
      expect(r.message).toMatchObject({ id: m.id, body: '', deleted: true, reactions: [], mentions: [], mentionsAll: false });
      expect(r.events.map((e) => e.type)).toEqual(['message.deleted']);
      expect(payload(r.events[0]!)).toEqual({ type: 'message.deleted', conversationId: g.id, messageId: m.id, by: b.id });
      expect(await allPayloads()).not.toMatch(/secret/);
      expect(await store.messageEdits(m.id)).toEqual([]);
      expect(await store.getMessage(reply.id)).toMatchObject({ replyTo: { id: m.id, preview: '', deleted: true } });
      const created = (await store.readEvents(0, 1000)).find((e) => e.type === 'message.created' && payload(e).message.id === m.id)!;
      expect(payload(created).message).toMatchObject({ id: m.id, body: '', deleted: true });

      // Again: the tombstone, no event.
      expect((await store.deleteMessage({ messageId: m.id, actorId: b.id, now: t(8) })).events).toEqual([]);
      await rejectsWith(edit(m, b, 'revive'), 'MESSAGE_DELETED');
      await rejectsWith(react(m, a, '👍'), 'MESSAGE_DELETED');
    });

    it('lets the group owner, room owners and moderators and a server admin delete others’ messages, and no one else', async () => {
      const { a, b, c, g } = await setup();
      const byB = await send(g.id, b, 'one');
      const byA = await send(g.id, a, 'two');
      await rejectsWith(store.deleteMessage({ messageId: byA.id, actorId: b.id, now: t(2) }), 'NOT_YOUR_MESSAGE');
      await rejectsWith(store.deleteMessage({ messageId: byA.id, actorId: c.id, now: t(2) }), 'NOT_A_MEMBER');
      expect((await store.deleteMessage({ messageId: byB.id, actorId: a.id, now: t(2) })).message.deleted).toBe(true);
      await store.setUserRole(c.id, 'admin');
      expect((await store.getUser(c.id))!.role).toBe('admin');
      expect((await store.deleteMessage({ messageId: byA.id, actorId: c.id, now: t(2) })).events).toHaveLength(1);

      const { conversation: room } = await store.createConversation({
        kind: 'room',
        name: 'hall',
        ownerId: a.id,
        memberIds: [],
        now: t(0),
      });
      const [d] = await users('dave');
      for (const u of [b, d!]) await store.addMember(room.id, u.id, u.id);
      const inRoom = await send(room.id, d!, 'room message');
      await rejectsWith(store.deleteMessage({ messageId: inRoom.id, actorId: b.id, now: t(3) }), 'NOT_YOUR_MESSAGE');
      await rejectsWith(store.setModerator(room.id, b.id, true, b.id), 'NOT_OWNER');
      await rejectsWith(store.setModerator(g.id, b.id, true, a.id), 'INVALID_OPERATION');
      await rejectsWith(store.setModerator(room.id, c.id, true, a.id), 'USER_NOT_FOUND');
      const named = await store.setModerator(room.id, b.id, true, a.id);
      expect(named.map(payload)).toEqual([{ type: 'member.updated', conversationId: room.id, userId: b.id, role: 'moderator', by: a.id }]);
      expect(await store.setModerator(room.id, b.id, true, a.id)).toEqual([]);
      expect((await store.getMember(room.id, b.id))!.role).toBe('moderator');
      expect((await store.deleteMessage({ messageId: inRoom.id, actorId: b.id, now: t(3) })).message.deleted).toBe(true);
    });

    it('keeps one reaction per emoji per user, bounds distinct emoji, and writes reaction events', async () => {
      const { a, b, c, g } = await setup();
      const m = await send(g.id, b, 'react to me');
      const added = await react(m, a, '👍');
      expect(added.events.map(payload)).toEqual([
        { type: 'reaction.added', conversationId: g.id, messageId: m.id, emoji: '👍', userId: a.id },
      ]);
      expect((await react(m, a, '👍')).events).toEqual([]);
      const both = await react(m, b, '👍');
      expect(both.message.reactions).toEqual([{ emoji: '👍', count: 2, userIds: [a.id, b.id] }]);
      await react(m, a, '🎉', true, 2);
      await rejectsWith(react(m, a, '🚀', true, 2), 'TOO_MANY_REACTIONS');
      expect((await react(m, b, '🎉', true, 2)).events).toHaveLength(1); // an existing emoji is always fine
      await rejectsWith(react(m, c, '👍'), 'NOT_A_MEMBER');
      const removed = await react(m, a, '👍', false);
      expect(removed.events.map((e) => e.type)).toEqual(['reaction.removed']);
      expect(removed.message.reactions).toEqual([
        { emoji: '👍', count: 1, userIds: [b.id] },
        { emoji: '🎉', count: 2, userIds: [a.id, b.id] },
      ]);
      expect((await react(m, a, '👍', false)).events).toEqual([]);
    });

    it('counts unread mentions of me or everyone per conversation, not my own, not deleted', async () => {
      const { a, b, g } = await setup();
      await send(g.id, a, 'hi @bob', { mentions: [b.id] });
      await send(g.id, a, 'all of you', { mentionsAll: true });
      const gone = await send(g.id, a, 'also @bob', { mentions: [b.id] });
      await send(g.id, a, 'plain');
      await store.deleteMessage({ messageId: gone.id, actorId: a.id, now: t(2) });
      const summary = async (u: User) => (await store.listConversationsOf(u.id)).find((s) => s.id === g.id)!;
      expect(await summary(b)).toMatchObject({ unread: 4, mentions: 2 });
      expect((await summary(a)).mentions).toBe(0);
      // bob's own message moves his read pointer to it: only what comes after counts.
      await send(g.id, b, 'me @bob', { mentions: [b.id] });
      expect((await summary(b)).mentions).toBe(0);
      const later = await send(g.id, a, 'later @bob', { mentions: [b.id] });
      expect(await summary(b)).toMatchObject({ unread: 1, mentions: 1 });
      await store.markRead(b.id, g.id, later.id);
      expect((await summary(b)).mentions).toBe(0);
      expect((await store.membersByUsernames(g.id, ['bob', 'carol', 'nobody'])).map((m) => m.id)).toEqual([b.id]);
    });

    it('sends read.updated to the conversation in groups, to the reader alone in rooms or when receipts are hidden', async () => {
      const { a, b, g } = await setup();
      const m1 = await send(g.id, a, 'one');
      const m2 = await send(g.id, a, 'two');
      expect(await store.getSettings(b.id)).toEqual({ hideReadReceipts: false });
      const [shown] = await store.markRead(b.id, g.id, m1.id);
      expect(shown).toMatchObject({ conversationId: g.id, targets: [] });
      expect(await store.setSettings(b.id, { hideReadReceipts: true })).toEqual({ hideReadReceipts: true });
      const [hidden] = await store.markRead(b.id, g.id, m2.id);
      expect(hidden).toMatchObject({ conversationId: null, targets: [b.id] });
      const { conversation: room } = await store.createConversation({
        kind: 'room',
        name: 'hall',
        ownerId: a.id,
        memberIds: [],
        now: t(0),
      });
      const r1 = await send(room.id, a, 'room');
      await store.addMember(room.id, b.id, b.id);
      const r2 = await send(room.id, a, 'room two');
      await store.setSettings(b.id, { hideReadReceipts: false });
      const [inRoom] = await store.markRead(b.id, room.id, r2.id);
      expect(inRoom).toMatchObject({ conversationId: null, targets: [b.id] });
      expect(r1.id).not.toBe(r2.id);
    });

    it('shows each member’s read position in the detail of direct conversations and groups: null when hidden, none in rooms', async () => {
      const { a, b, c, g } = await setup();
      const readUpTo = async (convId: string) =>
        Object.fromEntries((await store.getConversation(convId))!.members.map((m) => [m.username, m.readUpTo]));
      expect(await readUpTo(g.id)).toEqual({ alice: null, bob: null });
      const m1 = await send(g.id, a, 'one');
      await send(g.id, a, 'two');
      await store.markRead(b.id, g.id, m1.id);
      // alice's own message moved her pointer to it; bob read up to m1.
      expect(await readUpTo(g.id)).toEqual({ alice: expect.any(String), bob: m1.id });
      await store.setSettings(b.id, { hideReadReceipts: true });
      expect(await readUpTo(g.id)).toEqual({ alice: expect.any(String), bob: null });
      await store.setSettings(b.id, { hideReadReceipts: false });
      expect((await readUpTo(g.id)).bob).toBe(m1.id);

      await store.requestFriendship(a.id, c.id, t(0));
      await store.requestFriendship(c.id, a.id, t(1));
      const { conversation: dm } = await store.getOrCreateDirect(a.id, c.id, t(2));
      const d1 = await send(dm.id, a, 'hello');
      await store.markRead(c.id, dm.id, d1.id);
      expect(await readUpTo(dm.id)).toEqual({ alice: d1.id, carol: d1.id });

      const { conversation: room } = await store.createConversation({
        kind: 'room',
        name: 'hall',
        ownerId: a.id,
        memberIds: [],
        now: t(0),
      });
      await store.addMember(room.id, b.id, b.id);
      const r1 = await send(room.id, a, 'room');
      await store.markRead(b.id, room.id, r1.id);
      const roomMembers = (await store.getConversation(room.id))!.members;
      expect(roomMembers.map((m) => m.username)).toEqual(['alice', 'bob']);
      for (const m of roomMembers) expect(m).not.toHaveProperty('readUpTo');
    });

    it('pages history around a message, with the membership events inside the range', async () => {
      const { a, b, c, g } = await setup();
      const m: Message[] = [];
      for (let i = 0; i < 5; i++) m.push(await send(g.id, a, `m${i}`));
      await store.addMember(g.id, c.id, a.id);
      for (let i = 5; i < 10; i++) m.push(await send(g.id, a, `m${i}`));
      await store.removeMember(g.id, b.id, a.id);
      const page = await store.listMessagesAround(g.id, m[5]!.id, 5);
      expect(page.messages.map((x) => x.body)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
      expect(page).toMatchObject({ hasBefore: true, hasAfter: true });
      const inside = await store.systemEvents(g.id, { from: m[3]!.id, to: m[7]!.id }, 50);
      expect(inside.map((e) => e.type)).toEqual(['member.joined']);
      expect(inside[0]!.at).toEqual(expect.any(String));
      const tail = await store.systemEvents(g.id, { from: m[8]!.id, to: null }, 50);
      expect(tail.map((e) => e.type)).toEqual(['member.left']);
      expect((await store.listMessagesAround(g.id, m[9]!.id, 4)).hasAfter).toBe(false);
      await rejectsWith(store.listMessagesAround(g.id, '999999', 5), 'MESSAGE_NOT_FOUND');
    });

    it('drops a deleted account’s edits from the log and the quotes of its messages from others’ replies', async () => {
      const { a, b, g } = await setup();
      const m = await send(g.id, b, 'bob wrote this');
      await edit(m, b, 'bob rewrote this');
      await send(g.id, a, 'quoting', { replyTo: m.id });
      await store.removeMember(g.id, b.id, b.id);
      await store.deleteUser(b.id);
      expect(await allPayloads()).not.toMatch(/bob (re)?wrote/);
    });
  });
}
