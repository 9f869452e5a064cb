import { describe, expect, test } from 'vitest';
import { http, registerUser } from '../helpers/cluster.js';
import { befriend, testServer, userApi } from '../helpers/server.js';
import { listen, RawSse, RawWs, waitFor } from './transports.helpers.js';

describe('account deletion', () => {
  test("removes the user's data and sessions; groups pass to the next member", async () => {
    const s = await testServer();
    try {
      const [alice, bob] = [await userApi(s, 'alice'), await userApi(s, 'bob')];
      await befriend(alice, bob);
      const direct = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id;
      const group = (await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'g', members: ['bob'] })).body.conversation
        .id;
      await alice.call('POST', `/api/v1/conversations/${direct}/messages`, { body: 'secret from alice' });
      await bob.call('POST', `/api/v1/conversations/${direct}/messages`, { body: 'reply from bob' });
      const bobStart = 'c0';

      const wrong = await alice.call('DELETE', '/api/v1/me', { password: 'not-it-at-all' });
      expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
      const del = await alice.call('DELETE', '/api/v1/me', { password: 'hubbub-pass-4821' });
      expect(del.status).toBe(200);

      expect((await alice.call('GET', '/api/v1/me')).status).toBe(401);
      expect(
        (await s.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { username: 'alice', password: 'hubbub-pass-4821' } }))
          .statusCode,
      ).toBe(401);
      expect((await bob.call('GET', '/api/v1/friends')).body.friends).toEqual([]);
      expect((await bob.call('GET', '/api/v1/users?prefix=ali')).body.users).toEqual([]);
      const g = (await bob.call('GET', `/api/v1/conversations/${group}`)).body.conversation;
      expect(g.ownerId).toBe(bob.user.id);
      expect(g.members.map((m: any) => m.username)).toEqual(['bob']);
      const h = (await bob.call('GET', `/api/v1/conversations/${direct}/messages`)).body.messages;
      expect(h.map((m: any) => m.body)).toEqual(['reply from bob']);
      const stream = (await bob.call('GET', `/api/v1/sync?since=${bobStart}&limit=1000`)).body.events;
      expect(JSON.stringify(stream)).not.toContain('secret from alice');
      // The name is free again.
      expect(
        (await s.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username: 'alice', password: 'hubbub-pass-4821' } }))
          .statusCode,
      ).toBe(201);
    } finally {
      await s.close();
    }
  });
});

/**
 * The critical case of issue 11: the newest account is deleted and someone
 * registers next. On SQLite the id used to be handed out again, and the
 * node's audience index and log targets still named it, so the newcomer's
 * streams carried the deleted account's friends, direct and group messages
 * and their friends' typing. Whatever id the newcomer gets, nothing of the
 * deleted account may reach them, and the node must not name the old id.
 */

const PW = 'Velvet-Harbor-Quill-38';

describe("a deleted account's history never reaches the next sign-up", () => {
  test('sync from c0, WebSocket, SSE, long poll and live signals carry nothing of the deleted account; the hub forgets its id', async () => {
    const s = await testServer();
    const { baseUrl: base } = await listen(s);
    const closers: Array<() => void> = [];
    try {
      const f = await registerUser(base, 'fiona', PW);
      const g = await registerUser(base, 'gary', PW);
      const x = await registerUser(base, 'xavier', PW); // the newest account
      for (const friend of [f, g]) {
        expect((await http(base, 'POST', '/api/v1/friends/requests', friend.token, { username: 'xavier' })).status).toBe(201);
      }
      for (const r of (await http(base, 'GET', '/api/v1/friends/requests', x.token)).body.incoming) {
        expect((await http(base, 'POST', `/api/v1/friends/requests/${r.id}/accept`, x.token)).status).toBe(200);
      }
      const dm = (await http(base, 'POST', '/api/v1/direct/fiona', x.token)).body.conversation.id as string;
      const group = (await http(base, 'POST', '/api/v1/conversations', x.token, { kind: 'group', name: 'xg', members: ['fiona', 'gary'] }))
        .body.conversation.id as string;
      for (const [who, conv, body] of [
        [x, dm, 'dm-from-x'],
        [f, dm, 'dm-from-f'],
        [x, group, 'group-from-x'],
        [g, group, 'group-from-g'],
      ] as const) {
        expect((await http(base, 'POST', `/api/v1/conversations/${conv}/messages`, who.token, { body })).status).toBe(201);
      }
      expect(s.hub.index.users(dm)?.has(x.id)).toBe(true);

      expect((await http(base, 'DELETE', '/api/v1/me', x.token, { password: PW })).status).toBe(200);

      // The node no longer names the old id anywhere: no span in any conversation, nothing in its log.
      expect(s.hub.index.users(dm)?.has(x.id) ?? false).toBe(false);
      expect(s.hub.index.users(group)?.has(x.id) ?? false).toBe(false);
      expect((await s.hub.read(x.id, 0, 1000)).entries.map((e) => e.frame)).toEqual([]);

      const y = await registerUser(base, 'yvonne', PW);
      const xTraces = (json: string) =>
        ['xavier', 'dm-from', 'group-from', '"xg"', `"conversationId":"${dm}"`, `"conversationId":"${group}"`].filter((t) =>
          json.includes(t),
        );

      const ws = RawWs.bearer(base, y.token, '?since=c0');
      closers.push(() => ws.ws.terminate());
      await ws.next((fr) => fr.type === 'hello', 'hello');
      const sse = RawSse.bearer(base, y.token, '?since=c0');
      closers.push(() => sse.close());
      await waitFor(() => sse.records.some((r) => r.event === 'hello'), 'sse hello');
      const poll = http(base, 'GET', '/api/v1/sync?since=c0&wait=10&limit=1000', y.token);
      await waitFor(() => s.hub.connectionsOf(y.id) === 3, 'y attached on three transports');

      // Live signals from the deleted account's friends: typing in the shared conversations, presence.
      const fWs = RawWs.bearer(base, f.token);
      closers.push(() => fWs.ws.terminate());
      await fWs.next((fr) => fr.type === 'hello', 'fiona hello');
      for (const conv of [dm, group]) expect((await http(base, 'POST', `/api/v1/conversations/${conv}/typing`, f.token)).status).toBe(200);

      // A marker in y's own stream: everything sent to y before it has arrived once it has.
      expect((await http(base, 'POST', '/api/v1/friends/requests', y.token, { username: 'gary' })).status).toBe(201);
      const isMarker = (e: any) => e.type === 'friend.requested' && e.request.to.username === 'gary';
      await ws.next(isMarker, 'marker on WebSocket');
      await waitFor(() => sse.events().some(isMarker), 'marker on SSE');
      const polled = await poll;

      const synced = (await http(base, 'GET', '/api/v1/sync?since=c0&limit=1000', y.token)).body.events as any[];
      for (const [what, stream] of [
        ['sync', synced],
        ['long poll', polled.body.events],
        ['WebSocket', ws.frames.filter((fr) => fr.type !== 'hello')],
        ['SSE', [...sse.events(), ...sse.signals()]],
      ] as const) {
        expect(xTraces(JSON.stringify(stream)), what).toEqual([]);
        expect(
          stream.filter((e: any) => e.type === 'typing' || e.type === 'presence'),
          `${what}: live signals`,
        ).toEqual([]);
        expect(
          stream.filter((e: any) => e.type !== 'hello' && !isMarker(e) && e.cursor !== undefined),
          `${what}: only y's own events`,
        ).toEqual([]);
      }
    } finally {
      for (const c of closers) c();
      await s.close();
    }
  });
});
