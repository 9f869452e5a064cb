import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../../src/server.js';
import { findPostgres } from '../contract/store.contract.js';
import { dropSchemas } from '../helpers/cluster.js';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';

/**
 * GET /api/v1/search over HTTP, on SQLite and on PostgreSQL with the same
 * assertions: Chinese inside longer runs, English stems, mixed text; exactly
 * the messages of the searcher's stream (a member who left, one who joined
 * late, a stranger); filters; paging; edits and deletes.
 */
const pg = await findPostgres();
const schemas: string[] = [];
afterAll(async () => {
  if (pg.url) await dropSchemas(pg.url, schemas);
});

const dialects = [
  { name: 'SQLite', skip: false, config: () => ({}) },
  {
    name: pg.url ? 'PostgreSQL' : `PostgreSQL (unreachable at ${pg.tried})`,
    skip: !pg.url,
    config: () => {
      const schema = `hubbub_search_api_${process.pid}_${Date.now().toString(36)}`;
      schemas.push(schema);
      return { databaseUrl: pg.url!, databaseSchema: schema };
    },
  },
];

describe.each(dialects)('search on $name', ({ skip, config }) => {
  let s: Server;
  let alice: Api, bob: Api, carol: Api, dave: Api, eve: Api;
  let group: string, direct: string, room: string;
  /** Message ids by name, in the order sent. */
  const m: Record<string, string> = {};
  const created: Record<string, string> = {};

  const send = async (who: Api, conv: string, name: string, body: string) => {
    const r = await who.call('POST', `/api/v1/conversations/${conv}/messages`, { body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    m[name] = r.body.message.id;
    created[name] = r.body.message.createdAt;
  };
  /** Names of the messages found, newest first. */
  const find = async (who: Api, qs: string): Promise<string[]> => {
    const r = await who.call('GET', `/api/v1/search?${qs}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const byId = Object.fromEntries(Object.entries(m).map(([k, v]) => [v, k]));
    return r.body.results.map((x: any) => byId[x.message.id] ?? `unknown ${x.message.id}`);
  };
  const q = (text: string) => `q=${encodeURIComponent(text)}`;

  beforeAll(async () => {
    if (skip) return;
    s = await testServer({ ...config(), rateLimits: { search: 10_000 } });
    [alice, bob, carol, dave, eve] = await Promise.all(['alice', 'bob', 'carol', 'dave', 'eve'].map((u) => userApi(s, u)));
    await befriend(alice, bob);
    await befriend(alice, carol);
    await befriend(alice, dave);
    group = (await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'g', members: ['bob', 'dave'] })).body.conversation
      .id;
    direct = (await alice.call('POST', '/api/v1/direct/bob')).body.conversation.id;
    room = (await bob.call('POST', '/api/v1/conversations', { kind: 'room', name: 'plaza' })).body.conversation.id;

    await send(alice, group, 'zh', '这是一条消息');
    await send(bob, group, 'en', 'Running the messages through quickly');
    await send(alice, group, 'mixed', 'hubbub的消息 is mixed text');
    await send(bob, group, 'link', 'see https://example.com/page for details');
    // dave leaves: nothing after this is his to find.
    expect((await dave.call('POST', `/api/v1/conversations/${group}/leave`)).status).toBe(200);
    await send(alice, group, 'afterDave', '新的消息 after dave left');
    // carol joins late: nothing before this is hers to find.
    expect((await alice.call('POST', `/api/v1/conversations/${group}/members`, { username: 'carol' })).status).toBe(201);
    await send(alice, group, 'withCarol', '消息 for carol too, the runner runs');
    await send(bob, direct, 'dm', 'a private 消息 between two');
    await send(bob, room, 'roomMsg', 'room 消息 in public');
  });
  afterAll(async () => {
    if (!skip) await s.close();
  });

  it.skipIf(skip)('finds Chinese inside a longer run, newest first', async () => {
    expect(await find(bob, q('消息'))).toEqual(['roomMsg', 'dm', 'withCarol', 'afterDave', 'mixed', 'zh']);
    expect(await find(bob, q('一条消息'))).toEqual(['zh']);
    expect(await find(bob, q('条消'))).toEqual(['zh']);
    expect(await find(bob, q('的消息'))).toEqual(['afterDave', 'mixed']);
  });

  it.skipIf(skip)('finds English by its stem, in any case', async () => {
    expect(await find(bob, q('run'))).toEqual(['withCarol', 'en']);
    expect(await find(bob, q('MESSAGE'))).toEqual(['en']);
    expect(await find(bob, q('running messages'))).toEqual(['en']);
    expect(await find(bob, q('hubbub'))).toEqual(['mixed']);
    expect(await find(bob, q('hubbub 消息'))).toEqual(['mixed']);
    expect(await find(bob, q('hubbub nowhere'))).toEqual([]);
  });

  it.skipIf(skip)('never finds what the searcher could not read', async () => {
    // dave left before afterDave; carol joined after mixed; eve is in nothing.
    expect(await find(dave, q('消息'))).toEqual(['mixed', 'zh']);
    expect(await find(carol, q('消息'))).toEqual(['withCarol']);
    expect(await find(eve, q('消息'))).toEqual([]);
    // the room's message is bob's (its owner and member) only.
    expect(await find(alice, q('public'))).toEqual([]);
    expect(await find(bob, q('public'))).toEqual(['roomMsg']);
  });

  it.skipIf(skip)('a member who left still finds, in that conversation, what they could read', async () => {
    expect(await find(dave, `${q('消息')}&in=${group}`)).toEqual(['mixed', 'zh']);
  });

  it.skipIf(skip)('answers highlighted snippets and the message as the viewer sees it', async () => {
    const r = await bob.call('GET', `/api/v1/search?${q('消息')}&in=${group}&limit=50`);
    const zh = r.body.results.find((x: any) => x.message.id === m.zh);
    expect(zh).toMatchObject({ snippet: '这是一条消息', highlights: [[4, 6]] });
    expect(zh.message).toMatchObject({ id: m.zh, conversationId: group, senderId: alice.user.id, body: '这是一条消息', deleted: false });
    const en = (await bob.call('GET', `/api/v1/search?${q('run')}&in=${group}`)).body.results.at(-1);
    expect(en.snippet).toBe('Running the messages through quickly');
    expect(en.highlights).toEqual([[0, 7]]);
  });

  it.skipIf(skip)('filters by conversation, sender, link and dates', async () => {
    expect(await find(bob, `${q('消息')}&in=${direct}`)).toEqual(['dm']);
    expect(await find(bob, `${q('消息')}&from=${bob.user.id}`)).toEqual(['roomMsg', 'dm']);
    expect(await find(bob, `from=alice&in=${group}`)).toEqual(['withCarol', 'afterDave', 'mixed', 'zh']);
    expect(await find(bob, 'has=link')).toEqual(['link']);
    expect(await find(bob, 'has=file')).toEqual([]);
    // Dates are exclusive bounds on when a message was sent.
    const inGroup = ['withCarol', 'afterDave', 'link', 'mixed', 'en', 'zh'];
    const after = created.mixed;
    expect(await find(bob, `in=${group}&after=${encodeURIComponent(after)}&limit=50`)).toEqual(inGroup.filter((n) => created[n] > after));
    expect(await find(bob, `${q('消息')}&before=${encodeURIComponent(created.zh)}`)).toEqual([]);
    expect(await find(bob, `${q('消息')}&before=2999-01-01&after=2000-01-01`)).toEqual([
      'roomMsg',
      'dm',
      'withCarol',
      'afterDave',
      'mixed',
      'zh',
    ]);
  });

  it.skipIf(skip)('pages with the cursor it answers', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { body: { results: any[]; nextCursor: string | null } } = await bob.call(
        'GET',
        `/api/v1/search?${q('消息')}&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...r.body.results.map((x) => x.message.id));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual(['roomMsg', 'dm', 'withCarol', 'afterDave', 'mixed', 'zh'].map((n) => m[n]));
    // A page that ends exactly at the last result has no next cursor.
    const exact = await bob.call('GET', `/api/v1/search?${q('消息')}&limit=6`);
    expect(exact.body.results).toHaveLength(6);
    expect(exact.body.nextCursor).toBeNull();
  });

  it.skipIf(skip)('an edited message is found by its new words, not its old', async () => {
    await send(alice, group, 'edited', 'the old wording: pineapple');
    expect(await find(bob, q('pineapple'))).toEqual(['edited']);
    expect((await alice.call('PATCH', `/api/v1/messages/${m.edited}`, { body: 'the new wording: 菠萝 mango' })).status).toBe(200);
    expect(await find(bob, q('pineapple'))).toEqual([]);
    expect(await find(bob, q('mango'))).toEqual(['edited']);
    expect(await find(bob, q('菠萝'))).toEqual(['edited']);
  });

  it.skipIf(skip)('a deleted message disappears', async () => {
    await send(alice, group, 'doomed', 'ephemeral 草稿 words');
    expect(await find(bob, q('ephemeral'))).toEqual(['doomed']);
    expect((await alice.call('DELETE', `/api/v1/messages/${m.doomed}`)).status).toBe(200);
    expect(await find(bob, q('ephemeral'))).toEqual([]);
    expect(await find(bob, q('草稿'))).toEqual([]);
    expect(await find(bob, `from=alice&in=${group}&limit=50`)).not.toContain('doomed');
  });
});
