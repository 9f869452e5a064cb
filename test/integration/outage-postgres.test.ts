import { afterAll, describe, expect, test } from 'vitest';
import type { Server } from '../../src/server.js';
import { PgInstance } from '../helpers/pg-instance.js';
import { testServer, userApi } from '../helpers/server.js';
import { listen, RawWs, waitFor } from './transports.helpers.js';

/**
 * PostgreSQL goes away and comes back (issue 11, item 6), on a PostgreSQL of
 * the test's own (the shared one is never stopped). Before: 500 INTERNAL for
 * every write and /readyz 200 only by luck. Now: 503 STORE_UNAVAILABLE with
 * Retry-After on HTTP, the same code in WebSocket error frames, /readyz 503
 * naming it — and everything back by itself once the database is.
 */
const found = PgInstance.findBin();
if (!found.bin && process.env.HUBBUB_REQUIRE_SERVICES === '1')
  throw new Error(`no PostgreSQL binaries (looked in ${found.tried}), and HUBBUB_REQUIRE_SERVICES=1 requires them`);

/** Not among the common passwords the policy refuses. */
const PASSWORD = 'outage-test-pass-7731';
let pg: PgInstance | null = null;
let s: Server | null = null;
afterAll(async () => {
  await s?.close();
  pg?.destroy();
});

describe.skipIf(!found.bin)(
  `PostgreSQL: the database stops and starts${found.bin ? '' : ` (no PostgreSQL binaries in ${found.tried})`}`,
  () => {
    test('writes answer 503 STORE_UNAVAILABLE with Retry-After while it is down; all recover by itself', async () => {
      pg = await PgInstance.create(found.bin!);
      pg.start();
      s = await testServer({ databaseUrl: pg.url, storeRetryAfterSeconds: 2 });
      const { baseUrl } = await listen(s);
      const alice = await userApi(s, 'alice_pg', PASSWORD);
      const conv = (await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'pg' })).body.conversation.id;
      const send = (body: string) =>
        s!.app.inject({
          method: 'POST',
          url: `/api/v1/conversations/${conv}/messages`,
          headers: { authorization: `Bearer ${alice.token}` },
          payload: { body },
        });
      expect((await send('before')).statusCode).toBe(201);
      const ws = RawWs.bearer(baseUrl, alice.token);
      await ws.opened;
      await ws.next((f) => f.type === 'hello', 'hello');
      expect((await s.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);

      pg.stop();

      const refused = await send('while down');
      expect(refused.statusCode).toBe(503);
      expect(refused.json().error.code).toBe('STORE_UNAVAILABLE');
      expect(refused.headers['retry-after']).toBe('2');

      const token = await s.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { username: 'alice_pg', password: PASSWORD } });
      expect(token.statusCode).toBe(503);
      expect(token.json().error.code).toBe('STORE_UNAVAILABLE');

      const frame = await ws.request({ type: 'send', ref: 'down', conversationId: conv, body: 'ws while down' });
      expect(frame.type).toBe('error');
      expect(frame.error.code).toBe('STORE_UNAVAILABLE');

      const ready = await s.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ ok: false, code: 'STORE_UNAVAILABLE' });
      expect(ready.headers['retry-after']).toBe('2');

      pg.start();

      await waitFor(async () => (await s!.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, '/readyz to recover', 10_000);
      expect((await send('after')).statusCode).toBe(201);
      const ack = await ws.request({ type: 'send', ref: 'up', conversationId: conv, body: 'ws after' });
      expect(ack.type).toBe('ack');
      const bodies = (await alice.call('GET', `/api/v1/conversations/${conv}/messages`)).body.messages.map((m: { body: string }) => m.body);
      expect(bodies).toEqual(['before', 'after', 'ws after']);
      ws.ws.close();
    }, 30_000);
  },
);
