import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';
import type { Server } from '../../src/server.js';

describe('messages: idempotency and bad input', () => {
  let s: Server;
  let alice: Api, bob: Api;
  let conv: string;

  const count = async () => (await alice.call('GET', `/api/v1/conversations/${conv}/messages?limit=100`)).body.messages.length;
  const head = async () => s.store.headSeq();

  beforeAll(async () => {
    s = await testServer({ bodyLimit: 16 * 1024 });
    [alice, bob] = [await userApi(s, 'alice'), await userApi(s, 'bob')];
    await befriend(alice, bob);
    conv = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id;
  });
  afterAll(() => s.close());

  test('the same clientMsgId sent twice stores one message and answers the same id', async () => {
    const before = await count();
    const a = await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body: 'once', clientMsgId: 'retry-1' });
    const b = await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body: 'once', clientMsgId: 'retry-1' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(200);
    expect(b.body.duplicate).toBe(true);
    expect(b.body.message).toEqual(a.body.message);
    expect(await count()).toBe(before + 1);
    // Another sender may use the same clientMsgId: ids are per sender.
    const c = await bob.call('POST', `/api/v1/conversations/${conv}/messages`, { body: 'mine', clientMsgId: 'retry-1' });
    expect(c.status).toBe(201);
    expect(c.body.message.id).not.toBe(a.body.message.id);
  });

  const raw = (payload: string | Buffer, contentType = 'application/json') =>
    s.app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${conv}/messages`,
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': contentType },
      payload,
    });

  const table: Array<[string, () => Promise<{ statusCode: number; json(): any }>, number, string]> = [
    ['malformed JSON', () => raw('{"body": "hi"'), 400, 'INVALID_JSON'],
    [
      'invalid UTF-8',
      () => raw(Buffer.from([0x7b, 0x22, 0x62, 0x6f, 0x64, 0x79, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])),
      400,
      'INVALID_JSON',
    ],
    ['body of the wrong type', () => raw(JSON.stringify({ body: 42 })), 400, 'VALIDATION_FAILED'],
    ['body missing', () => raw(JSON.stringify({})), 400, 'VALIDATION_FAILED'],
    ['an unknown field', () => raw(JSON.stringify({ body: 'hi', admin: true })), 400, 'VALIDATION_FAILED'],
    ['a JSON array', () => raw('[1,2]'), 400, 'VALIDATION_FAILED'],
    ['an empty body', () => raw(JSON.stringify({ body: '' })), 400, 'BODY_EMPTY'],
    ['a blank body', () => raw(JSON.stringify({ body: ' \n\t ' })), 400, 'BODY_EMPTY'],
    ['a 4,001-character body', () => raw(JSON.stringify({ body: 'x'.repeat(4001) })), 400, 'BODY_TOO_LONG'],
    ['a clientMsgId over 64 characters', () => raw(JSON.stringify({ body: 'hi', clientMsgId: 'x'.repeat(65) })), 400, 'VALIDATION_FAILED'],
    ['an oversize request', () => raw(JSON.stringify({ body: 'x'.repeat(20_000) })), 413, 'PAYLOAD_TOO_LARGE'],
    ['a form instead of JSON', () => raw('body=hi', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    [
      'an unknown conversation',
      () =>
        s.app.inject({
          method: 'POST',
          url: '/api/v1/conversations/999999/messages',
          headers: { authorization: `Bearer ${alice.token}` },
          payload: { body: 'hi' },
        }),
      404,
      'CONVERSATION_NOT_FOUND',
    ],
    [
      'a conversation id that is not one',
      () =>
        s.app.inject({
          method: 'POST',
          url: '/api/v1/conversations/abc/messages',
          headers: { authorization: `Bearer ${alice.token}` },
          payload: { body: 'hi' },
        }),
      404,
      'CONVERSATION_NOT_FOUND',
    ],
    [
      'no credentials',
      () => s.app.inject({ method: 'POST', url: `/api/v1/conversations/${conv}/messages`, payload: { body: 'hi' } }),
      401,
      'AUTH_REQUIRED',
    ],
    [
      'a wrong bearer token',
      () =>
        s.app.inject({
          method: 'POST',
          url: `/api/v1/conversations/${conv}/messages`,
          headers: { authorization: 'Bearer nope' },
          payload: { body: 'hi' },
        }),
      401,
      'AUTH_REQUIRED',
    ],
  ];

  test.each(table)('%s gets its documented code and stores nothing', async (_name, send, status, code) => {
    const [n, h] = [await count(), await head()];
    const res = await send();
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(typeof res.json().error.message).toBe('string');
    expect(await count()).toBe(n);
    expect(await head()).toBe(h);
  });

  test('exactly 4,000 characters (after trimming) is accepted; astral characters count once', async () => {
    const r = await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body: '  ' + 'y'.repeat(4000) + '  ' });
    expect(r.status).toBe(201);
    expect(r.body.message.body).toHaveLength(4000);
    const emoji = await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body: '😀'.repeat(4000) });
    expect(emoji.status).toBe(201);
  });

  test.each([
    ['not a cursor', 'hello'],
    ['a number', '12'],
    ['uppercase', 'cAB'],
    ['too long', 'c' + 'z'.repeat(20)],
  ])('a cursor that is not one (%s) gets INVALID_CURSOR', async (_n, cursor) => {
    const r = await alice.call('GET', `/api/v1/sync?since=${encodeURIComponent(cursor)}`);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('INVALID_CURSOR');
  });

  test('a cursor beyond the log (a replaced database) gets CURSOR_EXPIRED', async () => {
    const r = await alice.call('GET', `/api/v1/sync?since=c${(1e9).toString(36)}`);
    expect(r.status).toBe(410);
    expect(r.body.error.code).toBe('CURSOR_EXPIRED');
  });

  test('a cursor before the retained history gets CURSOR_EXPIRED', async () => {
    const h = await s.store.headSeq();
    await s.hub.prune(3);
    const r = await alice.call('GET', '/api/v1/sync?since=c1');
    expect(r.status).toBe(410);
    expect(r.body.error.code).toBe('CURSOR_EXPIRED');
    const ok = await alice.call('GET', `/api/v1/sync?since=c${h.toString(36)}`);
    expect(ok.status).toBe(200);
  });

  test('history paging by before/limit, newest last, limit at most 100', async () => {
    const all = (await alice.call('GET', `/api/v1/conversations/${conv}/messages?limit=100`)).body.messages;
    const last2 = (await alice.call('GET', `/api/v1/conversations/${conv}/messages?limit=2`)).body.messages;
    expect(last2).toEqual(all.slice(-2));
    const prev = (await alice.call('GET', `/api/v1/conversations/${conv}/messages?limit=2&before=${last2[0].id}`)).body.messages;
    expect(prev).toEqual(all.slice(-4, -2));
    const tooMany = await alice.call('GET', `/api/v1/conversations/${conv}/messages?limit=101`);
    expect(tooMany.body.error.code).toBe('VALIDATION_FAILED');
  });

  test('an unknown route is a catalog 404', async () => {
    const r = await alice.call('GET', '/api/v1/nope');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NOT_FOUND');
  });
});
