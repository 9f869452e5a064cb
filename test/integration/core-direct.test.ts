import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';
import type { Server } from '../../src/server.js';

describe('direct conversations between friends', () => {
  let s: Server;
  let alice: Api, bob: Api, carol: Api;
  let convId: string;

  beforeAll(async () => {
    s = await testServer();
    [alice, bob, carol] = [await userApi(s, 'alice'), await userApi(s, 'bob'), await userApi(s, 'carol')];
  });
  afterAll(() => s.close());

  test('a non-friend cannot open a direct conversation', async () => {
    const r = await alice.call('POST', '/api/v1/direct/bob');
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('FRIENDSHIP_REQUIRED');
  });

  test('friends request, accept, and list each other', async () => {
    await befriend(alice, bob);
    const fa = await alice.call('GET', '/api/v1/friends');
    expect(fa.body.friends.map((f: any) => f.username)).toEqual(['bob']);
    expect(fa.body.friends[0].presence.status).toBe('offline');
    const fb = await bob.call('GET', '/api/v1/friends');
    expect(fb.body.friends.map((f: any) => f.username)).toEqual(['alice']);
  });

  test('the direct conversation is created once and reused from either side', async () => {
    const a = await alice.call('POST', '/api/v1/direct/bob');
    const b = await bob.call('POST', '/api/v1/direct/alice');
    expect(a.status).toBe(200);
    expect(a.body.conversation.kind).toBe('direct');
    expect(b.body.conversation.id).toBe(a.body.conversation.id);
    convId = a.body.conversation.id;
  });

  test('Alice and Bob exchange messages, history is newest last', async () => {
    expect((await alice.call('POST', `/api/v1/conversations/${convId}/messages`, { body: 'hi Bob' })).status).toBe(201);
    expect((await bob.call('POST', `/api/v1/conversations/${convId}/messages`, { body: '  hi Alice  ' })).status).toBe(201);
    const h = await bob.call('GET', `/api/v1/conversations/${convId}/messages`);
    expect(h.body.messages.map((m: any) => [m.senderName, m.body])).toEqual([
      ['alice', 'hi Bob'],
      ['bob', 'hi Alice'],
    ]);
  });

  test('Carol can neither read nor write their conversation, nor open a direct one with them', async () => {
    const read = await carol.call('GET', `/api/v1/conversations/${convId}/messages`);
    expect(read.status).toBe(403);
    expect(read.body.error.code).toBe('NOT_A_MEMBER');
    const detail = await carol.call('GET', `/api/v1/conversations/${convId}`);
    expect(detail.body.error.code).toBe('NOT_A_MEMBER');
    const write = await carol.call('POST', `/api/v1/conversations/${convId}/messages`, { body: 'let me in' });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('NOT_A_MEMBER');
    for (const name of ['alice', 'bob']) {
      const d = await carol.call('POST', `/api/v1/direct/${name}`);
      expect(d.body.error.code).toBe('FRIENDSHIP_REQUIRED');
    }
    const h = await alice.call('GET', `/api/v1/conversations/${convId}/messages`);
    expect(h.body.messages).toHaveLength(2);
    // Carol's stream holds nothing of theirs.
    const sync = await carol.call('GET', '/api/v1/sync?since=c0');
    expect(sync.body.events.filter((e: any) => e.type === 'message.created')).toEqual([]);
  });

  test('removing a friendship stops direct messages', async () => {
    const del = await bob.call('DELETE', `/api/v1/friends/${alice.user.id}`);
    expect(del.status).toBe(200);
    const w = await alice.call('POST', `/api/v1/conversations/${convId}/messages`, { body: 'still there?' });
    expect(w.body.error.code).toBe('FRIENDSHIP_REQUIRED');
    const sync = await alice.call('GET', '/api/v1/sync?since=c0');
    expect(sync.body.events.map((e: any) => e.type)).toContain('friend.removed');
  });

  test('declining a request notifies both and makes no friendship', async () => {
    await carol.call('POST', '/api/v1/friends/requests', { username: 'alice' });
    const pending = await alice.call('GET', '/api/v1/friends/requests');
    expect(pending.body.incoming.map((r: any) => r.from.username)).toEqual(['carol']);
    const again = await carol.call('POST', '/api/v1/friends/requests', { username: 'alice' });
    expect(again.body.error.code).toBe('FRIEND_REQUEST_EXISTS');
    const dec = await alice.call('POST', `/api/v1/friends/requests/${pending.body.incoming[0].id}/decline`);
    expect(dec.status).toBe(200);
    expect((await alice.call('GET', '/api/v1/friends/requests')).body.incoming).toEqual([]);
    expect((await carol.call('GET', '/api/v1/friends')).body.friends).toEqual([]);
    const notMine = await bob.call('POST', `/api/v1/friends/requests/${pending.body.incoming[0].id}/accept`);
    expect(notMine.body.error.code).toBe('FRIEND_REQUEST_NOT_FOUND');
  });

  test('users are found by name prefix', async () => {
    const r = await carol.call('GET', '/api/v1/users?prefix=AL');
    expect(r.body.users.map((u: any) => u.username)).toEqual(['alice']);
    const all = await carol.call('GET', '/api/v1/users?prefix=%25');
    expect(all.body.users).toEqual([]);
  });
});
