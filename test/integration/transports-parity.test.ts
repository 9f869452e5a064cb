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
  let deleted: string;

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
    const hiObserver = ok(await alice.call('POST', `/api/v1/conversations/${direct.id}/messages`, { body: 'hi observer' })).message;
    ok(await obs.call('POST', `/api/v1/conversations/${direct.id}/messages`, { body: 'hi alice' }));
    const unread = ok(await alice.call('POST', `/api/v1/conversations/${direct.id}/messages`, { body: 'how are you?' })).message;
    // Working with messages: an edit, a reaction on and off, a reply, the peer's read position, a delete.
    ok(await alice.call('PATCH', `/api/v1/messages/${unread.id}`, { body: 'how are you doing?' })); // message.updated
    const thumb = `/api/v1/messages/${unread.id}/reactions/${encodeURIComponent('👍')}`;
    ok(await obs.call('PUT', thumb)); // reaction.added
    ok(await obs.call('DELETE', thumb)); // reaction.removed
    const reply = ok(
      await alice.call('POST', `/api/v1/conversations/${direct.id}/messages`, { body: 'and a reply', replyTo: hiObserver.id }),
    ).message; // message.created
    const fine = ok(await obs.call('POST', `/api/v1/conversations/${direct.id}/messages`, { body: 'fine, thanks' })).message;
    ok(await alice.call('POST', `/api/v1/conversations/${direct.id}/read`, { upTo: fine.id })); // read.updated: alice's, seen by her peer
    // Every live reader has the original before it is deleted, so which bytes each got does not depend on timing.
    await waitFor(() => ws.events().some((e) => e.message?.id === reply.id), 'ws to have the reply');
    await waitFor(() => sse.events().some((e) => e.message?.id === reply.id), 'sse to have the reply');
    await waitFor(() => longPolled.some((e) => e.message?.id === reply.id), 'the long poll to have the reply');
    ok(await alice.call('DELETE', `/api/v1/messages/${hiObserver.id}`)); // message.deleted
    deleted = hiObserver.id;
    await befriend(alice, bob); // not the observer's business
    const group = ok(
      await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'trio', members: ['observer', 'bob'] }),
    ).conversation;
    const bobHere = ok(await bob.call('POST', `/api/v1/conversations/${group.id}/messages`, { body: 'bob here, @observer' })).message; // mentions the observer
    ok(await alice.call('DELETE', `/api/v1/conversations/${group.id}/members/${bob.user.id}`)); // member.left
    ok(await obs.call('POST', `/api/v1/conversations/${group.id}/read`, { upTo: bobHere.id })); // read.updated (the group sees it)
    const lobby = ok(await obs.call('GET', '/api/v1/rooms')).rooms.find((r: any) => r.name === 'lobby');
    ok(await obs.call('POST', `/api/v1/conversations/${lobby.id}/join`)); // member.joined
    ok(await carol.call('POST', `/api/v1/conversations/${lobby.id}/join`)); // member.joined
    ok(await carol.call('POST', `/api/v1/conversations/${lobby.id}/messages`, { body: 'carol in the lobby' }));
    const club = ok(await carol.call('POST', '/api/v1/conversations', { kind: 'room', name: 'club' })).conversation; // carol's alone
    ok(await obs.call('POST', `/api/v1/conversations/${club.id}/join`)); // member.joined
    ok(await carol.call('PUT', `/api/v1/conversations/${club.id}/moderators/${obs.user.id}`)); // member.updated
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
      'message.updated',
      'reaction.added',
      'reaction.removed',
      'message.created',
      'message.created',
      'read.updated',
      'message.deleted',
      'conversation.created',
      'message.created',
      'member.left',
      'read.updated',
      'member.joined',
      'member.joined',
      'message.created',
      'member.joined',
      'member.updated',
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

  it('a later reader sees a deleted message as its tombstone; the live readers saw it as it was', () => {
    const created = (t: Transport) => streams[t].find((e) => e.type === 'message.created' && e.message.id === deleted);
    expect(created('shortpoll').message).toMatchObject({ deleted: true, body: '', mentions: [], reactions: [] });
    for (const t of ['longpoll', 'sse', 'ws'] as const) expect(created(t).message).toMatchObject({ deleted: false, body: 'hi observer' });
    const gone = streams.shortpoll.find((e) => e.type === 'message.deleted');
    expect(gone).toMatchObject({ messageId: deleted, by: expect.any(String) });
    // Nowhere, not even in the quote of the reply to it.
    expect(JSON.stringify(streams.shortpoll)).not.toContain('hi observer');
  });

  it('the new events carry what clients draw from them', () => {
    const of = (type: string) => streams.shortpoll.filter((e) => e.type === type);
    expect(of('message.updated')[0].message).toMatchObject({ body: 'how are you doing?', editedAt: expect.any(String) });
    expect(of('reaction.added')[0]).toMatchObject({ emoji: '👍', userId: obs.user.id });
    expect(of('reaction.removed')[0]).toMatchObject({ emoji: '👍', userId: obs.user.id });
    const reply = of('message.created').find((e) => e.message.body === 'and a reply');
    expect(reply.message.replyTo).toMatchObject({ senderName: 'alice', preview: '', deleted: true }); // the original is gone since
    expect(of('read.updated').map((e) => e.userId)).toContain(of('message.updated')[0].message.senderId); // the peer's position
    expect(of('member.updated')[0]).toMatchObject({ userId: obs.user.id, role: 'moderator' });
    expect(of('message.created').find((e) => e.message.body.startsWith('bob here')).message.mentions).toEqual([obs.user.id]);
  });

  it.each<Transport>(['shortpoll', 'longpoll', 'sse', 'ws'])('%s delivers the same events, order and cursors', (t) => {
    expect(streams[t].length).toBe(expectedTypes.length);
    // What a live reader got before the delete, as a later reader gets it: the tombstone (the test above checks both).
    const tombstoned = streams[t].map((e) => {
      if (e.type !== 'message.created') return e;
      if (e.message.id === deleted)
        return { ...e, message: { ...e.message, body: '', mentions: [], mentionsAll: false, reactions: [], deleted: true } };
      if (e.message.replyTo?.id === deleted)
        return { ...e, message: { ...e.message, replyTo: { ...e.message.replyTo, preview: '', deleted: true } } };
      return e;
    });
    expect(t === 'shortpoll' ? streams[t] : tombstoned).toEqual(streams.shortpoll);
  });
});
