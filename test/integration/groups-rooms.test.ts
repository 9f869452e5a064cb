import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';
import type { Server } from '../../src/server.js';

describe('groups', () => {
  let s: Server;
  let alice: Api, bob: Api, carol: Api, dave: Api;
  let group: string;

  beforeAll(async () => {
    s = await testServer();
    [alice, bob, carol, dave] = [await userApi(s, 'alice'), await userApi(s, 'bob'), await userApi(s, 'carol'), await userApi(s, 'dave')];
    await befriend(alice, bob);
    await befriend(alice, carol);
  });
  afterAll(() => s.close());

  test("created with the creator's friends only", async () => {
    const bad = await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'Trip', members: ['bob', 'dave'] });
    expect(bad.body.error.code).toBe('FRIENDSHIP_REQUIRED');
    const r = await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'Trip', members: ['bob'] });
    expect(r.status).toBe(201);
    expect(r.body.conversation.members.map((m: any) => [m.username, m.role])).toEqual([
      ['alice', 'owner'],
      ['bob', 'member'],
    ]);
    group = r.body.conversation.id;
  });

  test('only the owner adds, removes and renames', async () => {
    expect((await bob.call('POST', `/api/v1/conversations/${group}/members`, { username: 'carol' })).body.error.code).toBe('NOT_OWNER');
    expect((await alice.call('POST', `/api/v1/conversations/${group}/members`, { username: 'carol' })).status).toBe(201);
    expect((await alice.call('POST', `/api/v1/conversations/${group}/members`, { username: 'carol' })).body.error.code).toBe(
      'ALREADY_MEMBER',
    );
    expect((await bob.call('PATCH', `/api/v1/conversations/${group}`, { name: 'Mine' })).body.error.code).toBe('NOT_OWNER');
    const ren = await alice.call('PATCH', `/api/v1/conversations/${group}`, { name: 'Summer trip' });
    expect(ren.body.conversation.name).toBe('Summer trip');
    expect((await bob.call('DELETE', `/api/v1/conversations/${group}/members/${carol.user.id}`)).body.error.code).toBe('NOT_OWNER');
    expect((await dave.call('GET', `/api/v1/conversations/${group}`)).body.error.code).toBe('NOT_A_MEMBER');
  });

  test('a removed member stops receiving the group, and gets its own member.left', async () => {
    const start = (await carol.call('GET', '/api/v1/sync')).body.cursor;
    expect((await alice.call('DELETE', `/api/v1/conversations/${group}/members/${carol.user.id}`)).status).toBe(200);
    await alice.call('POST', `/api/v1/conversations/${group}/messages`, { body: 'after carol left' });
    const ev = (await carol.call('GET', `/api/v1/sync?since=${start}`)).body.events;
    expect(ev.map((e: any) => e.type)).toEqual(['member.left']);
    expect((await carol.call('GET', `/api/v1/conversations/${group}/messages`)).body.error.code).toBe('NOT_A_MEMBER');
  });

  test('an owner who leaves hands ownership to the longest-standing member', async () => {
    await alice.call('POST', `/api/v1/conversations/${group}/members`, { username: 'carol' });
    const start = (await bob.call('GET', '/api/v1/sync')).body.cursor;
    expect((await alice.call('POST', `/api/v1/conversations/${group}/leave`)).status).toBe(200);
    const detail = (await bob.call('GET', `/api/v1/conversations/${group}`)).body.conversation;
    expect(detail.ownerId).toBe(bob.user.id);
    expect(detail.members.map((m: any) => [m.username, m.role])).toEqual([
      ['bob', 'owner'],
      ['carol', 'member'],
    ]);
    const ev = (await bob.call('GET', `/api/v1/sync?since=${start}`)).body.events;
    expect(ev[0]).toMatchObject({ type: 'member.left', userId: alice.user.id, newOwnerId: bob.user.id });
  });
});

describe('rooms', () => {
  let s: Server;
  let alice: Api, bob: Api;

  beforeAll(async () => {
    s = await testServer();
    [alice, bob] = [await userApi(s, 'alice'), await userApi(s, 'bob')];
  });
  afterAll(() => s.close());

  test('lobby exists from the first start and is readable logged out', async () => {
    const rooms = (await s.app.inject({ method: 'GET', url: '/api/v1/rooms' })).json().rooms;
    const lobby = rooms.find((r: any) => r.name === 'lobby');
    expect(lobby).toBeTruthy();
    expect((await alice.call('POST', `/api/v1/conversations/${lobby.id}/messages`, { body: 'hi' })).body.error.code).toBe('NOT_A_MEMBER');
    expect((await alice.call('POST', `/api/v1/conversations/${lobby.id}/join`)).status).toBe(200);
    expect((await alice.call('POST', `/api/v1/conversations/${lobby.id}/join`)).body.error.code).toBe('ALREADY_MEMBER');
    await alice.call('POST', `/api/v1/conversations/${lobby.id}/messages`, { body: '<b>hello</b> world' });
    const pub = await s.app.inject({ method: 'GET', url: '/api/v1/rooms/lobby/messages' });
    expect(pub.statusCode).toBe(200);
    expect(pub.json().messages.map((m: any) => m.body)).toEqual(['<b>hello</b> world']);
    const detail = await s.app.inject({ method: 'GET', url: `/api/v1/conversations/${lobby.id}` });
    expect(detail.json().conversation.name).toBe('lobby');
    expect((await s.app.inject({ method: 'GET', url: '/api/v1/rooms/nope/messages' })).json().error.code).toBe('CONVERSATION_NOT_FOUND');
  });

  test('create, join, leave; names are unique', async () => {
    const r = await alice.call('POST', '/api/v1/conversations', { kind: 'room', name: 'Tech' });
    expect(r.status).toBe(201);
    expect(r.body.conversation.name).toBe('tech');
    expect((await bob.call('POST', '/api/v1/conversations', { kind: 'room', name: 'tech' })).body.error.code).toBe('NAME_TAKEN');
    expect((await bob.call('POST', '/api/v1/conversations', { kind: 'room', name: 'no spaces!' })).body.error.code).toBe(
      'VALIDATION_FAILED',
    );
    const id = r.body.conversation.id;
    const start = (await bob.call('GET', '/api/v1/sync')).body.cursor;
    await bob.call('POST', `/api/v1/conversations/${id}/join`);
    await alice.call('POST', `/api/v1/conversations/${id}/messages`, { body: 'welcome' });
    await bob.call('POST', `/api/v1/conversations/${id}/leave`);
    await alice.call('POST', `/api/v1/conversations/${id}/messages`, { body: 'bye' });
    const ev = (await bob.call('GET', `/api/v1/sync?since=${start}`)).body.events;
    expect(ev.map((e: any) => e.type)).toEqual(['member.joined', 'message.created', 'member.left']);
    const group = (await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'private' })).body.conversation.id;
    expect((await bob.call('POST', `/api/v1/conversations/${group}/join`)).body.error.code).toBe('INVALID_OPERATION');
  });
});
