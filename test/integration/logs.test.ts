import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { befriend, testServer, userApi } from '../helpers/server.js';

describe('logs', () => {
  test('JSON lines with request ids, and no passwords, tokens, cookies or message bodies', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const s = await testServer({ logLevel: 'debug' }, { logger: { level: 'debug', stream } });
    try {
      const [alice, bob] = [await userApi(s, 'alice', 'hunter2-secret-pw'), await userApi(s, 'bob')];
      await befriend(alice, bob);
      const conv = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id;
      await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body: 'a very private message body' });
      await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body: '' }); // refused
      await s.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'alice', password: 'wrong-password-xyz' } });
      const reg = await s.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { username: 'carol', password: 'carol-password-1' },
      });
      const cookie = String(reg.headers['set-cookie']).split(';')[0]!.split('=')[1]!;

      expect(lines.length).toBeGreaterThan(10);
      const parsed = lines.map((l) => JSON.parse(l));
      expect(parsed.filter((l) => l.msg === 'incoming request').every((l) => typeof l.reqId === 'string' && l.reqId.length > 0)).toBe(true);
      const all = lines.join('\n');
      for (const secret of [
        'hunter2-secret-pw',
        'wrong-password-xyz',
        'carol-password-1',
        alice.token,
        bob.token,
        cookie,
        reg.json().csrfToken,
        'a very private message body',
      ]) {
        expect(all, 'a secret reached the logs').not.toContain(secret);
      }
    } finally {
      await s.close();
    }
  });
});
