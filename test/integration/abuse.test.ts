import http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testServer, userApi, type Api } from '../helpers/server.js';
import type { Server } from '../../src/server.js';

/**
 * A flood from one account is capped (RATE_LIMITED) while 100 others in the
 * same room lose nothing: each of their sends is stored and each of them
 * receives every stored message exactly once.
 */
describe('abuse limits', () => {
  let s: Server;
  let room: string;
  let abuser: Api;
  const users: Api[] = [];

  beforeAll(async () => {
    s = await testServer({ rateLimits: { send: 20 }, maxConnectionsPerUser: 3 });
    abuser = await userApi(s, 'flooder');
    room = (await abuser.call('POST', '/api/v1/conversations', { kind: 'room', name: 'busy' })).body.conversation.id;
    for (let i = 0; i < 100; i++) {
      const u = await userApi(s, `calm${i}`);
      await u.call('POST', `/api/v1/conversations/${room}/join`);
      users.push(u);
    }
  });
  afterAll(() => s.close());

  test('one flooding client is limited; 100 others lose nothing', async () => {
    const start = (await users[0]!.call('GET', '/api/v1/sync')).body.cursor;
    const flood = Promise.all(
      Array.from({ length: 300 }, (_, i) => abuser.call('POST', `/api/v1/conversations/${room}/messages`, { body: `spam ${i}` })),
    );
    const calm = Promise.all(
      users.flatMap((u, i) => [1, 2, 3].map((n) => u.call('POST', `/api/v1/conversations/${room}/messages`, { body: `hello ${i}.${n}` }))),
    );
    const [spam, mine] = await Promise.all([flood, calm]);
    const accepted = spam.filter((r) => r.status === 201).length;
    expect(accepted).toBe(20);
    expect(spam.filter((r) => r.status === 429).every((r) => r.body.error.code === 'RATE_LIMITED')).toBe(true);
    expect(spam.filter((r) => r.status !== 201 && r.status !== 429)).toEqual([]);
    expect(mine.every((r) => r.status === 201)).toBe(true);

    const stored = (await s.store.listMessages(room, null, 100)).length; // newest 100
    expect(stored).toBe(100);
    for (const u of [users[0]!, users[57]!, users[99]!]) {
      const events: any[] = [];
      let cursor = start;
      for (;;) {
        const page = (await u.call('GET', `/api/v1/sync?since=${cursor}&limit=1000`)).body;
        events.push(...page.events);
        cursor = page.cursor;
        if (!page.more) break;
      }
      const bodies = events.filter((e) => e.type === 'message.created').map((e) => e.message.body);
      expect(bodies.length).toBe(320);
      expect(new Set(bodies).size).toBe(320);
      for (let i = 0; i < 100; i++) for (const n of [1, 2, 3]) expect(bodies).toContain(`hello ${i}.${n}`);
    }
  });

  test('a user may hold only so many live streams', async () => {
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (s.app.server.address() as { port: number }).port;
    const u = users[1]!;
    const head = (await u.call('GET', '/api/v1/sync')).body.cursor;
    const open = () =>
      new Promise<{ status: number; body: string; req: http.ClientRequest }>((resolve, reject) => {
        const req = http.get(
          {
            host: '127.0.0.1',
            port,
            path: `/api/v1/sync?since=${head}&wait=30`,
            headers: { authorization: `Bearer ${u.token}` },
            agent: false,
          },
          (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode!, body, req }));
          },
        );
        req.on('error', reject);
        held.push(req);
      });
    const held: http.ClientRequest[] = [];
    const waiting = [open(), open(), open()].map((p) => p.catch(() => null));
    while (s.hub.connectionsOf(u.user.id) < 3) await new Promise((r) => setImmediate(r));
    const refused = await open();
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).error.code).toBe('TOO_MANY_CONNECTIONS');
    for (const r of held) r.destroy();
    await Promise.all(waiting);
    while (s.hub.connectionsOf(u.user.id) > 0) await new Promise((r) => setImmediate(r));
    // Another user is unaffected; a short poll is never capped.
    expect((await users[2]!.call('GET', `/api/v1/sync?since=${head}`)).status).toBe(200);
  });
});
