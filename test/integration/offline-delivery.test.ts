import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';
import type { Server } from '../../src/server.js';

describe('offline delivery: a stale cursor gets exactly what was missed', () => {
  let s: Server;
  let alice: Api, bob: Api, carol: Api;
  let direct: string, group: string, bobCursor: string;

  beforeAll(async () => {
    s = await testServer();
    [alice, bob, carol] = [await userApi(s, 'alice'), await userApi(s, 'bob'), await userApi(s, 'carol')];
    await befriend(alice, bob);
    await befriend(alice, carol);
    direct = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id;
    group = (await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'Trip', members: ['bob', 'carol'] })).body
      .conversation.id;
    // Bob takes the head, then goes away.
    const head = await bob.call('GET', '/api/v1/sync');
    expect(head.body.events).toEqual([]);
    bobCursor = head.body.cursor;
  });
  afterAll(() => s.close());

  test('Bob gets the 3 direct and 2 group messages in order, and the same cursor gives the same events', async () => {
    const sent: string[] = [];
    for (const [conv, body] of [
      [direct, 'd1'],
      [group, 'g1'],
      [direct, 'd2'],
      [group, 'g2'],
      [direct, 'd3'],
    ] as const) {
      const r = await alice.call('POST', `/api/v1/conversations/${conv}/messages`, { body });
      sent.push(r.body.message.id);
    }
    // Noise Bob must not see: Carol and Alice's own direct conversation.
    const ac = (await alice.call('POST', '/api/v1/direct/carol')).body.conversation.id;
    await carol.call('POST', `/api/v1/conversations/${ac}/messages`, { body: 'not for bob' });

    const first = await bob.call('GET', `/api/v1/sync?since=${bobCursor}`);
    expect(first.body.events.map((e: any) => e.type)).toEqual(Array(5).fill('message.created'));
    expect(first.body.events.map((e: any) => e.message.body)).toEqual(['d1', 'g1', 'd2', 'g2', 'd3']);
    expect(first.body.events.map((e: any) => e.message.id)).toEqual(sent);
    expect(first.body.more).toBe(false);
    const cursors = first.body.events.map((e: any) => e.cursor);
    expect(new Set(cursors).size).toBe(5);
    expect(first.body.cursor).toBe(cursors[4]);

    const again = await bob.call('GET', `/api/v1/sync?since=${bobCursor}`);
    expect(again.body).toEqual(first.body);

    const after = await bob.call('GET', `/api/v1/sync?since=${first.body.cursor}`);
    expect(after.body.events).toEqual([]);
    expect(after.body.cursor).toBe(first.body.cursor);
  });

  test('paging with limit returns the same events in pieces, with more=true until the end', async () => {
    const all = (await bob.call('GET', `/api/v1/sync?since=${bobCursor}`)).body.events;
    const got: any[] = [];
    let cursor = bobCursor;
    for (let i = 0; i < 10; i++) {
      const page = (await bob.call('GET', `/api/v1/sync?since=${cursor}&limit=2`)).body;
      got.push(...page.events);
      cursor = page.cursor;
      if (!page.more) break;
    }
    expect(got).toEqual(all);
  });

  test('unread counts are right and drop to 0 after read', async () => {
    const list = (await bob.call('GET', '/api/v1/conversations')).body.conversations;
    const d = list.find((c: any) => c.id === direct);
    const g = list.find((c: any) => c.id === group);
    expect(d.unread).toBe(3);
    expect(g.unread).toBe(2);
    expect(d.lastMessage.body).toBe('d3');
    expect(d.peer.username).toBe('alice');
    expect(g.name).toBe('Trip');
    // Alice's own messages are not unread for her.
    const mine = (await alice.call('GET', '/api/v1/conversations')).body.conversations;
    expect(mine.filter((c: any) => c.id === direct || c.id === group).map((c: any) => c.unread)).toEqual([0, 0]);

    const r1 = await bob.call('POST', `/api/v1/conversations/${direct}/read`, { upTo: d.lastMessage.id });
    expect(r1.status).toBe(200);
    await bob.call('POST', `/api/v1/conversations/${group}/read`, { upTo: g.lastMessage.id });
    const after = (await bob.call('GET', '/api/v1/conversations')).body.conversations;
    expect(after.find((c: any) => c.id === direct).unread).toBe(0);
    expect(after.find((c: any) => c.id === group).unread).toBe(0);
    // The read pointer moving is itself an event in Bob's stream (for his other devices).
    const s2 = await bob.call('GET', `/api/v1/sync?since=${bobCursor}`);
    expect(s2.body.events.filter((e: any) => e.type === 'read.updated').map((e: any) => e.conversationId)).toEqual([direct, group]);
  });
});
