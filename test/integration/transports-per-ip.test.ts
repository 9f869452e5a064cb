import { afterEach, describe, expect, it } from 'vitest';
import { http, registerUser } from '../helpers/cluster.js';
import { testServer } from '../helpers/server.js';
import { listen, RawSse, RawWs, waitFor } from './transports.helpers.js';

/**
 * One address may hold at most `maxConnectionsPerIp` live streams on a node —
 * WebSockets, SSE streams and long polls together — whichever accounts it
 * uses (the review held 800 sockets from one IP through 25 accounts). Past
 * the cap a request is refused with 429 TOO_MANY_CONNECTIONS before its
 * credential is looked up, so a burst of upgrades costs no store work.
 */
const PW = 'Velvet-Harbor-Quill-38';
const open: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

describe('per-address stream cap', () => {
  it('caps one IP across accounts and transports, refuses before any store work, and frees a slot when a stream ends', async () => {
    const s = await testServer({ maxConnectionsPerIp: 4 });
    open.push(() => s.close());
    const { baseUrl: base } = await listen(s);
    const [u1, u2, u3] = [
      await registerUser(base, 'ipone', PW),
      await registerUser(base, 'iptwo', PW),
      await registerUser(base, 'ipthree', PW),
    ];
    const head = (await http(base, 'GET', '/api/v1/sync', u3.token)).body.cursor as string;
    const perIp = s.app.hubbubStreams.perIp;

    const ws1 = RawWs.bearer(base, u1.token);
    open.push(() => ws1.ws.terminate());
    await ws1.next((f) => f.type === 'hello', 'hello 1');
    const sse = RawSse.bearer(base, u2.token);
    open.push(() => sse.close());
    await waitFor(() => sse.records.some((r) => r.event === 'hello'), 'sse hello');
    const abort = new AbortController();
    open.push(() => abort.abort());
    void fetch(`${base}/api/v1/sync?since=${head}&wait=30`, {
      headers: { authorization: `Bearer ${u3.token}` },
      signal: abort.signal,
    }).catch(() => undefined);
    const ws2 = RawWs.bearer(base, u1.token);
    open.push(() => ws2.ws.terminate());
    await ws2.next((f) => f.type === 'hello', 'hello 2');
    await waitFor(() => perIp.count('127.0.0.1') === 4, 'four streams counted');

    // Over the cap, on every transport and through any account; no credential is even looked up.
    let lookups = 0;
    const store = s.store as { getAuthToken: (h: string) => Promise<unknown> };
    const getAuthToken = store.getAuthToken.bind(s.store);
    store.getAuthToken = (h: string) => {
      lookups++;
      return getAuthToken(h);
    };
    const refusedWs = RawWs.bearer(base, u2.token);
    await refusedWs.closed;
    expect(refusedWs.unexpected).toBe(429);
    const anonymous = RawWs.bearer(base, 'hb_not-a-real-token');
    await anonymous.closed;
    expect(anonymous.unexpected).toBe(429);
    const sse2 = await fetch(`${base}/api/v1/events`, { headers: { authorization: `Bearer ${u3.token}` } });
    expect(sse2.status).toBe(429);
    expect((await sse2.json()).error.code).toBe('TOO_MANY_CONNECTIONS');
    const poll2 = await http(base, 'GET', `/api/v1/sync?since=${head}&wait=5`, u1.token);
    expect(poll2).toMatchObject({ status: 429, body: { error: { code: 'TOO_MANY_CONNECTIONS' } } });
    expect(lookups).toBe(0);
    store.getAuthToken = getAuthToken;
    // A request that is not a stream is not capped.
    expect((await http(base, 'GET', '/api/v1/sync', u1.token)).status).toBe(200);

    // A stream that ends frees its slot.
    ws1.ws.close();
    await waitFor(() => perIp.count('127.0.0.1') === 3, 'slot freed');
    const ws3 = RawWs.bearer(base, u2.token);
    open.push(() => ws3.ws.terminate());
    await ws3.next((f) => f.type === 'hello', 'hello 3');
    expect(perIp.count('127.0.0.1')).toBe(4);
  });

  it('counts long polls the fast path holds, too', async () => {
    const s = await testServer({ maxConnectionsPerIp: 2 });
    open.push(() => s.close());
    const { baseUrl: base } = await listen(s);
    const u = await registerUser(base, 'ipfast', PW);
    const head = (await http(base, 'GET', '/api/v1/sync', u.token)).body.cursor as string; // caches the credential: later polls take the fast path
    const perIp = s.app.hubbubStreams.perIp;
    const aborts: AbortController[] = [];
    open.push(() => {
      for (const a of aborts) a.abort();
    });
    for (let i = 1; i <= 2; i++) {
      const a = new AbortController();
      aborts.push(a);
      void fetch(`${base}/api/v1/sync?since=${head}&wait=30`, { headers: { authorization: `Bearer ${u.token}` }, signal: a.signal }).catch(
        () => undefined,
      );
      await waitFor(() => perIp.count('127.0.0.1') === i && s.hub.connectionsOf(u.id) === i, `poll ${i} waiting`);
    }
    const third = await http(base, 'GET', `/api/v1/sync?since=${head}&wait=5`, u.token);
    expect(third).toMatchObject({ status: 429, body: { error: { code: 'TOO_MANY_CONNECTIONS' } } });
    aborts[0]!.abort();
    await waitFor(() => perIp.count('127.0.0.1') === 1, 'a poll that ends frees its slot');
  });
});
