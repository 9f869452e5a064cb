import { describe, expect, test } from 'vitest';
import { befriend, testServer, userApi } from '../helpers/server.js';

describe('restart on the same data directory', () => {
  test('stored messages, sessions and cursors survive', async () => {
    const s1 = await testServer();
    const [alice, bob] = [await userApi(s1, 'alice'), await userApi(s1, 'bob')];
    await befriend(alice, bob);
    const conv = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id;
    const start = (await bob.call('GET', '/api/v1/sync')).body.cursor;
    for (const body of ['one', 'two']) await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body });
    const before = (await bob.call('GET', `/api/v1/sync?since=${start}`)).body;
    await s1.close();

    const s2 = await testServer({ dataDir: s1.dataDir });
    try {
      const call = async (token: string, method: string, url: string, payload?: object) => {
        const r = await s2.app.inject({
          method: method as 'GET',
          url,
          headers: { authorization: `Bearer ${token}` },
          ...(payload ? { payload } : {}),
        });
        return r.json();
      };
      // The same cursor gives the same events after the restart.
      expect(await call(bob.token, 'GET', `/api/v1/sync?since=${start}`)).toEqual(before);
      const h = await call(bob.token, 'GET', `/api/v1/conversations/${conv}/messages`);
      expect(h.messages.map((m: any) => m.body)).toEqual(['one', 'two']);
      // New events continue after the old ones.
      await call(alice.token, 'POST', `/api/v1/conversations/${conv}/messages`, { body: 'three' });
      const next = await call(bob.token, 'GET', `/api/v1/sync?since=${before.cursor}`);
      expect(next.events.map((e: any) => e.message.body)).toEqual(['three']);
      // The lobby is not created twice.
      const rooms = (await s2.app.inject({ method: 'GET', url: '/api/v1/rooms' })).json().rooms;
      expect(rooms.filter((r: any) => r.name === 'lobby')).toHaveLength(1);
    } finally {
      await s2.close();
    }
  });
});
