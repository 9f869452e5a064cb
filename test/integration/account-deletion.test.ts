import { describe, expect, test } from 'vitest';
import { befriend, testServer, userApi } from '../helpers/server.js';

describe('account deletion', () => {
  test('removes the user\'s data and sessions; groups pass to the next member', async () => {
    const s = await testServer();
    try {
      const [alice, bob] = [await userApi(s, 'alice'), await userApi(s, 'bob')];
      await befriend(alice, bob);
      const direct = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id;
      const group = (await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'g', members: ['bob'] })).body.conversation.id;
      await alice.call('POST', `/api/v1/conversations/${direct}/messages`, { body: 'secret from alice' });
      await bob.call('POST', `/api/v1/conversations/${direct}/messages`, { body: 'reply from bob' });
      const bobStart = 'c0';

      const wrong = await alice.call('DELETE', '/api/v1/me', { password: 'not-it-at-all' });
      expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
      const del = await alice.call('DELETE', '/api/v1/me', { password: 'password123' });
      expect(del.status).toBe(200);

      expect((await alice.call('GET', '/api/v1/me')).status).toBe(401);
      expect((await s.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { username: 'alice', password: 'password123' } })).statusCode).toBe(401);
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
      expect((await s.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { username: 'alice', password: 'password123' } })).statusCode).toBe(201);
    } finally {
      await s.close();
    }
  });
});
