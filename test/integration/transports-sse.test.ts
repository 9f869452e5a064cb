import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';
import type { Server } from '../../src/server.js';
import { listen, RawSse, waitFor } from './transports.helpers.js';

describe('Server-Sent Events', () => {
  let server: Server;
  let baseUrl: string;
  let alice: Api;
  let bob: Api;
  let groupId: string;

  beforeAll(async () => {
    server = await testServer({ rateLimits: { typing: 2 } });
    ({ baseUrl } = await listen(server));
    alice = await userApi(server, 'alice');
    bob = await userApi(server, 'bob');
    await befriend(alice, bob);
    groupId = (await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'pair', members: ['bob'] })).body.conversation.id;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('sends hello, then each event as id + data (the shared frame), and signals as data without id', async () => {
    const head = (await bob.call('GET', '/api/v1/sync')).body.cursor;
    const s = RawSse.bearer(baseUrl, bob.token);
    await waitFor(() => s.records.length >= 1, 'hello');
    expect(s.status).toBe(200);
    expect(s.records[0]).toEqual({ event: 'hello', data: JSON.stringify({ cursor: head }), id: null });
    const sent = (await alice.call('POST', `/api/v1/conversations/${groupId}/messages`, { body: 'over sse' })).body.message;
    await waitFor(() => s.events().length === 1, 'the event');
    const rec = s.records.find((r) => r.id !== null)!;
    expect(JSON.parse(rec.data)).toMatchObject({ cursor: rec.id, type: 'message.created', message: { id: sent.id } });
    // Exactly the bytes the other transports send.
    const poll = (await bob.call('GET', `/api/v1/sync?since=${head}`)).body.events;
    expect(JSON.parse(rec.data)).toEqual(poll[0]);
    expect((await alice.call('POST', `/api/v1/conversations/${groupId}/typing`)).status).toBe(200);
    await waitFor(() => s.signals().length === 1, 'the typing signal');
    expect(s.signals()[0]).toMatchObject({ type: 'typing', conversationId: groupId, userId: alice.user.id });
    s.close();
  });

  it('resumes from Last-Event-ID over ?since=, and from ?since= alone', async () => {
    const head = (await bob.call('GET', '/api/v1/sync')).body.cursor;
    await alice.call('POST', `/api/v1/conversations/${groupId}/messages`, { body: 'one' });
    const mid = (await bob.call('GET', '/api/v1/sync')).body.cursor;
    await alice.call('POST', `/api/v1/conversations/${groupId}/messages`, { body: 'two' });

    const bySince = RawSse.bearer(baseUrl, bob.token, `?since=${head}`);
    await waitFor(() => bySince.events().length === 2, 'both messages');
    expect(bySince.events().map((e) => e.message.body)).toEqual(['one', 'two']);
    bySince.close();

    // What EventSource does on reconnect: the original URL, plus the last id it saw.
    const byHeader = RawSse.bearer(baseUrl, bob.token, `?since=${head}`, { 'last-event-id': mid });
    await waitFor(() => byHeader.events().length === 1, 'the message after Last-Event-ID');
    expect(byHeader.records[0]!.data).toBe(JSON.stringify({ cursor: mid }));
    expect(byHeader.events()[0].message.body).toBe('two');
    byHeader.close();
  });

  it('answers an unservable cursor with an error event and ends the response', async () => {
    for (const [cursor, code] of [
      ['czzzzzzz', 'CURSOR_EXPIRED'],
      ['bogus', 'INVALID_CURSOR'],
    ] as const) {
      const s = RawSse.bearer(baseUrl, bob.token, `?since=${cursor}`);
      await s.done;
      expect(s.records).toHaveLength(1);
      expect(s.records[0]!.event).toBe('error');
      expect(JSON.parse(s.records[0]!.data)).toMatchObject({ error: { code } });
    }
  });

  it('needs credentials (401 JSON before the stream starts)', async () => {
    const res = await fetch(`${baseUrl}/api/v1/events`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'AUTH_REQUIRED' } });
  });

  it('detaches a closed connection at once', async () => {
    const s = RawSse.bearer(baseUrl, bob.token);
    await waitFor(() => server.hub.stats().byKind.sse === 1, 'the stream to attach');
    expect(server.hub.stats().sessions).toBe(1);
    s.close();
    await waitFor(() => (server.hub.stats().byKind.sse ?? 0) === 0 && server.hub.stats().sessions === 0, 'the stream to detach');
  });

  it('ends streams with a SHUTTING_DOWN error event when the server closes', async () => {
    const s2 = await testServer();
    const { baseUrl: url } = await listen(s2);
    const carol = await userApi(s2, 'carol');
    const s = RawSse.bearer(url, carol.token);
    await waitFor(() => s.records.length === 1, 'hello');
    await s2.close();
    await s.done;
    expect(s.records.at(-1)!.event).toBe('error');
    expect(JSON.parse(s.records.at(-1)!.data)).toMatchObject({ error: { code: 'SHUTTING_DOWN' } });
  });

  it('rate-limits typing per user (config.rateLimits.typing per 10 s) and checks membership', async () => {
    const carol = await userApi(server, 'carol2');
    expect((await carol.call('POST', `/api/v1/conversations/${groupId}/typing`)).body).toMatchObject({ error: { code: 'NOT_A_MEMBER' } });
    const dave = await userApi(server, 'dave');
    await befriend(alice, dave);
    await alice.call('POST', `/api/v1/conversations/${groupId}/members`, { username: 'dave' });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await dave.call('POST', `/api/v1/conversations/${groupId}/typing`)).status);
    expect(codes).toEqual([200, 200, 429]);
  });
});
