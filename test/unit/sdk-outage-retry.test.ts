import { describe, expect, it } from 'vitest';
import { HubbubClient } from '../../client/index.js';
import { retryAfterMs } from '../../client/rest.js';

/**
 * The SDK through an outage: a send refused with 503 STORE_UNAVAILABLE or
 * 507 STORAGE_FULL is retried with the same clientMsgId, no sooner than the
 * server's Retry-After. (Over a WebSocket the same codes arrive as error
 * frames; test/integration/chaos-pg-outage.test.ts covers that path.)
 */
describe('SDK: sends through an outage', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(' 0 ')).toBe(0);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 7_000)).toBe(3000);
    expect(retryAfterMs(new Date(1_000).toUTCString(), 7_000)).toBe(0);
    expect(retryAfterMs(null)).toBeNull();
    expect(retryAfterMs('soon')).toBeNull();
    expect(retryAfterMs('-1')).toBeNull();
  });

  it.each([
    [503, 'STORE_UNAVAILABLE'],
    [507, 'STORAGE_FULL'],
  ])('retries a send refused with %i %s, after Retry-After, with the same clientMsgId', async (status, code) => {
    const attempts: Array<{ at: number; clientMsgId: string }> = [];
    const fetch = (async (_url: string, init: RequestInit) => {
      attempts.push({ at: performance.now(), clientMsgId: JSON.parse(String(init.body)).clientMsgId });
      if (attempts.length === 1) {
        return new Response(JSON.stringify({ error: { code, message: 'down' } }), {
          status,
          headers: { 'content-type': 'application/json', 'retry-after': '1' },
        });
      }
      return new Response(JSON.stringify({ message: { id: '7', body: 'hi' }, duplicate: false }), {
        status: 201,
        headers: { 'content-type': 'application/json' },
      });
    }) as typeof globalThis.fetch;
    const client = new HubbubClient({ baseUrl: 'http://hubbub.invalid', token: 'hb_x', fetch, transports: ['longpoll'] });
    const sent = await client.send('1', 'hi');
    expect(sent.id).toBe('7');
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.clientMsgId).toBe(attempts[0]!.clientMsgId);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('does not retry a refusal', async () => {
    let calls = 0;
    const fetch = (async () => {
      calls++;
      return new Response(JSON.stringify({ error: { code: 'NOT_A_MEMBER', message: 'no' } }), {
        status: 403,
        headers: { 'content-type': 'application/json' },
      });
    }) as typeof globalThis.fetch;
    const client = new HubbubClient({ baseUrl: 'http://hubbub.invalid', token: 'hb_x', fetch, transports: ['longpoll'] });
    await expect(client.send('1', 'hi')).rejects.toMatchObject({ code: 'NOT_A_MEMBER', status: 403 });
    expect(calls).toBe(1);
  });
});
