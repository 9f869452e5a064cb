import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer, userApi, type Api } from '../helpers/server.js';
import type { Server } from '../../src/server.js';
import { BAD_FRAME_LIMIT, MAX_PAYLOAD } from '../../src/transports/websocket.js';
import { listen, RawWs, waitFor } from './transports.helpers.js';

describe('WebSocket protocol', () => {
  let server: Server;
  let baseUrl: string;
  let alice: Api;
  let lobbyId: string;

  beforeAll(async () => {
    server = await testServer({ rateLimits: { send: 4 } });
    ({ baseUrl } = await listen(server));
    alice = await userApi(server, 'alice');
    lobbyId = (await alice.call('GET', '/api/v1/rooms')).body.rooms[0].id;
    await alice.call('POST', `/api/v1/conversations/${lobbyId}/join`);
  });

  afterAll(async () => {
    await server?.close();
  });

  async function open(query = ''): Promise<RawWs> {
    const c = RawWs.bearer(baseUrl, alice.token, query);
    await c.next((f) => f.type === 'hello', 'hello');
    return c;
  }

  it('starts with hello (cursor = head, the user) and answers ping, send and read with acks carrying the ref', async () => {
    const head = (await alice.call('GET', '/api/v1/sync')).body.cursor;
    const c = await open();
    expect(c.frames[0]).toMatchObject({ type: 'hello', cursor: head, user: { id: alice.user.id, username: 'alice' } });
    expect(await c.request({ type: 'ping', ref: 'p1' })).toEqual({ type: 'ack', ref: 'p1' });
    const sent = await c.request({ type: 'send', ref: 's1', conversationId: lobbyId, body: '  hello  ', clientMsgId: 'cm-1' });
    expect(sent).toMatchObject({
      type: 'ack',
      ref: 's1',
      duplicate: false,
      message: { body: 'hello', clientMsgId: 'cm-1', conversationId: lobbyId },
    });
    const again = await c.request({ type: 'send', ref: 's2', conversationId: lobbyId, body: 'hello', clientMsgId: 'cm-1' });
    expect(again).toMatchObject({ type: 'ack', ref: 's2', duplicate: true, message: { id: sent.message.id } });
    // The stored event arrives on the same socket, once.
    await c.next((f) => f.type === 'message.created' && f.message.id === sent.message.id, 'the event');
    expect(await c.request({ type: 'read', ref: 'r1', conversationId: lobbyId, upTo: sent.message.id })).toEqual({
      type: 'ack',
      ref: 'r1',
    });
    // Refusals are errors with the ref, the socket stays.
    expect(await c.request({ type: 'send', ref: 's3', conversationId: '99999', body: 'x' })).toMatchObject({
      type: 'error',
      ref: 's3',
      error: { code: 'CONVERSATION_NOT_FOUND' },
    });
    expect(await c.request({ type: 'send', ref: 's4', conversationId: lobbyId, body: 'y'.repeat(4001) })).toMatchObject({
      type: 'error',
      ref: 's4',
      error: { code: 'BODY_TOO_LONG' },
    });
    expect(await c.request({ type: 'typing', ref: 't1', conversationId: '99999' })).toMatchObject({
      type: 'error',
      ref: 't1',
      error: { code: 'NOT_A_MEMBER' },
    });
    expect(c.events().filter((e) => e.type === 'message.created')).toHaveLength(1);
    c.ws.close();
  });

  it('answers each kind of malformed frame with an error and keeps the connection', async () => {
    const c = await open();
    const cases: Array<[unknown, string, string | null]> = [
      ['this is not json', 'INVALID_JSON', null],
      ['[1,2,3]', 'VALIDATION_FAILED', null],
      [{ type: 'launch', ref: 'u1' }, 'UNKNOWN_FRAME_TYPE', 'u1'],
      [{ type: 'ping' }, 'VALIDATION_FAILED', null],
      [{ type: 'ping', ref: 'x'.repeat(65) }, 'VALIDATION_FAILED', null],
      [{ type: 'send', ref: 'w1', conversationId: 7, body: 'hi' }, 'VALIDATION_FAILED', 'w1'],
      [{ type: 'send', ref: 'w2', conversationId: lobbyId }, 'VALIDATION_FAILED', 'w2'],
      [{ type: 'ping', ref: 'w3', extra: true }, 'VALIDATION_FAILED', 'w3'],
    ];
    for (const [frame, code, ref] of cases) {
      const from = c.frames.length;
      c.send(frame);
      const err = await c.next((f) => f.type === 'error', `error for ${JSON.stringify(frame)}`, from);
      expect(err).toMatchObject({ type: 'error', ref, error: { code } });
      expect(typeof err.error.message).toBe('string');
    }
    const from = c.frames.length;
    c.ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binary: true });
    expect(await c.next((f) => f.type === 'error', 'error for binary', from)).toMatchObject({ ref: null, error: { code: 'BINARY_FRAME' } });
    // Still alive and well.
    expect(await c.request({ type: 'ping', ref: 'alive' })).toEqual({ type: 'ack', ref: 'alive' });
    expect(c.closeInfo).toBeNull();
    c.ws.close();
  });

  it(`closes with 1009 on a frame over ${MAX_PAYLOAD} bytes, and the server stays up`, async () => {
    const c = await open();
    c.send({ type: 'send', ref: 'big', conversationId: lobbyId, body: 'z'.repeat(MAX_PAYLOAD) });
    expect((await c.closed).code).toBe(1009);
    const d = await open();
    expect(await d.request({ type: 'ping', ref: 'after' })).toEqual({ type: 'ack', ref: 'after' });
    d.ws.close();
  });

  it(`closes with 1008 after ${BAD_FRAME_LIMIT} malformed frames in 10 s`, async () => {
    const c = await open();
    for (let i = 0; i < BAD_FRAME_LIMIT; i++) c.send('{oops');
    const info = await c.closed;
    expect(info.code).toBe(1008);
    expect(c.frames.filter((f) => f.error?.code === 'INVALID_JSON')).toHaveLength(BAD_FRAME_LIMIT);
    expect(c.frames.at(-1)).toMatchObject({ type: 'error', error: { code: 'TOO_MANY_BAD_FRAMES' } });
    const res = await fetch(`${baseUrl}/healthz`);
    expect(res.status).toBe(200);
  });

  it('rate-limits sends per user with an error frame, not a close', async () => {
    const carol = await userApi(server, 'carol');
    await carol.call('POST', `/api/v1/conversations/${lobbyId}/join`);
    const c = RawWs.bearer(baseUrl, carol.token);
    await c.next((f) => f.type === 'hello', 'hello');
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await c.request({ type: 'send', ref: `rl${i}`, conversationId: lobbyId, body: `n${i}` }));
    expect(replies.map((r) => r.type)).toEqual(['ack', 'ack', 'ack', 'ack', 'error']); // the limit is 4 per 10 s
    expect(replies[4]).toMatchObject({ ref: 'rl4', error: { code: 'RATE_LIMITED' } });
    expect(await c.request({ type: 'ping', ref: 'still-here' })).toEqual({ type: 'ack', ref: 'still-here' });
    c.ws.close();
  });

  it('resumes from ?since=, and sends an unservable cursor an error then 4010', async () => {
    const head = (await alice.call('GET', '/api/v1/sync')).body.cursor;
    await server.chat.send(alice.user as never, lobbyId, 'while away', null);
    const c = await open(`?since=${head}`);
    expect(c.frames[0].cursor).toBe(head);
    await c.next((f) => f.type === 'message.created' && f.message.body === 'while away', 'the missed message');
    c.ws.close();

    for (const cursor of ['czzzzzzz', 'not-a-cursor']) {
      const bad = RawWs.bearer(baseUrl, alice.token, `?since=${cursor}`);
      const info = await bad.closed;
      expect(info.code).toBe(4010);
      expect(bad.frames).toHaveLength(1);
      expect(bad.frames[0]).toMatchObject({
        type: 'error',
        ref: null,
        error: { code: cursor === 'not-a-cursor' ? 'INVALID_CURSOR' : 'CURSOR_EXPIRED' },
      });
    }
  });

  it('refuses a socket without credentials with 4501, and a bad bearer before the upgrade', async () => {
    const anon = new RawWs(baseUrl.replace(/^http/, 'ws') + '/api/v1/ws');
    expect((await anon.closed).code).toBe(4501);
    expect(anon.frames[0]).toMatchObject({ type: 'error', error: { code: 'STREAM_AUTH_REQUIRED' } });
    const bad = new RawWs(baseUrl.replace(/^http/, 'ws') + '/api/v1/ws', { authorization: 'Bearer hb_nope' });
    await bad.closed;
    expect(bad.unexpected).toBe(401);
  });

  it('checks Origin for cookie sessions: same host passes, another origin gets 4503; bearer needs no Origin', async () => {
    const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'hubbub-pass-4821' }),
    });
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const wsUrl = baseUrl.replace(/^http/, 'ws') + '/api/v1/ws';
    const same = new RawWs(wsUrl, { cookie, origin: baseUrl });
    await same.next((f) => f.type === 'hello', 'hello for the same origin');
    same.ws.close();
    const evil = new RawWs(wsUrl, { cookie, origin: 'https://evil.example' });
    expect((await evil.closed).code).toBe(4503);
    expect(evil.frames[0]).toMatchObject({ type: 'error', error: { code: 'ORIGIN_FORBIDDEN' } });
    const bearer = new RawWs(wsUrl, { authorization: `Bearer ${alice.token}`, origin: 'https://evil.example' });
    await bearer.next((f) => f.type === 'hello', 'hello for a bearer token');
    bearer.ws.close();
  });

  it('honours allowedOrigins when configured', async () => {
    const s = await testServer({ allowedOrigins: ['https://chat.example.org'] });
    try {
      const { baseUrl: url } = await listen(s);
      await userApi(s, 'bob');
      const login = await fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bob', password: 'hubbub-pass-4821' }),
      });
      const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
      const wsUrl = url.replace(/^http/, 'ws') + '/api/v1/ws';
      const ok = new RawWs(wsUrl, { cookie, origin: 'https://chat.example.org' });
      await ok.next((f) => f.type === 'hello', 'hello for an allowed origin');
      ok.ws.close();
      const sameHost = new RawWs(wsUrl, { cookie, origin: url });
      expect((await sameHost.closed).code).toBe(4503);
    } finally {
      await s.close();
    }
  });

  it('closes live sockets with 4002 when the server shuts down, and detaches them', async () => {
    const s = await testServer();
    const { baseUrl: url } = await listen(s);
    const bob = await userApi(s, 'bob');
    const c = RawWs.bearer(url, bob.token);
    await c.next((f) => f.type === 'hello', 'hello');
    await waitFor(() => s.hub.stats().sessions === 1, 'the session');
    await s.close();
    expect(await c.closed).toEqual({ code: 4002, reason: 'SHUTTING_DOWN' });
    expect(s.hub.stats().sessions).toBe(0);
  });
});
