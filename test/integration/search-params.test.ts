import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../../src/server.js';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';

/**
 * GET /api/v1/search refuses what it cannot answer, each with its documented
 * code, and answers the rest. (What it finds: search-api.test.ts.)
 */
describe('search: the request', () => {
  let s: Server;
  let alice: Api, bob: Api, carol: Api;
  let group: string;
  let othersGroup: string;
  let room: string;

  const code = async (who: Api, qs: string) => {
    const r = await who.call('GET', `/api/v1/search?${qs}`);
    return r.status === 200 ? 200 : `${r.status} ${r.body.error.code}`;
  };

  beforeAll(async () => {
    s = await testServer({ rateLimits: { search: 1000 } });
    [alice, bob, carol] = [await userApi(s, 'alice'), await userApi(s, 'bob'), await userApi(s, 'carol')];
    await befriend(alice, bob);
    await befriend(bob, carol);
    group = (await alice.call('POST', '/api/v1/conversations', { kind: 'group', name: 'g', members: ['bob'] })).body.conversation.id;
    othersGroup = (await bob.call('POST', '/api/v1/conversations', { kind: 'group', name: 'h', members: ['carol'] })).body.conversation.id;
    room = (await bob.call('POST', '/api/v1/conversations', { kind: 'room', name: 'plaza' })).body.conversation.id;
  });
  afterAll(() => s.close());

  it('needs a login', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/api/v1/search?q=hello' });
    expect(r.statusCode).toBe(401);
    expect(r.json().error.code).toBe('AUTH_REQUIRED');
  });

  it('needs query text or a filter', async () => {
    expect(await code(alice, '')).toBe('400 INVALID_SEARCH');
    expect(await code(alice, 'q=')).toBe('400 INVALID_SEARCH');
    expect(await code(alice, 'q=%20%20%09')).toBe('400 INVALID_SEARCH');
    expect(await code(alice, `in=${group}`)).toBe(200);
    expect(await code(alice, 'has=link')).toBe(200);
    expect(await code(alice, 'from=bob')).toBe(200);
    expect(await code(alice, 'after=2024-01-01')).toBe(200);
    expect(await code(alice, 'q=%20%20&before=2024-01-01')).toBe(200);
  });

  it('takes at most 200 characters of text, counted after trimming', async () => {
    expect(await code(alice, `q=${'a'.repeat(200)}`)).toBe(200);
    expect(await code(alice, `q=${encodeURIComponent(`  ${'消'.repeat(200)}  `)}`)).toBe(200);
    expect(await code(alice, `q=${'a'.repeat(201)}`)).toBe('400 INVALID_SEARCH');
    expect(await code(alice, `q=${'a'.repeat(1001)}`)).toBe('400 VALIDATION_FAILED');
  });

  it('refuses unknown and repeated parameters', async () => {
    expect(await code(alice, 'q=x&sort=old')).toBe('400 VALIDATION_FAILED');
    expect(await code(alice, 'q=x&q=y')).toBe('400 VALIDATION_FAILED');
  });

  it('checks limit, has and the dates', async () => {
    for (const bad of ['limit=0', 'limit=51', 'limit=abc', 'limit=1.5', 'limit=-1', 'limit=', 'has=image', 'has=', 'before=yesterday']) {
      expect(await code(alice, `q=x&${bad}`), bad).toBe('400 VALIDATION_FAILED');
    }
    for (const bad of ['2024-02-30', '2024-13-01', '2024-05-01T10:00', '2024-05-01T25:00:00Z', '1714557600', '2024-5-1']) {
      expect(await code(alice, `q=x&after=${encodeURIComponent(bad)}`), bad).toBe('400 VALIDATION_FAILED');
    }
    for (const good of [
      'limit=1',
      'limit=50',
      'has=file',
      'has=link',
      'before=2024-02-29',
      'after=2024-05-01T10:00:00%2B08:00',
      'after=2024-05-01T10:00:00.123Z',
    ]) {
      expect(await code(alice, `q=x&${good}`), good).toBe(200);
    }
  });

  it('refuses a cursor it did not issue', async () => {
    for (const bad of ['not-a-cursor!', 'YWJj', Buffer.from('12x').toString('base64url'), 'MTI=', '']) {
      expect(await code(alice, `q=x&cursor=${encodeURIComponent(bad)}`), bad).toBe('400 INVALID_CURSOR');
    }
    expect(await code(alice, `q=x&cursor=${Buffer.from('12').toString('base64url')}`)).toBe(200);
  });

  it('searches in a conversation the user belongs to, and says so of others', async () => {
    expect(await code(alice, `q=x&in=${group}`)).toBe(200);
    expect(await code(alice, `q=x&in=${othersGroup}`)).toBe('403 NOT_A_MEMBER');
    expect(await code(alice, `q=x&in=${room}`)).toBe('403 NOT_A_MEMBER');
    expect(await code(alice, 'q=x&in=999999')).toBe('404 CONVERSATION_NOT_FOUND');
    expect(await code(alice, 'q=x&in=abc')).toBe('404 CONVERSATION_NOT_FOUND');
  });

  it('names the sender by id or username', async () => {
    expect(await code(alice, `q=x&from=${bob.user.id}`)).toBe(200);
    expect(await code(alice, 'from=BOB')).toBe(200);
    expect(await code(alice, 'q=x&from=nobody-here')).toBe('404 USER_NOT_FOUND');
  });

  it('finds nothing for text with nothing searchable in it', async () => {
    await alice.call('POST', `/api/v1/conversations/${group}/messages`, { body: 'hello !!! 🎉' });
    const r = await alice.call('GET', `/api/v1/search?q=${encodeURIComponent('!!! 🎉')}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ results: [], nextCursor: null });
  });
});

describe('search: the rate limit', () => {
  let s: Server;
  afterAll(() => s.close());

  it('allows rateLimits.search searches a minute per user', async () => {
    s = await testServer({ rateLimits: { search: 3 } });
    const [alice, bob] = [await userApi(s, 'alice'), await userApi(s, 'bob')];
    for (let i = 0; i < 3; i++) expect((await alice.call('GET', '/api/v1/search?q=hello')).status).toBe(200);
    const limited = await alice.call('GET', '/api/v1/search?q=hello');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect((await bob.call('GET', '/api/v1/search?q=hello')).status).toBe(200);
    expect(s.search.limited).toBe(1);
  });
});
