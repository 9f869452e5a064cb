import WebSocket from 'ws';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { HubbubClient, HubbubError, type Message, type TransportName } from '../../client/index.js';
import type { Server } from '../../src/server.js';
import { testServer, userApi } from '../helpers/server.js';
import { listen, waitFor } from './transports.helpers.js';

/** An app extension that answers 403 on the given paths, as a proxy that blocks them would. */
function refuse(...prefixes: string[]) {
  return (app: FastifyInstance) => {
    app.addHook('onRequest', async (req, reply) => {
      if (prefixes.some((p) => req.url.startsWith(p)))
        return reply.code(403).send({ error: { code: 'FORBIDDEN', message: 'blocked for the test' } });
    });
  };
}

describe('SDK transport fallback', () => {
  let server: Server | null = null;
  const clients: HubbubClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
    server = null;
  });

  async function scenario(
    refused: string[],
  ): Promise<{ client: HubbubClient; transports: TransportName[]; roundTrip: () => Promise<void> }> {
    server = await testServer({}, { extensions: [refuse(...refused)] });
    const { baseUrl } = await listen(server);
    const me = await userApi(server, 'myself');
    const other = await userApi(server, 'other');
    const lobby = (await me.call('GET', '/api/v1/rooms')).body.rooms[0];
    await me.call('POST', `/api/v1/conversations/${lobby.id}/join`);
    await other.call('POST', `/api/v1/conversations/${lobby.id}/join`);
    const client = new HubbubClient({ baseUrl, token: me.token, WebSocket, backoff: { baseMs: 20, maxMs: 200 }, longPollWait: 5 });
    clients.push(client);
    const transports: TransportName[] = [];
    client.on('transport', (t) => transports.push(t));
    const got: Message[] = [];
    client.on('message', (m) => got.push(m));
    await client.connect();
    const roundTrip = async () => {
      const mine = await client.send(lobby.id, 'from me');
      expect(mine.body).toBe('from me');
      await other.call('POST', `/api/v1/conversations/${lobby.id}/messages`, { body: 'from other' });
      await waitFor(() => got.some((m) => m.body === 'from other') && got.some((m) => m.id === mine.id), 'both messages on the stream');
    };
    return { client, transports, roundTrip };
  }

  it('uses the WebSocket when nothing is refused', async () => {
    const { client, transports, roundTrip } = await scenario([]);
    expect(client.transport).toBe('ws');
    expect(transports).toEqual(['ws']);
    await roundTrip();
  });

  it('falls back to SSE when WebSocket upgrades are refused', async () => {
    const { client, transports, roundTrip } = await scenario(['/api/v1/ws']);
    expect(client.transport).toBe('sse');
    expect(transports).toEqual(['ws', 'sse']);
    await roundTrip();
  });

  it('falls back to long poll when SSE is refused too', async () => {
    const { client, transports, roundTrip } = await scenario(['/api/v1/ws', '/api/v1/events']);
    expect(client.transport).toBe('longpoll');
    expect(transports).toEqual(['ws', 'sse', 'longpoll']);
    await roundTrip();
  });

  it('starts on SSE when it has a token but no WebSocket constructor that can send it', async () => {
    server = await testServer();
    const { baseUrl } = await listen(server);
    const me = await userApi(server, 'myself');
    const client = new HubbubClient({ baseUrl, token: me.token }); // Node 20: no global WebSocket; a browser's could not send the token
    clients.push(client);
    const transports: TransportName[] = [];
    client.on('transport', (t) => transports.push(t));
    await client.connect();
    expect(transports).toEqual(['sse']);
  });

  it('does not fall back while the server is down: it waits on the same transport', async () => {
    server = await testServer();
    const { port, baseUrl } = await listen(server);
    const me = await userApi(server, 'myself');
    const { dataDir } = server as Server & { dataDir: string };
    const client = new HubbubClient({ baseUrl, token: me.token, WebSocket, backoff: { baseMs: 20, maxMs: 100 } });
    clients.push(client);
    const statuses: string[] = [];
    client.on('status', (s) => statuses.push(s));
    await client.connect();
    await server.close();
    await waitFor(() => statuses.at(-1) === 'connecting', 'the client to notice');
    server = await testServer({ dataDir });
    await listen(server, port);
    await waitFor(() => client.status === 'online', 'the client to come back', 15_000);
    expect(client.transport).toBe('ws');
  });
});

describe('SDK resets, credentials and signals', () => {
  let server: Server | null = null;
  const clients: HubbubClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
    server = null;
  });

  it.each<TransportName>(['ws', 'sse', 'longpoll'])('over %s: an unservable cursor becomes a reset with a fresh head', async (t) => {
    server = await testServer();
    const { baseUrl } = await listen(server);
    const me = await userApi(server, 'myself');
    const head = (await me.call('GET', '/api/v1/sync')).body.cursor as string;
    // A cursor far ahead of the log, as after the database was replaced.
    const client = new HubbubClient({
      baseUrl,
      token: me.token,
      WebSocket,
      transports: [t],
      cursor: 'czzzzzz',
      backoff: { baseMs: 20, maxMs: 100 },
      longPollWait: 5,
    });
    clients.push(client);
    let resets = 0;
    client.on('reset', () => resets++);
    await client.connect();
    expect(resets).toBe(1);
    expect(client.cursor).toBe(head);
    expect(client.transport).toBe(t);
  });

  it('logs in with a cookie session in Node and follows the stream over the WebSocket', async () => {
    server = await testServer();
    const { baseUrl } = await listen(server);
    await userApi(server, 'cookie-user');
    const friend = await userApi(server, 'friend');
    const client = new HubbubClient({ baseUrl, WebSocket });
    clients.push(client);
    await client.api.login('cookie-user', 'hubbub-pass-4821');
    expect(client.api.cookie).toMatch(/^hubbub_session=/);
    const lobby = (await client.api.rooms())[0]!;
    await client.api.join(lobby.id); // a cookie mutation: needs the CSRF token the login returned
    await friend.call('POST', `/api/v1/conversations/${lobby.id}/join`);
    const got: Message[] = [];
    client.on('message', (m) => got.push(m));
    await client.connect();
    expect(client.transport).toBe('ws');
    await friend.call('POST', `/api/v1/conversations/${lobby.id}/messages`, { body: 'hello cookie' });
    await waitFor(() => got.length === 1, 'the message');
    expect((await client.send(lobby.id, 'with cookie')).body).toBe('with cookie');
  });

  it('stops on bad credentials instead of reconnecting', async () => {
    server = await testServer();
    const { baseUrl } = await listen(server);
    const client = new HubbubClient({ baseUrl, token: 'hb_not-a-token', WebSocket, backoff: { baseMs: 20, maxMs: 100 } });
    clients.push(client);
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    await expect(client.connect()).rejects.toMatchObject({ code: 'AUTH_REQUIRED', status: 401 });
    expect(client.status).toBe('offline');
    expect(errors).toHaveLength(1);
  });

  it('send() rejects a refusal at once and does not retry it', async () => {
    server = await testServer();
    const { baseUrl } = await listen(server);
    const me = await userApi(server, 'myself');
    const group = (await me.call('POST', '/api/v1/conversations', { kind: 'group', name: 'solo' })).body.conversation;
    const client = new HubbubClient({ baseUrl, token: me.token, WebSocket });
    clients.push(client);
    await client.connect();
    await expect(client.send(group.id, '   ')).rejects.toBeInstanceOf(HubbubError);
    await expect(client.send(group.id, '   ')).rejects.toMatchObject({ code: 'BODY_EMPTY' });
    await expect(client.send('999999', 'hi')).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    // The same clientMsgId twice stores once.
    const a = await client.send(group.id, 'once', { clientMsgId: 'fixed-id' });
    const b = await client.send(group.id, 'once', { clientMsgId: 'fixed-id' });
    expect(b.id).toBe(a.id);
  });

  it.each<TransportName>(['ws', 'sse'])(
    'typing reaches co-members over %s, not the sender; presence goes online then offline',
    async (t) => {
      server = await testServer();
      const { baseUrl } = await listen(server);
      server.presence.opts.graceMs = 50;
      const alice = await userApi(server, 'alice');
      const bob = await userApi(server, 'bob');
      await (await import('../helpers/server.js')).befriend(alice, bob);
      const group = (await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'pair', members: ['bob'] })).body
        .conversation;

      const a = new HubbubClient({ baseUrl, token: alice.token, WebSocket, transports: [t] });
      const b = new HubbubClient({ baseUrl, token: bob.token, WebSocket, transports: [t] });
      clients.push(a, b);
      const aTyping: unknown[] = [];
      const bTyping: any[] = [];
      const aPresence: any[] = [];
      a.on('typing', (s) => aTyping.push(s));
      b.on('typing', (s) => bTyping.push(s));
      a.on('presence', (s) => aPresence.push(s));
      await a.connect();
      await b.connect();
      await waitFor(() => aPresence.some((p) => p.userId === bob.user.id && p.status === 'online'), 'bob online for alice');

      a.typing(group.id);
      await waitFor(() => bTyping.length === 1, 'bob to see alice typing');
      expect(bTyping[0]).toMatchObject({ type: 'typing', conversationId: group.id, userId: alice.user.id, username: 'alice' });
      expect(Date.parse(bTyping[0].until) - Date.now()).toBeGreaterThan(3000);
      // Bob types too, so alice has surely received anything of hers by the time his arrives: nothing.
      b.typing(group.id);
      await waitFor(() => aTyping.length === 1, 'alice to see bob typing');
      expect(aTyping).toHaveLength(1);

      b.close();
      const off = await (async () => {
        await waitFor(() => aPresence.some((p) => p.userId === bob.user.id && p.status === 'offline'), 'bob offline for alice');
        return aPresence.find((p) => p.status === 'offline');
      })();
      expect(off.lastSeen).toMatch(/^\d{4}-\d\d-\d\dT/);
      const friends = (await alice.call('GET', '/api/v1/friends')).body.friends;
      expect(friends[0].presence.status).toBe('offline');
    },
  );
});
