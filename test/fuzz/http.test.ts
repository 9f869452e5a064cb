import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';
import type { Server } from '../../src/server.js';

/**
 * Property: whatever arrives — any JSON value, any bytes, any query string — the
 * server answers below 500 with a catalog error, and a refused request changes
 * nothing (the log head and the message count stay put).
 */
const RUNS = Number(process.env.HUBBUB_FUZZ_RUNS ?? 500);
const fuzzCounts: Record<string, number> = {};

describe('fuzzing the HTTP API', () => {
  let s: Server;
  let alice: Api;
  let conv: string;

  beforeAll(async () => {
    s = await testServer();
    alice = await userApi(s, 'alice');
    const bob = await userApi(s, 'bob');
    await befriend(alice, bob);
    conv = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id;
  });
  afterAll(async () => {
    await s.close();
    console.log(`fuzz cases run: ${JSON.stringify(fuzzCounts)}`);
  });

  const state = async () => ({
    head: await s.store.headSeq(),
    messages: (await s.store.listMessages(conv, null, 100)).length,
    users: (await s.store.listUsers(1000, 0)).length,
  });

  const routes: Array<[string, string]> = [
    ['POST', `/api/v1/conversations/CONV/messages`],
    ['POST', '/api/v1/conversations'],
    ['POST', '/api/v1/friends/requests'],
    ['POST', '/api/v1/auth/register'],
    ['POST', '/api/v1/auth/login'],
    ['POST', '/api/v1/conversations/CONV/read'],
    ['PATCH', '/api/v1/conversations/CONV'],
    ['POST', '/api/v1/conversations/CONV/members'],
  ];

  const check = async (method: string, url: string, headers: Record<string, string>, payload: string | Buffer) => {
    const before = await state();
    const res = await s.app.inject({
      method: method as 'POST',
      url,
      headers: { authorization: `Bearer ${alice.token}`, ...headers },
      payload,
    });
    expect(res.statusCode, `${method} ${url} ${String(payload).slice(0, 80)}`).toBeLessThan(500);
    if (res.statusCode >= 400) {
      expect(typeof res.json().error.code).toBe('string');
      expect(await state()).toEqual(before);
    }
  };

  test('any JSON value as a body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.jsonValue({ maxDepth: 3 }), async ([method, url], value) => {
        fuzzCounts.json = (fuzzCounts.json ?? 0) + 1;
        await check(method, url.replace('CONV', conv), { 'content-type': 'application/json' }, JSON.stringify(value) ?? 'null');
      }),
      { numRuns: RUNS },
    );
  });

  test('objects with the right keys and wrong values', async () => {
    const anyValue = fc.oneof(
      fc.string({ maxLength: 50 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.string({ minLength: 4001, maxLength: 4100 }),
    );
    const shape = fc.record(
      {
        body: anyValue,
        clientMsgId: anyValue,
        kind: anyValue,
        name: anyValue,
        username: anyValue,
        password: anyValue,
        upTo: anyValue,
        members: anyValue,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), shape, async ([method, url], value) => {
        fuzzCounts.shapes = (fuzzCounts.shapes ?? 0) + 1;
        await check(method, url.replace('CONV', conv), { 'content-type': 'application/json' }, JSON.stringify(value));
      }),
      { numRuns: RUNS },
    );
  });

  test('arbitrary bytes under any content type', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream'),
        async ([method, url], bytes, type) => {
          fuzzCounts.bytes = (fuzzCounts.bytes ?? 0) + 1;
          await check(method, url.replace('CONV', conv), { 'content-type': type }, Buffer.from(bytes));
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('query strings and path segments', async () => {
    const gets = [
      '/api/v1/sync',
      `/api/v1/conversations/${conv}/messages`,
      '/api/v1/users',
      '/api/v1/rooms/lobby/messages',
      '/api/v1/conversations/X',
      '/api/v1/rooms/X/messages',
    ];
    const q = fc.dictionary(
      fc.constantFrom('since', 'wait', 'limit', 'before', 'prefix', 'x'),
      fc.oneof(fc.string({ maxLength: 40 }), fc.integer().map(String), fc.constant('c1'), fc.constant('')),
      { maxKeys: 4 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...gets), q, fc.string({ maxLength: 30 }), async (path, query, seg) => {
        fuzzCounts.query = (fuzzCounts.query ?? 0) + 1;
        // wait>0 would hold the request; long polls are exercised elsewhere.
        if ('wait' in query) query.wait = '0';
        const url = path.replace('X', encodeURIComponent(seg) || 'x') + '?' + new URLSearchParams(query).toString();
        const res = await s.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${alice.token}` } });
        expect(res.statusCode, url).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  });

  test('raw sync query strings over a real socket (the long-poll fast path, then Fastify)', async () => {
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (s.app.server.address() as { port: number }).port;
    const head = (await alice.call('GET', '/api/v1/sync')).body.cursor as string; // also caches the token
    const raw = fc.array(fc.constantFrom(...'abcz019%+&=.-_~'.split('')), { maxLength: 12 }).map((cs) => cs.join(''));
    const value = fc.oneof(raw, fc.constant('c1'), fc.constant(head), fc.integer({ min: -5, max: 99 }).map(String), fc.constant(''));
    const pair = fc
      .tuple(fc.constantFrom('since', 'wait', 'limit', 'x', 'si%6Ece', ''), value)
      .map(([k, v]) => (k === '' ? v : `${k}=${v}`));
    await fc.assert(
      fc.asyncProperty(fc.array(pair, { maxLength: 5 }), async (pairs) => {
        fuzzCounts.syncRaw = (fuzzCounts.syncRaw ?? 0) + 1;
        // A valid wait on the head cursor would hold the request until a message: that is the
        // long-poll tests' job. Everything else must answer at once.
        if (pairs.some((p) => p.includes(`=${head}`)) && pairs.some((p) => /(^|&)wait=\d/.test(p))) return;
        const path = '/api/v1/sync?' + pairs.join('&');
        const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = http.get(
            { host: '127.0.0.1', port, path, agent: false, headers: { authorization: `Bearer ${alice.token}` } },
            (r) => {
              let body = '';
              r.setEncoding('utf8');
              r.on('data', (c) => (body += c));
              r.on('end', () => resolve({ status: r.statusCode!, body }));
            },
          );
          req.setTimeout(5000, () => req.destroy(new Error(`no answer in 5 s: ${path}`)));
          req.on('error', reject);
        });
        expect(res.status, path).toBeLessThan(500);
        const json = JSON.parse(res.body);
        if (res.status === 200) expect(Array.isArray(json.events) && typeof json.cursor === 'string', path).toBe(true);
        else expect(typeof json.error.code, path).toBe('string');
      }),
      { numRuns: Math.min(RUNS, 300) },
    );
  });
});
