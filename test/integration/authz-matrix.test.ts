import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { befriend, testServer, userApi, type Api } from '../helpers/server.js';
import { fileUpload, png } from '../helpers/files.js';
import type { Server } from '../../src/server.js';

/**
 * The authorization matrix: every route of the app × {logged out, non-member,
 * member, room moderator, owner, server admin}, against a fresh group owned by
 * `owner` with `member` and `moderator` in it (a group has no moderators: there
 * `moderator` is one more member), and a fresh room owned by `owner` where
 * `moderator` is named moderator. `admin` is a server admin who belongs to
 * neither. The list of routes comes from the app itself, so a new route
 * without a rule here fails the first test.
 */
type Role = 'anon' | 'outsider' | 'member' | 'moderator' | 'owner' | 'admin';
const ROLES: Role[] = ['anon', 'outsider', 'member', 'moderator', 'owner', 'admin'];
type User = Exclude<Role, 'anon'>;
const USERS: User[] = ['owner', 'member', 'moderator', 'outsider', 'admin'];
type Expect = [number, number, number, number, number, number];

interface Fixture {
  s: Server;
  tokens: Record<User, string>;
  users: Record<User, Api>;
  group: string;
  messageId: string;
  /** Made on first use (most rules need neither): a room where `moderator` is named, and a friend request to a role. */
  room(): Promise<RoomFixture>;
  requestTo(role: User): Promise<string>;
  /** Made on first use: an image the owner sent to the group (its attachment id). */
  groupImage(): Promise<string>;
  /** A fresh user who is a friend of every role and has a pending request to each. */
  other: Api;
}

interface RoomFixture {
  room: string;
  /** A room message by `other`, and one by `moderator`. */
  roomMessage: string;
  moderatorMessage: string;
}

interface Rule {
  /** Builds the request for a role (url with parameters filled, body). */
  req: (
    f: Fixture,
    role: Role,
  ) =>
    | { url: string; body?: unknown; headers?: Record<string, string> }
    | Promise<{ url: string; body?: unknown; headers?: Record<string, string> }>;
  /** `body` is sent as it is (a multipart upload), not as JSON. */
  /** Expected status for [anon, outsider, member, moderator, owner, admin]. */
  expect: Expect;
  /** Streaming routes are checked over real sockets in their own test. */
  stream?: true;
}

const same = (n: number): Expect => [n, n, n, n, n, n];
const authed = (n: number): Expect => [401, n, n, n, n, n];

let counter = 0;
const fresh = (p: string) => `${p}${++counter}`;

const RULES: Record<string, Rule> = {
  'POST /api/v1/auth/register': {
    req: () => ({ url: '/api/v1/auth/register', body: { username: fresh('reg'), password: 'hubbub-pass-4821' } }),
    expect: same(201),
  },
  'POST /api/v1/auth/login': {
    req: () => ({ url: '/api/v1/auth/login', body: { username: 'owner', password: 'hubbub-pass-4821' } }),
    expect: same(200),
  },
  'POST /api/v1/auth/logout': { req: () => ({ url: '/api/v1/auth/logout' }), expect: same(200) },
  'POST /api/v1/auth/logout-all': { req: () => ({ url: '/api/v1/auth/logout-all' }), expect: authed(200) },
  'POST /api/v1/tokens': {
    req: () => ({ url: '/api/v1/tokens', body: { username: 'member', password: 'hubbub-pass-4821' } }),
    expect: same(201),
  },
  // Deleting an account is tested on its own (it removes the fixture's users); here: a wrong password changes nothing.
  'DELETE /api/v1/me': { req: () => ({ url: '/api/v1/me', body: { password: 'not-the-password' } }), expect: authed(401) },
  'GET /api/v1/me': { req: () => ({ url: '/api/v1/me' }), expect: authed(200) },
  'PATCH /api/v1/me': { req: (_f, r) => ({ url: '/api/v1/me', body: { displayName: `The ${r}` } }), expect: authed(200) },
  // Changing the password is tested on its own (test/integration/passwords.test.ts); here: a wrong current password changes nothing.
  'POST /api/v1/me/password': {
    req: () => ({ url: '/api/v1/me/password', body: { currentPassword: 'not-the-password', newPassword: 'a-new-pass-9271' } }),
    expect: authed(401),
  },
  'GET /api/v1/me/sessions': { req: () => ({ url: '/api/v1/me/sessions' }), expect: authed(200) },
  'DELETE /api/v1/me/sessions/:id': { req: () => ({ url: '/api/v1/me/sessions/no-such-session' }), expect: authed(404) },
  'GET /api/v1/users': { req: () => ({ url: '/api/v1/users?prefix=o' }), expect: authed(200) },
  'GET /api/v1/friends': { req: () => ({ url: '/api/v1/friends' }), expect: authed(200) },
  'GET /api/v1/friends/requests': { req: () => ({ url: '/api/v1/friends/requests' }), expect: authed(200) },
  // `other` is already a friend of the owner and the member.
  'POST /api/v1/friends/requests': {
    req: (f) => ({ url: '/api/v1/friends/requests', body: { username: f.other.user.username } }),
    expect: [401, 201, 409, 409, 409, 201],
  },
  'POST /api/v1/friends/requests/:id/accept': {
    req: async (f, r) => ({ url: `/api/v1/friends/requests/${await f.requestTo(r === 'anon' ? 'owner' : r)}/accept` }),
    expect: authed(200),
  },
  'POST /api/v1/friends/requests/:id/decline': {
    req: async (f, r) => ({ url: `/api/v1/friends/requests/${await f.requestTo(r === 'anon' ? 'owner' : r)}/decline` }),
    expect: authed(200),
  },
  'DELETE /api/v1/friends/:userId': {
    req: (f) => ({ url: `/api/v1/friends/${f.users.owner.user.id}` }),
    expect: [401, 404, 200, 200, 404, 404],
  },
  'POST /api/v1/direct/:username': { req: () => ({ url: '/api/v1/direct/owner' }), expect: [401, 403, 200, 200, 409, 403] },
  'GET /api/v1/conversations': { req: () => ({ url: '/api/v1/conversations' }), expect: authed(200) },
  'POST /api/v1/conversations': {
    req: () => ({ url: '/api/v1/conversations', body: { kind: 'group', name: 'new' } }),
    expect: authed(201),
  },
  'GET /api/v1/conversations/:id': { req: (f) => ({ url: `/api/v1/conversations/${f.group}` }), expect: [401, 403, 200, 200, 200, 403] },
  'PATCH /api/v1/conversations/:id': {
    req: (f) => ({ url: `/api/v1/conversations/${f.group}`, body: { name: 'renamed' } }),
    expect: [401, 403, 403, 403, 200, 403],
  },
  'POST /api/v1/conversations/:id/members': {
    req: (f) => ({ url: `/api/v1/conversations/${f.group}/members`, body: { username: f.other.user.username } }),
    expect: [401, 403, 403, 403, 201, 403],
  },
  // `member` leaves (themself) or is removed by the group's owner; a fellow member may not (nor a room moderator there).
  'DELETE /api/v1/conversations/:id/members/:userId': {
    req: (f) => ({ url: `/api/v1/conversations/${f.group}/members/${f.users.member.user.id}` }),
    expect: [401, 403, 200, 403, 200, 403],
  },
  'POST /api/v1/conversations/:id/join': {
    req: (f) => ({ url: `/api/v1/conversations/${f.group}/join` }),
    expect: [401, 409, 409, 409, 409, 409],
  },
  'POST /api/v1/conversations/:id/leave': {
    req: (f) => ({ url: `/api/v1/conversations/${f.group}/leave` }),
    expect: [401, 403, 200, 200, 200, 403],
  },
  'GET /api/v1/conversations/:id/messages': {
    req: (f) => ({ url: `/api/v1/conversations/${f.group}/messages?around=${f.messageId}` }),
    expect: [401, 403, 200, 200, 200, 403],
  },
  'POST /api/v1/conversations/:id/messages': {
    req: (f) => ({ url: `/api/v1/conversations/${f.group}/messages`, body: { body: 'hi' } }),
    expect: [401, 403, 201, 201, 201, 403],
  },
  // A room message by another member: its sender, the room's owner and moderators, and a server admin may delete it.
  'DELETE /api/v1/messages/:id': {
    req: async (f) => ({ url: `/api/v1/messages/${(await f.room()).roomMessage}` }),
    expect: [401, 403, 403, 200, 200, 200],
  },
  // Only the sender edits, whatever their standing: here the moderator's own message.
  'PATCH /api/v1/messages/:id': {
    req: async (f) => ({ url: `/api/v1/messages/${(await f.room()).moderatorMessage}`, body: { body: 'edited' } }),
    expect: [401, 403, 403, 200, 403, 403],
  },
  'POST /api/v1/conversations/:id/attachments': {
    req: async (f) => {
      const { payload, contentType } = fileUpload('dot.png', await png(), 'image/png');
      return { url: `/api/v1/conversations/${f.group}/attachments`, body: payload, headers: { 'content-type': contentType } };
    },
    expect: [401, 403, 201, 201, 201, 403],
  },
  // A group's files: its members only (a room's are public: test/integration/files-authz.test.ts).
  'GET /api/v1/files/:id': { req: async (f) => ({ url: `/api/v1/files/${await f.groupImage()}` }), expect: [401, 403, 200, 200, 200, 403] },
  'GET /api/v1/files/:id/thumbnail': {
    req: async (f) => ({ url: `/api/v1/files/${await f.groupImage()}/thumbnail` }),
    expect: [401, 403, 200, 200, 200, 403],
  },
  // The fixture message has no link: readers get 404, others are refused before that is known.
  'GET /api/v1/messages/:id/preview-image': {
    req: (f) => ({ url: `/api/v1/messages/${f.messageId}/preview-image` }),
    expect: [401, 403, 404, 404, 404, 403],
  },
  // Anyone logged in may search; what each finds is test/integration/search-api.test.ts.
  'GET /api/v1/search': { req: () => ({ url: '/api/v1/search?q=first' }), expect: authed(200) },
  'GET /api/v1/messages/:id/edits': {
    req: async (f) => ({ url: `/api/v1/messages/${(await f.room()).roomMessage}/edits` }),
    expect: [401, 403, 200, 200, 200, 403],
  },
  'PUT /api/v1/messages/:id/reactions/:emoji': {
    req: async (f) => ({ url: `/api/v1/messages/${(await f.room()).roomMessage}/reactions/${encodeURIComponent('👍')}` }),
    expect: [401, 403, 200, 200, 200, 403],
  },
  'DELETE /api/v1/messages/:id/reactions/:emoji': {
    req: async (f) => ({ url: `/api/v1/messages/${(await f.room()).roomMessage}/reactions/${encodeURIComponent('👍')}` }),
    expect: [401, 403, 200, 200, 200, 403],
  },
  // Only the room's owner names and unnames moderators (an admin too is refused: moderation is the owner's).
  'PUT /api/v1/conversations/:id/moderators/:userId': {
    req: async (f) => ({ url: `/api/v1/conversations/${(await f.room()).room}/moderators/${f.users.member.user.id}` }),
    expect: [401, 403, 403, 403, 200, 403],
  },
  'DELETE /api/v1/conversations/:id/moderators/:userId': {
    req: async (f) => ({ url: `/api/v1/conversations/${(await f.room()).room}/moderators/${f.users.moderator.user.id}` }),
    expect: [401, 403, 403, 403, 200, 403],
  },
  'POST /api/v1/conversations/:id/read': {
    req: (f) => ({ url: `/api/v1/conversations/${f.group}/read`, body: { upTo: f.messageId } }),
    expect: [401, 403, 200, 200, 200, 403],
  },
  'POST /api/v1/conversations/:id/typing': {
    req: (f) => ({ url: `/api/v1/conversations/${f.group}/typing` }),
    expect: [401, 403, 200, 200, 200, 403],
  },
  'GET /api/v1/rooms': { req: () => ({ url: '/api/v1/rooms' }), expect: same(200) },
  'GET /api/v1/rooms/:name/messages': { req: () => ({ url: '/api/v1/rooms/lobby/messages' }), expect: same(200) },
  'GET /api/v1/sync': { req: () => ({ url: '/api/v1/sync' }), expect: authed(200) },
  'GET /api/v1/events': { req: () => ({ url: '/api/v1/events' }), expect: authed(200), stream: true },
  'GET /api/v1/ws': { req: () => ({ url: '/api/v1/ws' }), expect: authed(101), stream: true },
  // Off the public port unless a token is configured and presented (test/integration/metrics.test.ts).
  'GET /metrics': { req: () => ({ url: '/metrics' }), expect: same(404) },
  'GET /healthz': { req: () => ({ url: '/healthz' }), expect: same(200) },
  'GET /readyz': { req: () => ({ url: '/readyz' }), expect: same(200) },
  // The seeds' legacy protocols are anonymous by design (docs/compat.md): every role gets the same answer.
  'GET /chatdemo': { req: () => ({ url: '/chatdemo' }), expect: same(200) },
  'POST /a/message/new': {
    req: () => ({ url: '/a/message/new', body: { body: 'legacy', _xsrf: 'tok' }, headers: { cookie: '_xsrf=tok' } }),
    expect: same(200),
  },
  'POST /a/message/updates': {
    req: () => ({ url: '/a/message/updates', body: { cursor: 'c1', _xsrf: 'tok' }, headers: { cookie: '_xsrf=tok' } }),
    expect: same(200),
  },
  'POST /chat': { req: () => ({ url: '/chat', body: { query: 'legacy wall' } }), expect: same(200) },
  'POST /updatemsg': { req: () => ({ url: '/updatemsg', body: {} }), expect: same(200) },
  'GET /msg': { req: () => ({ url: '/msg' }), expect: same(101), stream: true },
  // The web app and server-rendered rooms are public pages.
  'GET /': { req: () => ({ url: '/' }), expect: same(200) },
  'GET /r/:name': { req: () => ({ url: '/r/lobby' }), expect: same(200) },
  'GET /login': { req: () => ({ url: '/login' }), expect: same(200) },
  'GET /register': { req: () => ({ url: '/register' }), expect: same(200) },
  'GET /c/:id': { req: (f) => ({ url: `/c/${f.group}` }), expect: same(200) },
  'GET /people': { req: () => ({ url: '/people' }), expect: same(200) },
  'GET /rooms': { req: () => ({ url: '/rooms' }), expect: same(200) },
  'GET /new-group': { req: () => ({ url: '/new-group' }), expect: same(200) },
  'GET /assets/*': { req: () => ({ url: '/assets/does-not-exist.js' }), expect: same(404) },
  'GET /favicon.svg': { req: () => ({ url: '/favicon.svg' }), expect: same(200) },
  'GET /robots.txt': { req: () => ({ url: '/robots.txt' }), expect: same(200) },
  // The installable app: its manifest, icons and service worker are public files (404 for the worker when web/dist is not built).
  'GET /manifest.webmanifest': { req: () => ({ url: '/manifest.webmanifest' }), expect: same(200) },
  'GET /icons/:name': { req: () => ({ url: '/icons/icon-192.png' }), expect: same(200) },
  'GET /sw.js': { req: () => ({ url: '/sw.js' }), expect: same(200) },
};

describe('authorization matrix', () => {
  let s: Server;
  let base: Record<User, Api>;

  beforeAll(async () => {
    s = await testServer();
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    base = {} as Record<User, Api>;
    for (const u of USERS) base[u] = await userApi(s, u);
    await befriend(base.owner, base.member);
    await befriend(base.owner, base.moderator);
    // What `hubbub user role admin admin` does (test/integration/cli.test.ts runs the command itself).
    await s.store.setUserRole(base.admin.user.id, 'admin');
  });
  afterAll(() => s.close());

  async function fixture(): Promise<Fixture> {
    const token = async (name: string) =>
      (await s.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { username: name, password: 'hubbub-pass-4821' } })).json()
        .token as string;
    const tokens = {} as Record<User, string>;
    for (const u of USERS) tokens[u] = await token(u);
    const rebind = (a: Api, t: string): Api => ({
      token: t,
      user: a.user,
      async call(method, url, body) {
        const res = await s.app.inject({
          method: method as 'GET',
          url,
          headers: { authorization: `Bearer ${t}` },
          ...(body === undefined ? {} : { payload: body as object }),
        });
        return { status: res.statusCode, body: (res.body ? res.json() : undefined) as any };
      },
    });
    const users = {} as Record<User, Api>;
    for (const u of USERS) users[u] = rebind(base[u], tokens[u]);
    const call = async (t: string, method: string, url: string, payload?: object) =>
      (
        await s.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${t}` }, ...(payload ? { payload } : {}) })
      ).json();
    // A previous case may have ended the owner's and member's friendship.
    for (const u of ['member', 'moderator'] as const)
      if (!(await s.store.areFriends(users.owner.user.id, users[u].user.id))) await befriend(users.owner, users[u]);
    const group = (
      await call(tokens.owner, 'POST', '/api/v1/conversations', { kind: 'group', name: 'matrix', members: ['member', 'moderator'] })
    ).conversation.id;
    const messageId = (await call(tokens.owner, 'POST', `/api/v1/conversations/${group}/messages`, { body: 'first' })).message.id;
    const other = await userApi(s, fresh('xuser'));
    await befriend(other, users.owner);
    await befriend(other, users.member);
    await befriend(other, users.moderator);
    let made: Promise<RoomFixture> | null = null;
    const room = () =>
      (made ??= (async () => {
        const id = (await call(tokens.owner, 'POST', '/api/v1/conversations', { kind: 'room', name: fresh('matrix-room') })).conversation
          .id;
        for (const t of [tokens.member, tokens.moderator, other.token]) await call(t, 'POST', `/api/v1/conversations/${id}/join`);
        await call(tokens.owner, 'PUT', `/api/v1/conversations/${id}/moderators/${users.moderator.user.id}`);
        const say = async (t: string, body: string) => (await call(t, 'POST', `/api/v1/conversations/${id}/messages`, { body })).message.id;
        return {
          room: id,
          roomMessage: await say(other.token, 'by other'),
          moderatorMessage: await say(tokens.moderator, 'by the moderator'),
        };
      })());
    const requestTo = async (r: User) => {
      const asker = await userApi(s, fresh('ask'));
      await asker.call('POST', '/api/v1/friends/requests', { username: r });
      return (await call(tokens[r], 'GET', '/api/v1/friends/requests')).incoming.find((q: any) => q.from.id === asker.user.id).id;
    };
    let image: Promise<string> | null = null;
    const groupImage = () =>
      (image ??= (async () => {
        const { payload, contentType } = fileUpload('dot.png', await png(), 'image/png');
        const up = await s.app.inject({
          method: 'POST',
          url: `/api/v1/conversations/${group}/attachments`,
          headers: { authorization: `Bearer ${tokens.owner}`, 'content-type': contentType },
          payload,
        });
        const id = up.json().attachment.id as string;
        await call(tokens.owner, 'POST', `/api/v1/conversations/${group}/messages`, { attachments: [id] });
        return id;
      })());
    return { s, tokens, users, group, messageId, room, requestTo, other, groupImage };
  }

  test('every route of the app has a rule, and every rule a route', () => {
    const routes = s.app.routeTable.map((r) => `${r.method} ${r.url}`).sort();
    expect(routes).toEqual(Object.keys(RULES).sort());
  });

  for (const [key, rule] of Object.entries(RULES)) {
    if (rule.stream) continue;
    test(`${key}`, async () => {
      const [method, pattern] = key.split(' ') as [string, string];
      const got: number[] = [];
      for (const role of ROLES) {
        const f = await fixture();
        const r = await rule.req(f, role);
        const headers: Record<string, string> = { ...(role === 'anon' ? {} : { authorization: `Bearer ${f.tokens[role]}` }), ...r.headers };
        const isForm = pattern.startsWith('/a/') || pattern === '/chat' || pattern === '/updatemsg';
        const res = await s.app.inject({
          method: method as 'GET',
          url: r.url,
          headers: { ...headers, ...(isForm && r.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
          ...(r.body === undefined
            ? {}
            : {
                payload: isForm
                  ? new URLSearchParams(r.body as Record<string, string>).toString()
                  : Buffer.isBuffer(r.body)
                    ? r.body
                    : (r.body as object),
              }),
        });
        got.push(res.statusCode);
      }
      expect(got, `${key}: [anon, outsider, member, moderator, owner, admin]`).toEqual(rule.expect);
    });
  }

  test('streams: SSE and WebSocket need credentials; the legacy /msg does not', async () => {
    const port = (s.app.server.address() as { port: number }).port;
    const f = await fixture();
    for (const role of ROLES) {
      const auth: Record<string, string> = role === 'anon' ? {} : { authorization: `Bearer ${f.tokens[role]}` };
      const ac = new AbortController();
      const sse = await fetch(`http://127.0.0.1:${port}/api/v1/events`, { headers: auth, signal: ac.signal });
      ac.abort();
      expect(sse.status, `SSE ${role}`).toBe(RULES['GET /api/v1/events']!.expect[ROLES.indexOf(role)]);
      for (const path of ['/api/v1/ws', '/msg']) {
        const status = await new Promise<number>((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { ...auth, origin: `http://127.0.0.1:${port}` } });
          ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          // /api/v1/ws greets an authenticated client with `hello`; /msg says nothing until a message arrives.
          const accepted = () => {
            ws.close();
            resolve(101);
          };
          ws.on('open', () => {
            if (path === '/msg') accepted();
          });
          ws.on('message', (d) => {
            if (JSON.parse(String(d)).type === 'hello') accepted();
          });
          ws.on('close', (code) => resolve(code === 4501 ? 401 : code));
          ws.on('error', () => undefined);
        });
        expect(status, `${path} ${role}`).toBe(RULES[`GET ${path}`]!.expect[ROLES.indexOf(role)]);
      }
    }
  });

  test('WebSocket frames × roles on the group and the room', async () => {
    const port = (s.app.server.address() as { port: number }).port;
    const f = await fixture();
    const r = await f.room();
    // `target`: a fresh room message by another member for each role, so one role's delete does not decide the next's.
    const frames: Record<string, (target: string) => object> = {
      send: () => ({ type: 'send', ref: 'r', conversationId: f.group, body: 'over ws' }),
      typing: () => ({ type: 'typing', ref: 'r', conversationId: f.group }),
      read: () => ({ type: 'read', ref: 'r', conversationId: f.group, upTo: f.messageId }),
      ping: () => ({ type: 'ping', ref: 'r' }),
      edit: () => ({ type: 'edit', ref: 'r', messageId: r.moderatorMessage, body: 'edited over ws' }),
      react: (target) => ({ type: 'react', ref: 'r', messageId: target, emoji: '🎉', on: true }),
      unreact: (target) => ({ type: 'react', ref: 'r', messageId: target, emoji: '🎉', on: false }),
      delete: (target) => ({ type: 'delete', ref: 'r', messageId: target }),
    };
    const expected: Record<string, Record<User, string>> = {
      send: { outsider: 'NOT_A_MEMBER', member: 'ack', moderator: 'ack', owner: 'ack', admin: 'NOT_A_MEMBER' },
      typing: { outsider: 'NOT_A_MEMBER', member: 'ack', moderator: 'ack', owner: 'ack', admin: 'NOT_A_MEMBER' },
      read: { outsider: 'NOT_A_MEMBER', member: 'ack', moderator: 'ack', owner: 'ack', admin: 'NOT_A_MEMBER' },
      ping: { outsider: 'ack', member: 'ack', moderator: 'ack', owner: 'ack', admin: 'ack' },
      edit: { outsider: 'NOT_A_MEMBER', member: 'NOT_YOUR_MESSAGE', moderator: 'ack', owner: 'NOT_YOUR_MESSAGE', admin: 'NOT_A_MEMBER' },
      react: { outsider: 'NOT_A_MEMBER', member: 'ack', moderator: 'ack', owner: 'ack', admin: 'NOT_A_MEMBER' },
      unreact: { outsider: 'NOT_A_MEMBER', member: 'ack', moderator: 'ack', owner: 'ack', admin: 'NOT_A_MEMBER' },
      delete: { outsider: 'NOT_A_MEMBER', member: 'NOT_YOUR_MESSAGE', moderator: 'ack', owner: 'ack', admin: 'ack' },
    };
    for (const role of ['outsider', 'member', 'moderator', 'owner', 'admin'] as const) {
      const target = (await f.other.call('POST', `/api/v1/conversations/${r.room}/messages`, { body: `for ${role}` })).body.message.id;
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`, { headers: { authorization: `Bearer ${f.tokens[role]}` } });
      const replies: any[] = [];
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.type === 'ack' || m.type === 'error') replies.push(m);
      });
      await new Promise((r) => ws.once('open', r));
      for (const [name, make] of Object.entries(frames)) {
        const n = replies.length;
        ws.send(JSON.stringify(make(target)));
        while (replies.length === n) await new Promise((r) => setImmediate(r));
        const got = replies[n].type === 'ack' ? 'ack' : replies[n].error.code;
        expect(got, `${name} as ${role}`).toBe(expected[name]![role]);
      }
      ws.close();
    }
  });
});
