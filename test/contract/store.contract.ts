import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it as vit } from 'vitest';
import type { StoredEvent, User } from '../../src/domain/types.js';
import type { Store } from '../../src/store/store.js';

/** ISO timestamps a second apart, so ordering by time is under the test's control. */
const t = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString();
const payload = (e: StoredEvent) => JSON.parse(e.payload);
const norm = (e: StoredEvent) => ({ ...e, targets: [...e.targets].sort() });
const seqs = (events: StoredEvent[]) => events.map((e) => e.seq);
const sorted = (...ids: string[]) => [...ids].sort();
const rejectsWith = (p: Promise<unknown>, code: string) => expect(p).rejects.toMatchObject({ code });
const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);

/**
 * Where the PostgreSQL suites run: HUBBUB_TEST_DATABASE_URL, or the local test
 * database as the default user, "postgres" or "root" (Node has no default user
 * when $USER is unset). `url` is null when none answers within a second.
 */
export async function findPostgres(): Promise<{ url: string | null; tried: string }> {
  const env = process.env.HUBBUB_TEST_DATABASE_URL;
  const base = 'postgres://127.0.0.1:5432/test';
  const candidates = env ? [env] : [base, 'postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];
  for (const url of candidates) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return { url, tried: (env ?? base).replace(/\/\/[^@/]*@/, '//') };
    } catch {
      // try the next candidate
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return { url: null, tried: (env ?? base).replace(/\/\/[^@/]*@/, '//') };
}

/**
 * The behaviour every Store keeps, run against each implementation. `make`
 * returns a fresh, empty, not yet migrated store for every test.
 * `knownBugs` names tests an implementation is known to fail: they run as
 * `it.fails`, so fixing the bug turns them red until the entry is removed.
 */
export function storeContract(name: string, make: () => Promise<Store>, opts: { skip?: boolean; knownBugs?: string[] } = {}): void {
  const it = (title: string, fn: () => Promise<void>) => (opts.knownBugs?.includes(title) ? vit.fails : vit)(title, fn);
  describe.skipIf(!!opts.skip)(name, () => {
    let store: Store;
    const user = (username: string) =>
      store.createUser({ username, displayName: username[0]!.toUpperCase() + username.slice(1), passwordHash: `hash-${username}` });
    /** One after another, so ids follow the argument order. */
    const users = async (...names: string[]) => {
      const list: User[] = [];
      for (const n of names) list.push(await user(n));
      return list;
    };
    const group = (owner: User, members: User[], i = 0) =>
      store.createConversation({ kind: 'group', name: `g${i}`, ownerId: owner.id, memberIds: members.map((m) => m.id), now: t(i) });
    const send = (convId: string, from: User, body: string, i = 0, clientMsgId: string | null = null) =>
      store.appendMessage({ conversationId: convId, senderId: from.id, body, clientMsgId, now: t(i) });
    const befriend = async (a: User, b: User) => {
      await store.requestFriendship(a.id, b.id, t(0));
      await store.requestFriendship(b.id, a.id, t(1));
    };

    beforeEach(async () => {
      store = await make();
      await store.migrate();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('users and tokens', () => {
      it('creates users with string ids and finds them by id and by username in any case', async () => {
        const a = await user('alice');
        expect(a).toMatchObject({ username: 'alice', displayName: 'Alice' });
        expect(typeof a.id).toBe('string');
        expect(await store.getUser(a.id)).toEqual(a);
        expect(await store.getUserByUsername('ALICE')).toEqual({ ...a, passwordHash: 'hash-alice' });
        expect(await store.getUser('999999')).toBeNull();
        expect(await store.getUserByUsername('nobody')).toBeNull();
        await store.migrate(); // idempotent, keeps data
        expect(await store.getUser(a.id)).toEqual(a);
      });

      it('refuses a username that differs only in case', async () => {
        await user('alice');
        await rejectsWith(user('ALICE'), 'USERNAME_TAKEN');
        expect(await store.listUsers(10, 0)).toHaveLength(1);
      });

      it('searches by prefix case-insensitively, escaping LIKE wildcards, and lists by id', async () => {
        await users('alice', 'al_x', 'alax', 'bob');
        const names = (list: User[]) => list.map((u) => u.username);
        expect(names(await store.searchUsers('al', 10))).toEqual(['al_x', 'alax', 'alice']);
        expect(names(await store.searchUsers('AL', 2))).toEqual(['al_x', 'alax']);
        expect(names(await store.searchUsers('al_', 10))).toEqual(['al_x']);
        expect(names(await store.searchUsers('%', 10))).toEqual([]);
        expect(names(await store.listUsers(2, 1))).toEqual(['al_x', 'alax']);
      });

      it('sets a password only for an existing user', async () => {
        const a = await user('alice');
        expect(await store.setPassword(a.id, 'new-hash')).toBe(true);
        expect((await store.getUserByUsername('alice'))!.passwordHash).toBe('new-hash');
        expect(await store.setPassword('999999', 'x')).toBe(false);
      });

      it('changes a display name only for an existing user', async () => {
        const a = await user('alice');
        expect(await store.setDisplayName(a.id, 'Queen A')).toEqual({ ...a, displayName: 'Queen A' });
        expect(await store.getUser(a.id)).toEqual({ ...a, displayName: 'Queen A' });
        expect(await store.setDisplayName('999999', 'x')).toBeNull();
      });

      it('stores, reads and deletes auth tokens', async () => {
        const [a, b] = await users('alice', 'bob');
        const exp = Date.UTC(2030, 0, 1);
        await store.createAuthToken({ tokenHash: 'h1', userId: a!.id, kind: 'session', csrfToken: 'csrf', expiresAt: exp });
        await store.createAuthToken({ tokenHash: 'h2', userId: a!.id, kind: 'bearer', csrfToken: null, expiresAt: exp });
        await store.createAuthToken({ tokenHash: 'h3', userId: b!.id, kind: 'bearer', csrfToken: null, expiresAt: exp });
        expect(await store.getAuthToken('h1')).toEqual({
          userId: a!.id,
          kind: 'session',
          csrfToken: 'csrf',
          expiresAt: exp,
          lastUsedAt: expect.any(Number),
        });
        expect(await store.getAuthToken('h2')).toEqual({
          userId: a!.id,
          kind: 'bearer',
          csrfToken: null,
          expiresAt: exp,
          lastUsedAt: expect.any(Number),
        });
        await store.deleteAuthToken('h1', 'logout');
        expect(await store.getAuthToken('h1')).toBeNull();
        await store.deleteAuthTokensOfUser(a!.id, 'logout-all');
        expect(await store.getAuthToken('h2')).toBeNull();
        expect(await store.getAuthToken('h3')).not.toBeNull();
      });

      it('never reuses the id of a deleted user, message or friend request', async () => {
        const [a, b] = await users('alice', 'bob');
        const { conversation: g } = await group(a!, [b!]);
        const m = await send(g.id, b!, 'last word');
        const [req] = await store.requestFriendship(a!.id, b!.id, t(1));
        const reqId = payload(req!).request.id as string;
        await store.removeMember(g.id, b!.id, b!.id);
        await store.deleteUser(b!.id); // the newest user, message and request all go with bob
        const c = await user('carol');
        expect(Number(c.id)).toBeGreaterThan(Number(b!.id));
        expect(Number((await send(g.id, a!, 'next')).message.id)).toBeGreaterThan(Number(m.message.id));
        const [req2] = await store.requestFriendship(a!.id, c.id, t(2));
        expect(Number(payload(req2!).request.id)).toBeGreaterThan(Number(reqId));
      });

      it('deleting a user writes one audience-less user.deleted event in the same transaction', async () => {
        const [a, b] = await users('alice', 'bob');
        await befriend(a!, b!);
        const before = await store.headSeq();
        const events = await store.deleteUser(b!.id);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ type: 'user.deleted', conversationId: null, targets: [] });
        expect(payload(events[0]!)).toEqual({ type: 'user.deleted', userId: b!.id });
        expect(events[0]!.seq).toBeGreaterThan(before);
        expect((await store.readEvents(before, 10)).map(norm)).toEqual(events.map(norm));
        expect(await store.readUserEvents(a!.id, before, events[0]!.seq, 10)).toEqual([]);
        expect(await store.getUser(b!.id)).toBeNull();
        expect(await store.listFriends(a!.id)).toEqual([]);
        const head = await store.headSeq();
        expect(await store.deleteUser(b!.id)).toEqual([]);
        expect(await store.deleteUser('999999')).toEqual([]);
        expect(await store.deleteUser('not-an-id')).toEqual([]);
        expect(await store.headSeq()).toBe(head);
      });

      it('revoking tokens writes auth.revoked events, keeps an excepted session, and writes nothing when nothing went', async () => {
        const [a, b] = await users('alice', 'bob');
        const exp = Date.UTC(2030, 0, 1);
        for (const [h, u] of [
          ['h1', a],
          ['h2', a],
          ['h3', a],
          ['h4', b],
        ] as const) {
          await store.createAuthToken({ tokenHash: h, userId: u!.id, kind: 'session', csrfToken: 'c', expiresAt: exp });
        }
        const one = await store.deleteAuthToken('h1', 'logout');
        expect(one).toHaveLength(1);
        expect(one[0]).toMatchObject({ type: 'auth.revoked', conversationId: null, targets: [] });
        expect(payload(one[0]!)).toEqual({ type: 'auth.revoked', userId: a!.id, tokenHash: 'h1', reason: 'logout' });
        let head = await store.headSeq();
        expect(await store.deleteAuthToken('h1', 'logout')).toEqual([]);
        expect(await store.headSeq()).toBe(head);

        // Everything but the session in use: one event per ended token, so the kept one is never named.
        const others = await store.deleteAuthTokensOfUser(a!.id, 'password', 'h3');
        expect(others.map((e) => payload(e))).toEqual([{ type: 'auth.revoked', userId: a!.id, tokenHash: 'h2', reason: 'password' }]);
        expect(await store.getAuthToken('h3')).not.toBeNull();
        const all = await store.deleteAuthTokensOfUser(a!.id, 'logout-all');
        expect(all.map((e) => payload(e))).toEqual([{ type: 'auth.revoked', userId: a!.id, tokenHash: null, reason: 'logout-all' }]);
        expect(await store.getAuthToken('h3')).toBeNull();
        expect(await store.getAuthToken('h4')).not.toBeNull();
        head = await store.headSeq();
        expect(await store.deleteAuthTokensOfUser(a!.id, 'logout-all')).toEqual([]);
        expect(await store.deleteAuthTokensOfUser('999999', 'logout-all')).toEqual([]);
        expect(await store.headSeq()).toBe(head);
        expect(increasing(seqs([...one, ...others, ...all]))).toBe(true);
      });

      it("lists a user's sessions with when they were made and last used, and where from", async () => {
        const [a, b] = await users('alice', 'bob');
        const exp = Date.UTC(2030, 0, 1);
        await store.createAuthToken({
          tokenHash: 'h1',
          userId: a!.id,
          kind: 'session',
          csrfToken: 'c',
          expiresAt: exp,
          createdAt: 1000,
          userAgent: 'Firefox',
          ip: '10.0.0.1',
        });
        await store.createAuthToken({ tokenHash: 'h2', userId: a!.id, kind: 'bearer', csrfToken: null, expiresAt: exp, createdAt: 2000 });
        await store.createAuthToken({ tokenHash: 'h3', userId: b!.id, kind: 'bearer', csrfToken: null, expiresAt: exp, createdAt: 3000 });
        expect(await store.listAuthTokens(a!.id)).toEqual([
          { tokenHash: 'h1', kind: 'session', createdAt: 1000, lastUsedAt: 1000, userAgent: 'Firefox', ip: '10.0.0.1', expiresAt: exp },
          { tokenHash: 'h2', kind: 'bearer', createdAt: 2000, lastUsedAt: 2000, userAgent: null, ip: null, expiresAt: exp },
        ]);
        await store.touchAuthToken('h2', 5000);
        expect((await store.listAuthTokens(a!.id))[1]!.lastUsedAt).toBe(5000);
        expect((await store.getAuthToken('h2'))!.lastUsedAt).toBe(5000);
        await store.touchAuthToken('nope', 6000); // a token already gone: nothing to do, no error
        expect(await store.listAuthTokens('999999')).toEqual([]);
      });

      it('probes a write without touching the log', async () => {
        const head = await store.headSeq();
        await store.probeWrite();
        await store.probeWrite();
        expect(await store.headSeq()).toBe(head);
      });
    });

    describe('friends', () => {
      it('sends a request to both parties and lists it as incoming and outgoing', async () => {
        const [a, b] = await users('alice', 'bob');
        const events = await store.requestFriendship(a!.id, b!.id, t(5));
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ type: 'friend.requested', conversationId: null });
        expect(sorted(...events[0]!.targets)).toEqual(sorted(a!.id, b!.id));
        const { request } = payload(events[0]!);
        expect(request).toMatchObject({ from: a, to: b, createdAt: t(5) });
        expect(await store.listFriendRequests(b!.id)).toEqual({ incoming: [request], outgoing: [] });
        expect(await store.listFriendRequests(a!.id)).toEqual({ incoming: [], outgoing: [request] });
        expect(await store.areFriends(a!.id, b!.id)).toBe(false);
      });

      it('refuses self, unknown and repeated requests, changing nothing', async () => {
        const [a, b] = await users('alice', 'bob');
        await store.requestFriendship(a!.id, b!.id, t(0));
        const head = await store.headSeq();
        await rejectsWith(store.requestFriendship(a!.id, a!.id, t(1)), 'INVALID_OPERATION');
        await rejectsWith(store.requestFriendship(a!.id, '999999', t(1)), 'USER_NOT_FOUND');
        await rejectsWith(store.requestFriendship(a!.id, b!.id, t(1)), 'FRIEND_REQUEST_EXISTS');
        expect(await store.headSeq()).toBe(head);
        expect((await store.listFriendRequests(a!.id)).outgoing).toHaveLength(1);
      });

      it('a reverse request accepts the pending one', async () => {
        const [a, b] = await users('alice', 'bob');
        const [asked] = await store.requestFriendship(a!.id, b!.id, t(0));
        const events = await store.requestFriendship(b!.id, a!.id, t(1));
        expect(events.map((e) => e.type)).toEqual(['friend.accepted']);
        expect(payload(events[0]!)).toEqual({ type: 'friend.accepted', requestId: payload(asked!).request.id, users: [a, b] });
        expect(sorted(...events[0]!.targets)).toEqual(sorted(a!.id, b!.id));
        expect(await store.areFriends(a!.id, b!.id)).toBe(true);
        expect(await store.areFriends(b!.id, a!.id)).toBe(true);
        expect(await store.listFriends(a!.id)).toEqual([b]);
        expect(await store.listFriendRequests(a!.id)).toEqual({ incoming: [], outgoing: [] });
        await rejectsWith(store.requestFriendship(a!.id, b!.id, t(2)), 'ALREADY_FRIENDS');
      });

      it('only the recipient answers a pending request, once', async () => {
        const [a, b, c] = await users('alice', 'bob', 'carol');
        const id = payload((await store.requestFriendship(a!.id, b!.id, t(0)))[0]!).request.id;
        await rejectsWith(store.answerFriendRequest(id, a!.id, true, t(1)), 'FRIEND_REQUEST_NOT_FOUND');
        const accepted = await store.answerFriendRequest(id, b!.id, true, t(1));
        expect(accepted.map((e) => e.type)).toEqual(['friend.accepted']);
        await rejectsWith(store.answerFriendRequest(id, b!.id, true, t(2)), 'FRIEND_REQUEST_NOT_FOUND');
        expect(await store.listFriends(b!.id)).toEqual([a]);

        const id2 = payload((await store.requestFriendship(c!.id, b!.id, t(3)))[0]!).request.id;
        const declined = await store.answerFriendRequest(id2, b!.id, false, t(4));
        expect(payload(declined[0]!)).toEqual({ type: 'friend.declined', requestId: id2, fromId: c!.id, toId: b!.id });
        expect(sorted(...declined[0]!.targets)).toEqual(sorted(b!.id, c!.id));
        expect(await store.areFriends(b!.id, c!.id)).toBe(false);
        expect(await store.listFriendRequests(b!.id)).toEqual({ incoming: [], outgoing: [] });
        await store.requestFriendship(c!.id, b!.id, t(5)); // may ask again
        await rejectsWith(store.answerFriendRequest('999999', b!.id, true, t(6)), 'FRIEND_REQUEST_NOT_FOUND');
      });

      it('removes a friendship', async () => {
        const [a, b] = await users('alice', 'bob');
        await befriend(a!, b!);
        const events = await store.removeFriendship(a!.id, b!.id);
        expect(payload(events[0]!)).toEqual({ type: 'friend.removed', userIds: [a!.id, b!.id] });
        expect(sorted(...events[0]!.targets)).toEqual(sorted(a!.id, b!.id));
        expect(await store.areFriends(a!.id, b!.id)).toBe(false);
        expect(await store.listFriends(b!.id)).toEqual([]);
        await rejectsWith(store.removeFriendship(b!.id, a!.id), 'USER_NOT_FOUND');
      });
    });

    describe('conversations and membership', () => {
      it('creates a direct conversation once and then reuses it', async () => {
        const [a, b] = await users('alice', 'bob');
        const first = await store.getOrCreateDirect(a!.id, b!.id, t(1));
        expect(first.conversation).toMatchObject({ kind: 'direct', name: null, ownerId: null, createdAt: t(1) });
        expect(first.events.map((e) => [e.type, e.conversationId])).toEqual([['conversation.created', first.conversation.id]]);
        const again = await store.getOrCreateDirect(b!.id, a!.id, t(2));
        expect(again).toEqual({ conversation: first.conversation, events: [] });
        const detail = (await store.getConversation(first.conversation.id))!;
        expect(detail.members.map((m) => [m.id, m.role])).toEqual([
          [a!.id, 'member'],
          [b!.id, 'member'],
        ]);
        expect(detail.memberCount).toBe(2);
        const seq = first.events[0]!.seq;
        expect(await store.membershipSpans(first.conversation.id)).toEqual(
          expect.arrayContaining([
            { userId: a!.id, joinedSeq: seq, leftSeq: null },
            { userId: b!.id, joinedSeq: seq, leftSeq: null },
          ]),
        );
        const [summary] = await store.listConversationsOf(a!.id);
        expect(summary!.peer).toEqual({ id: b!.id, username: 'bob', displayName: 'Bob' });
      });

      it('creates a group with its owner first; a failed create changes nothing', async () => {
        const [a, b, c] = await users('alice', 'bob', 'carol');
        const { conversation, events } = await group(a!, [b!, c!], 1);
        expect(conversation).toMatchObject({ kind: 'group', name: 'g1', ownerId: a!.id, memberCount: 3 });
        expect(conversation.members.map((m) => [m.id, m.role])).toEqual([
          [a!.id, 'owner'],
          [b!.id, 'member'],
          [c!.id, 'member'],
        ]);
        expect(payload(events[0]!)).toEqual({ type: 'conversation.created', conversation });
        expect(await store.getConversation(conversation.id)).toEqual(conversation);
        expect(await store.getConversation('999999')).toBeNull();
        expect(await store.getMember(conversation.id, a!.id)).toEqual({
          id: a!.id,
          username: 'alice',
          displayName: 'Alice',
          role: 'owner',
        });

        const head = await store.headSeq();
        await rejectsWith(
          store.createConversation({ kind: 'group', name: 'x', ownerId: a!.id, memberIds: ['999999'], now: t(2) }),
          'USER_NOT_FOUND',
        );
        expect(await store.headSeq()).toBe(head);
        expect(await store.listConversationsOf(a!.id)).toHaveLength(1);
      });

      it('renames, adds and removes members with events and errors', async () => {
        const [a, b, d] = await users('alice', 'bob', 'dave');
        const { conversation: g } = await group(a!, [b!]);
        const renamed = await store.renameConversation(g.id, 'new name', a!.id);
        expect(payload(renamed[0]!)).toMatchObject({ type: 'conversation.updated', conversation: { id: g.id, name: 'new name' } });
        expect(renamed[0]!.conversationId).toBe(g.id);
        expect((await store.getConversation(g.id))!.name).toBe('new name');

        const joined = await store.addMember(g.id, d!.id, a!.id);
        expect(payload(joined[0]!)).toEqual({
          type: 'member.joined',
          conversationId: g.id,
          member: { id: d!.id, username: 'dave', displayName: 'Dave', role: 'member' },
          by: a!.id,
        });
        await rejectsWith(store.addMember(g.id, d!.id, a!.id), 'ALREADY_MEMBER');
        await rejectsWith(store.addMember(g.id, '999999', a!.id), 'USER_NOT_FOUND');
        await rejectsWith(store.addMember('999999', d!.id, a!.id), 'CONVERSATION_NOT_FOUND');

        const left = await store.removeMember(g.id, d!.id, null);
        expect(payload(left[0]!)).toEqual({ type: 'member.left', conversationId: g.id, userId: d!.id, by: null });
        expect(await store.getMember(g.id, d!.id)).toBeNull();
        await rejectsWith(store.removeMember(g.id, d!.id, null), 'NOT_A_MEMBER');
        await rejectsWith(store.removeMember('999999', d!.id, null), 'CONVERSATION_NOT_FOUND');
      });

      it('hands a group to the longest-standing member when its owner leaves', async () => {
        const [a, b, c, d] = await users('alice', 'bob', 'carol', 'dave');
        const { conversation: g } = await group(a!, [b!, c!]);
        await store.removeMember(g.id, b!.id, b!.id);
        await store.addMember(g.id, b!.id, a!.id); // b's standing now starts here, after c
        await store.addMember(g.id, d!.id, a!.id);
        const heirs: Array<string | undefined> = [];
        for (const who of [a!, c!, b!]) heirs.push(payload((await store.removeMember(g.id, who.id, who.id))[0]!).newOwnerId);
        expect(heirs).toEqual([c!.id, b!.id, d!.id]);
        expect(await store.getConversation(g.id)).toMatchObject({ ownerId: d!.id, members: [{ id: d!.id, role: 'owner' }] });
        const last = payload((await store.removeMember(g.id, d!.id, d!.id))[0]!);
        expect(last).not.toHaveProperty('newOwnerId');
        expect(await store.getConversation(g.id)).toMatchObject({ ownerId: null, memberCount: 0 });
      });

      it('keeps room names unique and lists rooms with member counts and last activity', async () => {
        const [a, b] = await users('alice', 'bob');
        const { conversation: lobby } = await store.createConversation({
          kind: 'room',
          name: 'lobby',
          ownerId: null,
          memberIds: [],
          now: t(1),
        });
        expect(lobby).toMatchObject({ kind: 'room', name: 'lobby', ownerId: null, members: [], memberCount: 0 });
        await rejectsWith(
          store.createConversation({ kind: 'room', name: 'lobby', ownerId: a!.id, memberIds: [], now: t(2) }),
          'NAME_TAKEN',
        );
        const { conversation: annex } = await store.createConversation({
          kind: 'room',
          name: 'annex',
          ownerId: a!.id,
          memberIds: [b!.id],
          now: t(3),
        });
        expect(await store.getRoomByName('lobby')).toEqual({ id: lobby.id, kind: 'room', name: 'lobby', ownerId: null, createdAt: t(1) });
        expect(await store.getRoomByName('nope')).toBeNull();
        await store.addMember(lobby.id, a!.id, a!.id);
        await store.addMember(lobby.id, b!.id, b!.id);
        await send(lobby.id, a!, 'hi', 9);
        const rooms = await store.listRooms();
        expect(rooms.map((r) => [r.name, r.memberCount, r.lastMessageAt])).toEqual([
          ['annex', 2, null],
          ['lobby', 2, t(9)],
        ]);
        // Only groups change hands: a room's owner leaving names no heir.
        expect(payload((await store.removeMember(annex.id, a!.id, a!.id))[0]!)).not.toHaveProperty('newOwnerId');
      });

      it("lists the ids of a user's current conversations by kind, cheaply", async () => {
        const [a, b, c] = await users('alice', 'bob', 'carol');
        const { conversation: direct } = await store.getOrCreateDirect(a!.id, b!.id, t(1));
        const { conversation: g } = await group(a!, [b!, c!], 2);
        const { conversation: room } = await store.createConversation({
          kind: 'room',
          name: 'hall',
          ownerId: a!.id,
          memberIds: [b!.id],
          now: t(3),
        });
        const { conversation: left } = await group(b!, [a!], 4);
        await store.removeMember(left.id, a!.id, a!.id);
        const sorted = (ids: string[]) => [...ids].sort((x, y) => Number(x) - Number(y));
        expect(await store.conversationIdsOf(a!.id, ['direct', 'group'])).toEqual(sorted([direct.id, g.id]));
        expect(await store.conversationIdsOf(a!.id, ['room'])).toEqual([room.id]);
        expect(await store.conversationIdsOf(a!.id, ['direct', 'group', 'room'])).toEqual(sorted([direct.id, g.id, room.id]));
        expect(await store.conversationIdsOf(c!.id, ['direct', 'room'])).toEqual([]);
        expect(await store.conversationIdsOf(a!.id, [])).toEqual([]);
        expect(await store.conversationIdsOf('999999', ['group'])).toEqual([]);
      });

      it('records one membership span per stay, bounded by the join and leave events', async () => {
        const [a, b, c] = await users('alice', 'bob', 'carol');
        const {
          conversation: g,
          events: [created],
        } = await group(a!, [b!]);
        const [j1] = await store.addMember(g.id, c!.id, a!.id);
        const [l1] = await store.removeMember(g.id, c!.id, a!.id);
        const [j2] = await store.addMember(g.id, c!.id, a!.id);
        const spans = (await store.membershipSpans(g.id)).sort((x, y) => x.joinedSeq - y.joinedSeq || x.userId.localeCompare(y.userId));
        expect(spans.filter((s) => s.userId === c!.id)).toEqual([
          { userId: c!.id, joinedSeq: j1!.seq, leftSeq: l1!.seq },
          { userId: c!.id, joinedSeq: j2!.seq, leftSeq: null },
        ]);
        expect(spans.filter((s) => s.userId !== c!.id).map((s) => s.joinedSeq)).toEqual([created!.seq, created!.seq]);
        expect(await store.membershipSpans('999999')).toEqual([]);
      });
    });

    describe('messages and read pointers', () => {
      it('appends a message with its event', async () => {
        const [a, b] = await users('alice', 'bob');
        const { conversation: g } = await group(a!, [b!]);
        const r = await send(g.id, a!, 'hello', 3);
        expect(r.duplicate).toBe(false);
        expect(r.message).toEqual({
          id: r.message.id,
          conversationId: g.id,
          senderId: a!.id,
          senderName: 'Alice',
          body: 'hello',
          createdAt: t(3),
          editedAt: null,
          deleted: false,
          replyTo: null,
          reactions: [],
          mentions: [],
          mentionsAll: false,
          attachments: [],
          linkPreview: null,
        });
        expect(r.events).toHaveLength(1);
        expect(r.events[0]).toMatchObject({ type: 'message.created', conversationId: g.id, targets: [] });
        expect(payload(r.events[0]!)).toEqual({ type: 'message.created', message: r.message });
        await rejectsWith(send(g.id, { ...a!, id: '999999' }, 'x'), 'USER_NOT_FOUND');
      });

      it('decides who may post inside the append: members only, direct only between friends; a refusal stores nothing', async () => {
        const [a, b, c] = await users('alice', 'bob', 'carol');
        const { conversation: g } = await group(a!, [b!]);
        await befriend(a!, b!);
        const { conversation: dm } = await store.getOrCreateDirect(a!.id, b!.id, t(2));
        const head = await store.headSeq();
        await rejectsWith(send(g.id, c!, 'never a member'), 'NOT_A_MEMBER');
        await store.removeMember(g.id, b!.id, b!.id);
        await rejectsWith(send(g.id, b!, 'left already'), 'NOT_A_MEMBER');
        await rejectsWith(send('999999', a!, 'nowhere'), 'CONVERSATION_NOT_FOUND');
        await rejectsWith(send('not-an-id', a!, 'nowhere'), 'CONVERSATION_NOT_FOUND');
        expect((await store.readEvents(head, 10)).map((e) => e.type)).toEqual(['member.left']);
        expect((await send(dm.id, b!, 'friends may')).duplicate).toBe(false);
        await store.removeFriendship(a!.id, b!.id);
        const afterUnfriend = await store.headSeq();
        await rejectsWith(send(dm.id, b!, 'no longer'), 'FRIENDSHIP_REQUIRED');
        await rejectsWith(send(dm.id, a!, 'no longer', 0, 'k-1'), 'FRIENDSHIP_REQUIRED');
        expect(await store.readEvents(afterUnfriend, 10)).toEqual([]);
        expect(await store.listMessages(g.id, null, 10)).toEqual([]);
        expect((await store.listMessages(dm.id, null, 10)).map((m) => m.body)).toEqual(['friends may']);
      });

      it('stores nothing for a repeated clientMsgId of the same sender', async () => {
        const [a, b] = await users('alice', 'bob');
        const { conversation: g } = await group(a!, [b!]);
        const first = await send(g.id, a!, 'hello', 1, 'c-1');
        expect(first.message.clientMsgId).toBe('c-1');
        const head = await store.headSeq();
        const again = await send(g.id, a!, 'changed', 2, 'c-1');
        expect(again).toEqual({ message: first.message, events: [], duplicate: true });
        expect(await store.headSeq()).toBe(head);
        expect(await store.listMessages(g.id, null, 10)).toEqual([first.message]);
        const other = await send(g.id, b!, 'mine', 3, 'c-1'); // ids are per sender
        expect(other.duplicate).toBe(false);
      });

      it('stores one message for a clientMsgId sent many times at once', async () => {
        const [a, b] = await users('alice', 'bob');
        const { conversation: g } = await group(a!, [b!]);
        const all = await Promise.all(Array.from({ length: 6 }, (_, i) => send(g.id, a!, `try ${i}`, i, 'same')));
        expect(all.filter((r) => !r.duplicate)).toHaveLength(1);
        const [original] = all.filter((r) => !r.duplicate).map((r) => r.message);
        for (const r of all) expect(r.message).toEqual(original);
        expect(all.flatMap((r) => r.events)).toHaveLength(1);
        expect(await store.listMessages(g.id, null, 10)).toEqual([original]);
      });

      it('fails only the bad append among concurrent ones', async () => {
        const [a, b] = await users('alice', 'bob');
        const { conversation: g } = await group(a!, [b!]);
        const head = await store.headSeq();
        // Enough at once that an implementation which commits appends together meets the bad one in a batch.
        const results = await Promise.allSettled(
          Array.from({ length: 21 }, (_, i) => (i === 10 ? send('999999', a!, 'nowhere') : send(g.id, i % 2 ? a! : b!, `ok ${i}`))),
        );
        expect(results.map((r) => r.status === 'rejected')).toEqual(Array.from({ length: 21 }, (_, i) => i === 10));
        expect(await store.listMessages(g.id, null, 50)).toHaveLength(20);
        expect(await store.readEvents(head, 50)).toHaveLength(20);
      });

      it('lists history newest last, paging back with before and limit', async () => {
        const [a, b] = await users('alice', 'bob');
        const { conversation: g } = await group(a!, [b!]);
        const m: string[] = [];
        for (let i = 0; i < 5; i++) m.push((await send(g.id, i % 2 ? b! : a!, `m${i}`, i)).message.id);
        const ids = async (before: string | null, limit: number) => (await store.listMessages(g.id, before, limit)).map((x) => x.id);
        expect(await ids(null, 2)).toEqual([m[3], m[4]]);
        expect(await ids(m[3]!, 2)).toEqual([m[1], m[2]]);
        expect(await ids(m[1]!, 10)).toEqual([m[0]]);
        expect(await ids(m[0]!, 10)).toEqual([]);
        expect(await ids(null, 100)).toEqual(m);
      });

      it('counts unread messages and moves read pointers forward only', async () => {
        const [a, b, c] = await users('alice', 'bob', 'carol');
        const { conversation: g } = await group(a!, [b!], 0);
        const { conversation: other } = await group(a!, [b!], 0);
        const m = [await send(g.id, a!, 'one', 1), await send(g.id, a!, 'two', 2), await send(g.id, a!, 'three', 3)].map((r) => r.message);
        const summary = async (u: User) => (await store.listConversationsOf(u.id)).find((s) => s.id === g.id)!;
        expect(await summary(b!)).toMatchObject({ unread: 3, lastMessage: m[2], lastReadMessageId: null, memberCount: 2 });
        expect(await summary(a!)).toMatchObject({ unread: 0, lastReadMessageId: m[2]!.id });

        const moved = await store.markRead(b!.id, g.id, m[1]!.id);
        expect(moved).toHaveLength(1);
        // In a group everyone sees how far each member read (issue 13): the event is the conversation's.
        expect(moved[0]).toMatchObject({ type: 'read.updated', conversationId: g.id, targets: [] });
        expect(payload(moved[0]!)).toEqual({ type: 'read.updated', conversationId: g.id, userId: b!.id, upTo: m[1]!.id });
        expect(await summary(b!)).toMatchObject({ unread: 1, lastReadMessageId: m[1]!.id });
        expect(await store.markRead(b!.id, g.id, m[0]!.id)).toEqual([]);
        expect(await store.markRead(b!.id, g.id, m[1]!.id)).toEqual([]);
        await rejectsWith(store.markRead(b!.id, g.id, '999999'), 'MESSAGE_NOT_FOUND');
        await rejectsWith(store.markRead(b!.id, other.id, m[2]!.id), 'MESSAGE_NOT_FOUND');

        await store.addMember(g.id, c!.id, a!.id); // a newcomer starts with everything read
        expect(await summary(c!)).toMatchObject({ unread: 0, lastReadMessageId: m[2]!.id });
        const mine = (await send(g.id, b!, 'four', 4)).message; // the sender has read what they wrote
        expect(await summary(b!)).toMatchObject({ unread: 0, lastReadMessageId: mine.id, lastMessage: mine });
        expect(await summary(a!)).toMatchObject({ unread: 1 });
      });

      it("lists a user's current conversations, most recent activity first", async () => {
        const [a, b] = await users('alice', 'bob');
        const { conversation: g1 } = await group(a!, [b!], 1);
        const { conversation: g2 } = await group(a!, [b!], 2);
        const { conversation: d } = await store.getOrCreateDirect(a!.id, b!.id, t(3));
        await send(g1.id, b!, 'latest', 4);
        expect((await store.listConversationsOf(a!.id)).map((s) => s.id)).toEqual([g1.id, d.id, g2.id]);
        await store.removeMember(g2.id, a!.id, a!.id);
        expect((await store.listConversationsOf(a!.id)).map((s) => s.id)).toEqual([g1.id, d.id]);
        expect((await store.listConversationsOf(b!.id)).map((s) => s.id)).toEqual([g1.id, d.id, g2.id]);
      });
    });

    describe('the log', () => {
      it('starts empty', async () => {
        expect(await store.headSeq()).toBe(0);
        expect(await store.floorSeq()).toBe(0);
        expect(await store.readEvents(0, 10)).toEqual([]);
      });

      it('reads back every returned event, in order, with its targets', async () => {
        const [a, b] = await users('alice', 'bob');
        const written: StoredEvent[] = [];
        written.push(...(await store.requestFriendship(a!.id, b!.id, t(0))));
        written.push(...(await store.requestFriendship(b!.id, a!.id, t(1))));
        const { conversation: g, events } = await group(a!, [b!]);
        written.push(...events);
        const msg = await send(g.id, a!, 'hi');
        written.push(...msg.events);
        written.push(...(await store.markRead(b!.id, g.id, msg.message.id)));
        written.push(...(await store.removeMember(g.id, b!.id, b!.id)));
        expect(increasing(seqs(written))).toBe(true);
        const all = await store.readEvents(0, 100);
        expect(all.map(norm)).toEqual(written.map(norm));
        expect(await store.headSeq()).toBe(written.at(-1)!.seq);
        expect(seqs(await store.readEvents(written[1]!.seq, 2))).toEqual(seqs(written.slice(2, 4)));
        expect(await store.readEvents(written.at(-1)!.seq, 10)).toEqual([]);
      });

      it('gives a user the events of their membership spans and their targeted events only', async () => {
        const [a, b, c] = await users('alice', 'bob', 'carol');
        const e: StoredEvent[] = [];
        const { conversation: g, events } = await group(a!, [b!]);
        e.push(events[0]!); // 0
        e.push((await send(g.id, a!, 'before c')).events[0]!); // 1
        e.push(...(await store.addMember(g.id, c!.id, a!.id))); // 2
        e.push((await send(g.id, b!, 'with c')).events[0]!); // 3
        e.push(...(await store.removeMember(g.id, c!.id, a!.id))); // 4
        e.push((await send(g.id, a!, 'after c')).events[0]!); // 5
        e.push(...(await store.requestFriendship(a!.id, c!.id, t(1)))); // 6: targets a, c
        e.push(...(await store.addMember(g.id, c!.id, a!.id))); // 7
        e.push((await send(g.id, a!, 'c is back')).events[0]!); // 8
        const head = await store.headSeq();
        const read = async (u: User, after: number, upTo: number, limit: number) =>
          seqs(await store.readUserEvents(u.id, after, upTo, limit));
        const pick = (...i: number[]) => i.map((k) => e[k]!.seq);
        expect(await read(c!, 0, head, 100)).toEqual(pick(2, 3, 4, 6, 7, 8));
        expect(await read(b!, 0, head, 100)).toEqual(pick(0, 1, 2, 3, 4, 5, 7, 8));
        expect(await read(a!, 0, head, 100)).toEqual(pick(0, 1, 2, 3, 4, 5, 6, 7, 8));
        expect(await read(c!, 0, e[4]!.seq, 100)).toEqual(pick(2, 3, 4));
        expect(await read(c!, e[3]!.seq, head, 100)).toEqual(pick(4, 6, 7, 8));
        expect(await read(c!, 0, head, 2)).toEqual(pick(2, 3));
        const got = await store.readUserEvents(c!.id, 0, head, 100);
        expect(got.map((x) => x.payload)).toEqual([2, 3, 4, 6, 7, 8].map((k) => e[k]!.payload));
      });

      it('prunes old events but keeps messages; the floor only rises', async () => {
        const [a, b] = await users('alice', 'bob');
        const { conversation: g, events } = await group(a!, [b!]);
        const e = [events[0]!];
        for (let i = 0; i < 3; i++) e.push((await send(g.id, a!, `m${i}`)).events[0]!);
        expect(await store.pruneEvents(e[1]!.seq)).toBe(2);
        expect(await store.floorSeq()).toBe(e[1]!.seq);
        expect(seqs(await store.readEvents(0, 10))).toEqual(seqs(e.slice(2)));
        expect(seqs(await store.readUserEvents(b!.id, 0, e[3]!.seq, 10))).toEqual(seqs(e.slice(2)));
        expect(await store.headSeq()).toBe(e[3]!.seq);
        expect(await store.listMessages(g.id, null, 10)).toHaveLength(3);
        expect(await store.pruneEvents(e[0]!.seq)).toBe(0);
        expect(await store.floorSeq()).toBe(e[1]!.seq);
        expect(await store.pruneEvents(e[3]!.seq)).toBe(2);
        expect(await store.headSeq()).toBe(e[3]!.seq);
        const next = await send(g.id, a!, 'after pruning');
        expect(next.events[0]!.seq).toBeGreaterThan(e[3]!.seq);
      });

      it('keeps positions strictly increasing and complete under 8 concurrent writers', async () => {
        const writers = await Promise.all(Array.from({ length: 8 }, (_, i) => user(`writer${i}`)));
        const { conversation: g } = await group(writers[0]!, writers.slice(1));
        const start = await store.headSeq();
        const perWriter = 200;
        const results = await Promise.all(
          writers.map(async (w) => {
            const mine: number[] = [];
            for (let i = 0; i < perWriter; i++) mine.push((await send(g.id, w, `${w.username} ${i}`, i, `${w.id}-${i}`)).events[0]!.seq);
            return mine;
          }),
        );
        for (const mine of results) expect(increasing(mine)).toBe(true);
        const seen: StoredEvent[] = [];
        for (let cursor = start; ; ) {
          const batch = await store.readEvents(cursor, 300);
          if (batch.length === 0) break;
          seen.push(...batch);
          cursor = batch.at(-1)!.seq;
        }
        expect(increasing(seqs(seen))).toBe(true);
        expect(seen).toHaveLength(8 * perWriter);
        expect(new Set(seen.map((x) => payload(x).message.id)).size).toBe(8 * perWriter);
        expect(seqs(seen).sort((x, y) => x - y)).toEqual(results.flat().sort((x, y) => x - y));
      });
    });
  });
}
