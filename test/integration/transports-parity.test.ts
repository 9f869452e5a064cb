import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';
import type { Server } from '../../src/server.js';
import { bearer, listen, RawSse, RawWs, waitFor } from './transports.helpers.js';

/**
 * One scripted conversation, observed from the same head cursor over every
 * transport at once: each must deliver the same events, in the same order,
 * with the same cursors (the server serializes each event once).
 */
type Transport = 'shortpoll' | 'longpoll' | 'sse' | 'ws';

const END = 'the end';
const isEnd = (e: any) => e.type === 'message.created' && e.message.body === END;

describe('every transport delivers the same stream', () => {
  let server: Server;
  let baseUrl: string;
  let obs: Api;
  const streams = {} as Record<Transport, any[]>;
  let expectedTypes: string[];
  let leakedBody: string;

  beforeAll(async () => {
    server = await testServer();
    ({ baseUrl } = await listen(server));
    obs = await userApi(server, 'observer');
    const alice = await userApi(server, 'alice');
    const bob = await userApi(server, 'bob');
    const carol = await userApi(server, 'carol');
    const head = (await obs.call('GET', '/api/v1/sync')).body.cursor as string;

    // Live readers from the head, before anything happens.
    const ws = RawWs.bearer(baseUrl, obs.token, `?since=${head}`);
    await ws.next((f) => f.type === 'hello', 'ws hello');
    const sse = RawSse.bearer(baseUrl, obs.token, `?since=${head}`);
    await waitFor(() => sse.records.some((r) => r.event === 'hello'), 'sse hello');
    const longPolled: any[] = [];
    const longPoll = (async () => {
      let cursor = head;
      while (!longPolled.some(isEnd)) {
        const res = await fetch(`${baseUrl}/api/v1/sync?since=${cursor}&wait=10&limit=3`, { headers: bearer(obs.token) });
        const body = (await res.json()) as { events: any[]; cursor: string };
        longPolled.push(...body.events);
        cursor = body.cursor;
      }
    })();

    // The script: friends, a direct conversation, a group with membership changes, a room.
    const ok = (r: { status: number; body: unknown }) => {
      if (r.status >= 300) throw new Error(`script step failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as any;
    };
    await befriend(alice, obs); // friend.requested, friend.accepted
    const direct = ok(await alice.call('POST', `/api/v1/direct/observer`)).conversation; // conversation.created
    ok(await alice.call('POST', `/api/v1/conversations/${direct.id}/messages`, { body: 'hi observer' }));
    ok(await obs.call('POST', `/api/v1/conversations/${direct.id}/messages`, { body: 'hi alice' }));
    const unread = ok(await alice.call('POST', `/api/v1/conversations/${direct.id}/messages`, { body: 'how are you?' })).message;
    await befriend(alice, bob); // not the observer's business
    const group = ok(
      await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'trio', members: ['observer', 'bob'] }),
    ).conversation;
    ok(await bob.call('POST', `/api/v1/conversations/${group.id}/messages`, { body: 'bob here' }));
    ok(await alice.call('DELETE', `/api/v1/conversations/${group.id}/members/${bob.user.id}`)); // member.left
    ok(await obs.call('POST', `/api/v1/conversations/${direct.id}/read`, { upTo: unread.id })); // read.updated
    const lobby = ok(await obs.call('GET', '/api/v1/rooms')).rooms.find((r: any) => r.name === 'lobby');
    ok(await obs.call('POST', `/api/v1/conversations/${lobby.id}/join`)); // member.joined
    ok(await carol.call('POST', `/api/v1/conversations/${lobby.id}/join`)); // member.joined
    ok(await carol.call('POST', `/api/v1/conversations/${lobby.id}/messages`, { body: 'carol in the lobby' }));
    ok(await obs.call('POST', `/api/v1/conversations/${group.id}/leave`)); // member.left
    leakedBody = 'after the observer left';
    ok(await alice.call('POST', `/api/v1/conversations/${group.id}/messages`, { body: leakedBody })); // must not arrive
    ok(await alice.call('DELETE', `/api/v1/friends/${obs.user.id}`)); // friend.removed
    ok(await obs.call('POST', `/api/v1/conversations/${lobby.id}/messages`, { body: END }));

    expectedTypes = [
      'friend.requested',
      'friend.accepted',
      'conversation.created',
      'message.created',
      'message.created',
      'message.created',
      'conversation.created',
      'message.created',
      'member.left',
      'read.updated',
      'member.joined',
      'member.joined',
      'message.created',
      'member.left',
      'friend.removed',
      'message.created',
    ];

    await waitFor(() => ws.events().some(isEnd), 'ws to reach the end');
    await waitFor(() => sse.events().some(isEnd), 'sse to reach the end');
    await longPoll;
    streams.ws = ws.events();
    streams.sse = sse.events();
    streams.longpoll = longPolled;
    ws.ws.close();
    sse.close();

    // Short poll afterwards, in small pages, from the same head.
    const paged: any[] = [];
    let cursor = head;
    for (;;) {
      const body = (await obs.call('GET', `/api/v1/sync?since=${cursor}&limit=2`)).body;
      paged.push(...body.events);
      cursor = body.cursor;
      if (!body.more) break;
    }
    streams.shortpoll = paged;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('the short-poll reference is the scripted sequence', () => {
    expect(streams.shortpoll.map((e) => e.type)).toEqual(expectedTypes);
    expect(streams.shortpoll.some((e) => e.message?.body === leakedBody)).toBe(false);
    const positions = streams.shortpoll.map((e) => parseInt(e.cursor.slice(1), 36));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it.each<Transport>(['shortpoll', 'longpoll', 'sse', 'ws'])('%s delivers the same events, order and cursors', (t) => {
    expect(streams[t].length).toBe(expectedTypes.length);
    expect(streams[t]).toEqual(streams.shortpoll);
  });
});
