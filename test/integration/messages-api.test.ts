import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Server } from '../../src/server.js';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';
import { listen, RawWs } from './transports.helpers.js';

/**
 * Working with messages through the edge: edit, delete, react, reply,
 * history around a message, mentions. Retries apply once; refusals answer
 * their documented code and change nothing (the stream's head does not move
 * and the message reads the same).
 */
const THUMB = encodeURIComponent('👍');

describe('messages API', () => {
  let s: Server;
  let baseUrl: string;
  let owner: Api;
  let bob: Api;
  let carol: Api;
  let outsider: Api;
  let group: string;

  beforeAll(async () => {
    s = await testServer({ maxReactionsPerMessage: 3 } as never);
    ({ baseUrl } = await listen(s));
    owner = await userApi(s, 'owner');
    bob = await userApi(s, 'bob');
    carol = await userApi(s, 'carol');
    outsider = await userApi(s, 'outsider');
    await befriend(owner, bob);
    await befriend(owner, carol);
    group = (await owner.call('POST', '/api/v1/conversations', { kind: 'group', name: 'work', members: ['bob', 'carol'] })).body
      .conversation.id;
  });
  afterAll(() => s.close());

  const post = async (who: Api, body: string, extra: Record<string, string> = {}) => {
    const r = await who.call('POST', `/api/v1/conversations/${group}/messages`, { body, ...extra });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.message;
  };
  const head = async () => (await owner.call('GET', '/api/v1/sync')).body.cursor as string;
  const eventsSince = async (who: Api, cursor: string) =>
    (await who.call('GET', `/api/v1/sync?since=${cursor}&limit=500`)).body.events as any[];
  const read = async (id: string) =>
    ((await owner.call('GET', `/api/v1/conversations/${group}/messages?around=${id}&limit=1`)).body.messages as any[]).find(
      (m) => m.id === id,
    );

  /** Runs a request that must be refused with `status`/`code`, and checks it changed nothing. */
  async function refused(status: number, code: string, run: () => Promise<{ status: number; body: any }>, messageId?: string) {
    const before = messageId ? await read(messageId) : null;
    const cursor = await head();
    const r = await run();
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(await head()).toBe(cursor);
    if (messageId) expect(await read(messageId)).toEqual(before);
  }

  test('an edit retried applies once; the history keeps the earlier body', async () => {
    const m = await post(owner, 'teh typo');
    const cursor = await head();
    const a = await owner.call('PATCH', `/api/v1/messages/${m.id}`, { body: 'the typo' });
    const b = await owner.call('PATCH', `/api/v1/messages/${m.id}`, { body: 'the typo' });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.message).toMatchObject({ id: m.id, body: 'the typo', editedAt: expect.any(String), deleted: false });
    expect(b.body.message).toEqual(a.body.message);
    const evs = await eventsSince(bob, cursor);
    expect(evs.map((e) => e.type)).toEqual(['message.updated']);
    expect(evs[0].message).toMatchObject({ id: m.id, body: 'the typo' });
    const edits = await bob.call('GET', `/api/v1/messages/${m.id}/edits`);
    expect(edits.body.edits).toEqual([{ body: 'teh typo', editedAt: expect.any(String) }]);
  });

  test('a delete retried applies once and answers the tombstone', async () => {
    const m = await post(bob, 'take this back');
    const cursor = await head();
    const a = await bob.call('DELETE', `/api/v1/messages/${m.id}`);
    const b = await bob.call('DELETE', `/api/v1/messages/${m.id}`);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.message).toMatchObject({ id: m.id, deleted: true, body: '', mentions: [], reactions: [] });
    expect(b.body.message).toEqual(a.body.message);
    const evs = await eventsSince(carol, cursor);
    expect(evs).toEqual([expect.objectContaining({ type: 'message.deleted', conversationId: group, messageId: m.id, by: bob.user.id })]);
    expect(
      (await owner.call('GET', `/api/v1/conversations/${group}/messages`)).body.messages.find((x: any) => x.id === m.id),
    ).toMatchObject({ deleted: true, body: '' });
  });

  test('a reaction added twice and removed twice writes one event each way', async () => {
    const m = await post(owner, 'react to me');
    const cursor = await head();
    for (let i = 0; i < 2; i++) expect((await bob.call('PUT', `/api/v1/messages/${m.id}/reactions/${THUMB}`)).status).toBe(200);
    const carolSees = (await carol.call('PUT', `/api/v1/messages/${m.id}/reactions/${THUMB}`)).body.message;
    expect(carolSees.reactions).toEqual([{ emoji: '👍', count: 2, userIds: [bob.user.id, carol.user.id], me: true }]);
    for (let i = 0; i < 2; i++) expect((await bob.call('DELETE', `/api/v1/messages/${m.id}/reactions/${THUMB}`)).status).toBe(200);
    const types = (await eventsSince(owner, cursor)).map((e) => `${e.type}:${e.userId}`);
    expect(types).toEqual([`reaction.added:${bob.user.id}`, `reaction.added:${carol.user.id}`, `reaction.removed:${bob.user.id}`]);
    expect((await read(m.id)).reactions).toEqual([{ emoji: '👍', count: 1, userIds: [carol.user.id], me: false }]);
  });

  test('over the WebSocket: edit, react and delete frames, each retried, apply once', async () => {
    const m = await post(carol, 'over the socket');
    const cursor = await head();
    const ws = RawWs.bearer(baseUrl, carol.token);
    await ws.next((f) => f.type === 'hello');
    for (const ref of ['e1', 'e2']) {
      const r = await ws.request({ type: 'edit', ref, messageId: m.id, body: 'over the socket, edited' });
      expect(r).toMatchObject({ type: 'ack', message: { id: m.id, body: 'over the socket, edited' } });
    }
    for (const ref of ['r1', 'r2'])
      expect((await ws.request({ type: 'react', ref, messageId: m.id, emoji: '🎉', on: true })).type).toBe('ack');
    for (const ref of ['d1', 'd2']) {
      expect(await ws.request({ type: 'delete', ref, messageId: m.id })).toMatchObject({ type: 'ack', message: { deleted: true } });
    }
    const refusal = await ws.request({ type: 'react', ref: 'r3', messageId: m.id, emoji: '🎉', on: true });
    expect(refusal).toMatchObject({ type: 'error', ref: 'r3', error: { code: 'MESSAGE_DELETED' } });
    const bad = await ws.request({ type: 'react', ref: 'r4', messageId: m.id, emoji: '🎉', on: 'yes' });
    expect(bad).toMatchObject({ type: 'error', error: { code: 'VALIDATION_FAILED' } });
    ws.ws.close();
    expect((await eventsSince(owner, cursor)).map((e) => e.type)).toEqual(['message.updated', 'reaction.added', 'message.deleted']);
  });

  test('refusals answer their code and change nothing', async () => {
    const m = await post(owner, 'mine alone');
    const gone = await post(owner, 'soon gone');
    await owner.call('DELETE', `/api/v1/messages/${gone.id}`);
    const url = (id: string) => `/api/v1/messages/${id}`;
    await refused(401, 'AUTH_REQUIRED', async () => {
      const r = await s.app.inject({ method: 'PATCH', url: url(m.id), payload: { body: 'x' } });
      return { status: r.statusCode, body: r.json() };
    });
    await refused(403, 'NOT_YOUR_MESSAGE', () => bob.call('PATCH', url(m.id), { body: 'not yours' }), m.id);
    await refused(403, 'NOT_YOUR_MESSAGE', () => bob.call('DELETE', url(m.id)), m.id);
    await refused(403, 'NOT_A_MEMBER', () => outsider.call('PUT', `${url(m.id)}/reactions/${THUMB}`), m.id);
    await refused(403, 'NOT_A_MEMBER', () => outsider.call('GET', `${url(m.id)}/edits`));
    await refused(400, 'BODY_TOO_LONG', () => owner.call('PATCH', url(m.id), { body: 'x'.repeat(4001) }), m.id);
    await refused(400, 'BODY_EMPTY', () => owner.call('PATCH', url(m.id), { body: '   ' }), m.id);
    await refused(400, 'VALIDATION_FAILED', () => owner.call('PATCH', url(m.id), { body: 'x', extra: 1 }), m.id);
    await refused(400, 'INVALID_EMOJI', () => bob.call('PUT', `${url(m.id)}/reactions/abc`), m.id);
    await refused(400, 'INVALID_EMOJI', () => bob.call('PUT', `${url(m.id)}/reactions/${encodeURIComponent('👍👍')}`), m.id);
    await refused(409, 'MESSAGE_DELETED', () => owner.call('PATCH', url(gone.id), { body: 'revive' }), gone.id);
    await refused(409, 'MESSAGE_DELETED', () => bob.call('PUT', `${url(gone.id)}/reactions/${THUMB}`), gone.id);
    await refused(404, 'MESSAGE_NOT_FOUND', () => owner.call('PATCH', url('999999'), { body: 'x' }));
    await refused(404, 'MESSAGE_NOT_FOUND', () => owner.call('DELETE', url('not-an-id')));
    // A reply must quote a message of the same conversation.
    const elsewhere = (await owner.call('POST', '/api/v1/direct/bob')).body.conversation.id;
    const foreign = (await owner.call('POST', `/api/v1/conversations/${elsewhere}/messages`, { body: 'in the DM' })).body.message;
    await refused(404, 'MESSAGE_NOT_FOUND', () =>
      owner.call('POST', `/api/v1/conversations/${group}/messages`, { body: 'quoting', replyTo: foreign.id }),
    );
    // At most maxReactionsPerMessage (3 here) different emoji on one message.
    for (const e of ['😀', '😎', '🙂']) expect((await bob.call('PUT', `${url(m.id)}/reactions/${encodeURIComponent(e)}`)).status).toBe(200);
    await refused(409, 'TOO_MANY_REACTIONS', () => carol.call('PUT', `${url(m.id)}/reactions/${encodeURIComponent('🤔')}`), m.id);
    expect((await carol.call('PUT', `${url(m.id)}/reactions/${encodeURIComponent('😀')}`)).status).toBe(200); // an existing one is fine
  });

  test('a reply quotes its original and follows its edits and its deletion', async () => {
    const original = await post(bob, 'the original');
    const reply = await post(carol, 'quoting it', { replyTo: original.id });
    expect(reply.replyTo).toEqual({ id: original.id, senderId: bob.user.id, senderName: 'bob', preview: 'the original', deleted: false });
    await bob.call('PATCH', `/api/v1/messages/${original.id}`, { body: 'the original, edited' });
    expect((await read(reply.id)).replyTo).toMatchObject({ preview: 'the original, edited', deleted: false });
    await bob.call('DELETE', `/api/v1/messages/${original.id}`);
    expect((await read(reply.id)).replyTo).toMatchObject({ id: original.id, preview: '', deleted: true });
  });

  test('history around a message: centred, with hasBefore/hasAfter and the system events in range', async () => {
    const room = (await owner.call('POST', '/api/v1/conversations', { kind: 'room', name: 'around' })).body.conversation.id;
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      if (i === 14) await bob.call('POST', `/api/v1/conversations/${room}/join`);
      ids.push((await owner.call('POST', `/api/v1/conversations/${room}/messages`, { body: `n${i}` })).body.message.id);
    }
    const page = (await bob.call('GET', `/api/v1/conversations/${room}/messages?around=${ids[15]}&limit=10`)).body;
    const bodies = page.messages.map((m: any) => m.body);
    expect(bodies).toContain('n15');
    expect(bodies.length).toBe(10);
    expect(bodies).toEqual([...bodies].sort((a: string, b: string) => Number(a.slice(1)) - Number(b.slice(1))));
    const at = bodies.indexOf('n15');
    expect(at).toBeGreaterThanOrEqual(4);
    expect(at).toBeLessThanOrEqual(5);
    expect(page).toMatchObject({ hasBefore: true, hasAfter: true });
    expect(page.events).toEqual([expect.objectContaining({ type: 'member.joined', conversationId: room, at: expect.any(String) })]);
    const first = (await bob.call('GET', `/api/v1/conversations/${room}/messages?around=${ids[0]}&limit=10`)).body;
    expect(first).toMatchObject({ hasBefore: false, hasAfter: true });
    expect(first.messages[0].body).toBe('n0');
    const newest = (await bob.call('GET', `/api/v1/conversations/${room}/messages?limit=5`)).body;
    expect(newest).toMatchObject({ hasBefore: true, hasAfter: false });
    expect(newest.events).toEqual([]);
    const anon = await s.app.inject({ method: 'GET', url: `/api/v1/conversations/${room}/messages?around=${ids[3]}&limit=3` });
    expect(anon.statusCode).toBe(200); // rooms are public, around too
    const q = (query: string) => bob.call('GET', `/api/v1/conversations/${room}/messages?${query}`);
    expect((await q(`around=${ids[1]}&before=${ids[5]}`)).body.error.code).toBe('VALIDATION_FAILED');
    expect((await q('around=abc')).body.error.code).toBe('VALIDATION_FAILED');
    expect((await q('around=999999')).body.error.code).toBe('MESSAGE_NOT_FOUND');
    const groupMessage = await post(owner, 'not in the room');
    expect((await q(`around=${groupMessage.id}`)).body.error.code).toBe('MESSAGE_NOT_FOUND');
  });

  test('a mention of an offline user counts for them and is marked when they return', async () => {
    // Bob has no connection open: he learns of it from his conversation list and the history.
    const before = (await bob.call('GET', '/api/v1/conversations')).body.conversations.find((c: any) => c.id === group);
    const m = await post(carol, 'hey @bob, look');
    await post(carol, 'and @nobody-here nor @outsider');
    const everyone = await post(carol, '@everyone from a member is plain text');
    expect(m.mentions).toEqual([bob.user.id]);
    expect(everyone).toMatchObject({ mentions: [], mentionsAll: false });
    const all = await post(owner, '@everyone from the owner');
    expect(all.mentionsAll).toBe(true);
    const after = (await bob.call('GET', '/api/v1/conversations')).body.conversations.find((c: any) => c.id === group);
    expect(after.mentions - before.mentions).toBe(2);
    expect(after.unread - before.unread).toBe(4);
    const page = (await bob.call('GET', `/api/v1/conversations/${group}/messages?around=${m.id}&limit=5`)).body.messages;
    expect(page.find((x: any) => x.id === m.id).mentions).toEqual([bob.user.id]);
    await bob.call('POST', `/api/v1/conversations/${group}/read`, { upTo: all.id });
    expect((await bob.call('GET', '/api/v1/conversations')).body.conversations.find((c: any) => c.id === group).mentions).toBe(0);
  });

  test('moderators: named by the room owner, they delete others’ messages there', async () => {
    const room = (await owner.call('POST', '/api/v1/conversations', { kind: 'room', name: 'modded' })).body.conversation.id;
    for (const u of [bob, carol]) await u.call('POST', `/api/v1/conversations/${room}/join`);
    const m = (await carol.call('POST', `/api/v1/conversations/${room}/messages`, { body: 'spam' })).body.message;
    const mod = (who: Api, userId: string, method = 'PUT') => who.call(method, `/api/v1/conversations/${room}/moderators/${userId}`);
    await refused(403, 'NOT_YOUR_MESSAGE', () => bob.call('DELETE', `/api/v1/messages/${m.id}`));
    await refused(403, 'NOT_OWNER', () => mod(bob, bob.user.id));
    await refused(409, 'INVALID_OPERATION', () => owner.call('PUT', `/api/v1/conversations/${group}/moderators/${bob.user.id}`));
    await refused(404, 'USER_NOT_FOUND', () => mod(owner, outsider.user.id));
    expect((await mod(owner, bob.user.id)).status).toBe(200);
    const named = await head();
    expect((await mod(owner, bob.user.id)).status).toBe(200); // again: no second event
    expect(await head()).toBe(named);
    const cursor = (await bob.call('GET', '/api/v1/sync')).body.cursor;
    expect((await bob.call('DELETE', `/api/v1/messages/${m.id}`)).status).toBe(200);
    const evs = await eventsSince(bob, cursor);
    expect(evs.map((e) => e.type)).toEqual(['message.deleted']);
    expect((await s.store.getConversation(room))!.members.find((x) => x.id === bob.user.id)!.role).toBe('moderator');
    expect((await mod(owner, bob.user.id, 'DELETE')).status).toBe(200);
    const again = (await carol.call('POST', `/api/v1/conversations/${room}/messages`, { body: 'spam again' })).body.message;
    await refused(403, 'NOT_YOUR_MESSAGE', () => bob.call('DELETE', `/api/v1/messages/${again.id}`));
  });

  test('hideReadReceipts: a reader who hides them is seen by nobody else', async () => {
    const seen = async () => {
      const cursor = (await owner.call('GET', '/api/v1/sync')).body.cursor;
      const m = await post(owner, 'read me');
      await bob.call('POST', `/api/v1/conversations/${group}/read`, { upTo: m.id });
      return (await eventsSince(owner, cursor)).filter((e) => e.type === 'read.updated' && e.userId === bob.user.id).length;
    };
    expect(await seen()).toBe(1);
    const r = await bob.call('PATCH', '/api/v1/me', { hideReadReceipts: true });
    expect(r.status).toBe(200);
    expect((await bob.call('GET', '/api/v1/me')).body).toMatchObject({ settings: { hideReadReceipts: true } });
    expect(await seen()).toBe(0);
    expect((await bob.call('PATCH', '/api/v1/me', {})).status).toBe(400);
    expect((await bob.call('PATCH', '/api/v1/me', { hideReadReceipts: 'yes' })).status).toBe(400);
    await bob.call('PATCH', '/api/v1/me', { hideReadReceipts: false });
    expect(await seen()).toBe(1);
  });
});
