import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { EventPayload, Message, User } from '../../client/index.js';
import { acceptMessage, applyEvent } from '../../web/src/state/apply-event.js';
import { conversationLoaded, loaded } from '../../web/src/state/load.js';
import { emptyChatState, newConv, type ChatState } from '../../web/src/state/model.js';
import { readIfSeen } from '../../web/src/state/read.js';
import { apply, comparable, deepFreeze, freshLoad, knownMembersTrue, readersBehind, replay } from './web-replay.js';
import { World, type Action } from './web-world.js';

const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 12, 0, n)).toISOString();
const user = (id: string): User => ({ id, username: `user${id}`, displayName: `User ${id}`, createdAt: at(0), role: 'member' });
const me = user('1');
const msg = (id: string, conv: string, sender: string, extra: Partial<Message> = {}): Message => ({
  id,
  conversationId: conv,
  senderId: sender,
  senderName: `User ${sender}`,
  body: `m${id}`,
  createdAt: at(Number(id) || 0),
  editedAt: null,
  deleted: false,
  replyTo: null,
  reactions: [],
  mentions: [],
  mentionsAll: false,
  attachments: [],
  linkPreview: null,
  ...extra,
});

/** A state with one group "10" (members 1, 2, 3; owner 2), loaded, holding messages 11 and 12, read up to 12. */
function withGroup(opts: { loaded?: boolean } = {}): ChatState {
  let s = loaded(emptyChatState(me), { conversations: [], friends: [], requests: { incoming: [], outgoing: [] } });
  const members = [
    { id: '2', username: 'user2', displayName: 'User 2', role: 'owner' as const },
    { id: '1', username: 'user1', displayName: 'User 1', role: 'member' as const },
    { id: '3', username: 'user3', displayName: 'User 3', role: 'member' as const },
  ];
  const summary = {
    id: '10',
    kind: 'group' as const,
    name: 'g',
    ownerId: '2',
    createdAt: at(1),
    memberCount: 3,
    unread: 0,
    mentions: 0,
    lastMessage: msg('12', '10', '2'),
    lastReadMessageId: '12',
  };
  s = { ...s, conversations: { '10': newConv(summary) } };
  if (opts.loaded !== false)
    s = conversationLoaded(s, '10', { ...summary, members, memberCount: 3 }, [msg('11', '10', '3'), msg('12', '10', '2')]);
  return deepFreeze(s);
}

const kinds = (effects: Array<{ kind: string }>) => effects.map((e) => e.kind);

describe('applyEvent, one event type at a time', () => {
  test('message.created from someone else: inserted once, counted unread, newest, notifies while hidden', () => {
    const s = { ...withGroup(), visible: false };
    const r = applyEvent(s, { type: 'message.created', message: msg('13', '10', '3') });
    const c = r.state.conversations['10']!;
    expect(c.messages.map((m) => m.id)).toEqual(['11', '12', '13']);
    expect(c.summary.unread).toBe(1);
    expect(c.summary.lastMessage?.id).toBe('13');
    expect(kinds(r.effects)).toEqual(['notify']);
    // The same event again changes nothing.
    const again = applyEvent(deepFreeze(r.state), { type: 'message.created', message: msg('13', '10', '3') });
    expect(again.state).toEqual(r.state);
    expect(again.effects).toEqual([]);
  });

  test('message.created in the conversation on screen asks to move the read pointer instead of counting', () => {
    const s = deepFreeze({ ...withGroup(), activeId: '10', visible: true, atBottom: true });
    const r = applyEvent(s, { type: 'message.created', message: msg('13', '10', '3') });
    expect(r.state.conversations['10']!.summary.unread).toBe(0);
    expect(r.effects).toEqual([{ kind: 'markRead', conversationId: '10' }]);
    const read = readIfSeen(r.state);
    expect(read.upTo).toBe('13');
    expect(read.state.conversations['10']!.summary.lastReadMessageId).toBe('13');
  });

  test('message.created of mine replaces its pending copy and moves my read pointer, as the server does', () => {
    let s = withGroup();
    const c = s.conversations['10']!;
    s = deepFreeze({
      ...s,
      conversations: {
        '10': {
          ...c,
          summary: { ...c.summary, unread: 1, lastReadMessageId: '11' },
          messages: [...c.messages, { ...msg('local:x', '10', '1', { clientMsgId: 'x' }), state: 'pending' as const }],
        },
      },
    });
    const r = applyEvent(s, { type: 'message.created', message: msg('13', '10', '1', { clientMsgId: 'x' }) });
    const after = r.state.conversations['10']!;
    expect(after.messages.map((m) => `${m.id}${m.state ? ':' + m.state : ''}`)).toEqual(['11', '12', '13']);
    expect(after.summary).toMatchObject({ unread: 0, lastReadMessageId: '13', lastMessage: { id: '13' } });
    // The answer to the send carries the same message: nothing changes.
    expect(acceptMessage(deepFreeze(r.state), msg('13', '10', '1', { clientMsgId: 'x' }), false).state).toEqual(r.state);
  });

  test('message.created in a conversation we do not know asks for the list', () => {
    const s = withGroup();
    const r = applyEvent(s, { type: 'message.created', message: msg('30', '29', '2') });
    expect(r.effects).toEqual([{ kind: 'refreshConversations' }]);
    expect(r.state).toBe(s);
  });

  test('conversation.created with me adds it with its members; a direct one gets its peer', () => {
    const detail = {
      id: '20',
      kind: 'direct' as const,
      name: null,
      ownerId: null,
      createdAt: at(2),
      memberCount: 2,
      members: [
        { id: '1', username: 'user1', displayName: 'User 1', role: 'member' as const },
        { id: '4', username: 'user4', displayName: 'User 4', role: 'member' as const },
      ],
    };
    const r = applyEvent(withGroup(), { type: 'conversation.created', conversation: detail });
    const c = r.state.conversations['20']!;
    expect(c.summary.peer).toEqual({ id: '4', username: 'user4', displayName: 'User 4' });
    expect(c.members).toEqual(detail.members);
    expect(applyEvent(deepFreeze(r.state), { type: 'conversation.created', conversation: detail }).state).toEqual(r.state);
    const notMine = applyEvent(withGroup(), {
      type: 'conversation.created',
      conversation: { ...detail, id: '21', members: detail.members.slice(1) },
    });
    expect(notMine.state.conversations['21']).toBeUndefined();
  });

  test('conversation.updated renames', () => {
    const r = applyEvent(withGroup(), {
      type: 'conversation.updated',
      conversation: { id: '10', kind: 'group', name: 'renamed', ownerId: '2', createdAt: at(1) },
    });
    expect(r.state.conversations['10']!.summary.name).toBe('renamed');
  });

  test('member.joined adds the member once; my own join of an unknown conversation asks for the list', () => {
    const member = { id: '4', username: 'user4', displayName: 'User 4', role: 'member' as const };
    const r = applyEvent(withGroup(), { type: 'member.joined', conversationId: '10', member, by: '2' });
    expect(r.state.conversations['10']!.members!.map((m) => m.id)).toEqual(['2', '1', '3', '4']);
    expect(r.state.conversations['10']!.summary.memberCount).toBe(4);
    expect(applyEvent(deepFreeze(r.state), { type: 'member.joined', conversationId: '10', member, by: '2' }).state).toEqual(r.state);
    const mine = applyEvent(withGroup(), { type: 'member.joined', conversationId: '29', member: { ...member, id: '1' }, by: null });
    expect(mine.effects).toEqual([{ kind: 'refreshConversations' }]);
  });

  test('member.left of the owner hands the group over; leaving myself closes the open conversation', () => {
    const r = applyEvent(withGroup(), { type: 'member.left', conversationId: '10', userId: '2', by: '2', newOwnerId: '1' });
    const c = r.state.conversations['10']!;
    expect(c.summary.ownerId).toBe('1');
    expect(c.members).toEqual([
      { id: '1', username: 'user1', displayName: 'User 1', role: 'owner' },
      { id: '3', username: 'user3', displayName: 'User 3', role: 'member' },
    ]);
    expect(c.summary.memberCount).toBe(2);
    const gone = applyEvent(deepFreeze({ ...withGroup(), activeId: '10' }), {
      type: 'member.left',
      conversationId: '10',
      userId: '1',
      by: '1',
    });
    expect(gone.state.conversations['10']).toBeUndefined();
    expect(gone.state.activeId).toBeNull();
    expect(gone.effects).toEqual([{ kind: 'closed', conversationId: '10' }]);
  });

  test('friend.requested files the request by direction, once, and toasts an incoming one', () => {
    const request = { id: '40', from: user('2'), to: me, createdAt: at(3) };
    const r = applyEvent(withGroup(), { type: 'friend.requested', request });
    expect(r.state.requests.incoming).toEqual([request]);
    expect(kinds(r.effects)).toEqual(['toast']);
    expect(applyEvent(deepFreeze(r.state), { type: 'friend.requested', request }).state).toEqual(r.state);
    const out = applyEvent(withGroup(), { type: 'friend.requested', request: { ...request, from: me, to: user('3') } });
    expect(out.state.requests.outgoing).toHaveLength(1);
    expect(out.effects).toEqual([]);
  });

  test('friend.accepted / declined / removed', () => {
    const request = { id: '40', from: user('2'), to: me, createdAt: at(3) };
    const s = deepFreeze(applyEvent(withGroup(), { type: 'friend.requested', request }).state);
    const acc = applyEvent(s, { type: 'friend.accepted', requestId: '40', users: [user('2'), me] });
    expect(acc.state.requests.incoming).toEqual([]);
    expect(Object.keys(acc.state.friends)).toEqual(['2']);
    expect(acc.state.friends['2']!.presence).toEqual({ status: 'offline', lastSeen: null });
    expect(acc.effects).toEqual([{ kind: 'refreshFriends' }]);
    expect(applyEvent(s, { type: 'friend.declined', requestId: '40', fromId: '2', toId: '1' }).state.requests.incoming).toEqual([]);
    const removed = applyEvent(deepFreeze(acc.state), { type: 'friend.removed', userIds: ['1', '2'] });
    expect(removed.state.friends).toEqual({});
  });

  test('read.updated of mine: pointer forward only, unread recounted from loaded messages or asked for', () => {
    let s = withGroup();
    s = deepFreeze(
      applyEvent(applyEvent(s, { type: 'message.created', message: msg('13', '10', '3') }).state, {
        type: 'message.created',
        message: msg('14', '10', '3'),
      }).state,
    );
    expect(s.conversations['10']!.summary.unread).toBe(2);
    const half = applyEvent(s, { type: 'read.updated', conversationId: '10', userId: '1', upTo: '13' });
    expect(half.state.conversations['10']!.summary).toMatchObject({ unread: 1, lastReadMessageId: '13' });
    const back = applyEvent(deepFreeze(half.state), { type: 'read.updated', conversationId: '10', userId: '1', upTo: '12' });
    expect(back.state).toEqual(half.state);
    // Not loaded: the count cannot be computed here.
    const cold = deepFreeze({ ...s, conversations: { '10': { ...s.conversations['10']!, loaded: false, messages: [] } } });
    const r = applyEvent(cold, { type: 'read.updated', conversationId: '10', userId: '1', upTo: '13' });
    expect(r.effects).toEqual([{ kind: 'refreshConversations' }]);
    expect(r.state.conversations['10']!.summary.lastReadMessageId).toBe('13');
  });

  test("read.updated of a peer moves the peer's pointer forward only", () => {
    const r = applyEvent(withGroup(), { type: 'read.updated', conversationId: '10', userId: '2', upTo: '12' });
    expect(r.state.conversations['10']!.readBy).toEqual({ '2': '12' });
    expect(applyEvent(deepFreeze(r.state), { type: 'read.updated', conversationId: '10', userId: '2', upTo: '11' }).state).toEqual(r.state);
  });

  test('internal events change nothing', () => {
    const s = withGroup();
    for (const ev of [
      { type: 'user.deleted', userId: '2' },
      { type: 'auth.revoked', userId: '1', tokenHash: null, reason: 'logout' },
    ] satisfies EventPayload[]) {
      expect(applyEvent(s, ev)).toEqual({ state: s, effects: [] });
    }
  });

  test('a message typed-in by its sender clears their typing entry', () => {
    const s = deepFreeze({ ...withGroup(), typing: { '10': { '3': { name: 'User 3', until: 10 }, '2': { name: 'User 2', until: 10 } } } });
    const r = applyEvent(s, { type: 'message.created', message: msg('13', '10', '3') });
    expect(Object.keys(r.state.typing['10']!)).toEqual(['2']);
  });
});

/** Every event type a client can receive, in a script that hands a group over and reads half way. */
const SCRIPT: Action[] = [
  { op: 'request', from: 1, to: 0 },
  { op: 'accept', nth: 0 }, // user2 → me, accepted
  { op: 'request', from: 0, to: 2 },
  { op: 'decline', nth: 0 }, // me → user3, declined
  { op: 'request', from: 3, to: 0 }, // user4 → me, still pending
  { op: 'direct', a: 0, b: 1 },
  { op: 'send', nth: 0, user: 1 },
  { op: 'send', nth: 0, user: 0 },
  { op: 'send', nth: 0, user: 1 },
  { op: 'group', owner: 1, with: [0, 2] },
  { op: 'send', nth: 1, user: 2 },
  { op: 'rename', nth: 1, by: 1 },
  { op: 'join', nth: 1, user: 3 },
  { op: 'leave', nth: 1, user: 1 }, // the owner leaves: the first member left takes over
  { op: 'send', nth: 1, user: 3 },
  { op: 'send', nth: 1, user: 2 },
  { op: 'read', nth: 1, user: 0 },
  { op: 'room', owner: 2 },
  { op: 'send', nth: 2, user: 2 },
  { op: 'join', nth: 2, user: 0 },
  { op: 'send', nth: 2, user: 2 },
  { op: 'leave', nth: 2, user: 0 },
  { op: 'send', nth: 2, user: 2 },
  { op: 'join', nth: 2, user: 0 },
  { op: 'request', from: 2, to: 0 },
  { op: 'unfriend', a: 0, b: 1 },
  { op: 'send', nth: 0, user: 1 },
  { op: 'read', nth: 0, user: 0 },
  { op: 'send', nth: 1, user: 2, mention: true, reply: 0 }, // user3 calls me in the group, quoting its first message
  { op: 'edit', nth: 1, user: 2, msg: 0 }, // …then edits that original: the quote follows
  { op: 'react', nth: 1, user: 3, msg: 0, emoji: 0 },
  { op: 'react', nth: 1, user: 2, msg: 0, emoji: 0 },
  { op: 'react', nth: 1, user: 3, msg: 0, emoji: 0 }, // taken back
  { op: 'delete', nth: 1, user: 2, msg: 0 }, // the original goes: the quote says deleted
  { op: 'read', nth: 1, user: 2 }, // a member's receipt reaches me
  { op: 'group', owner: 2, with: [0, 3] },
  { op: 'send', nth: 3, user: 3, files: 2 }, // a message with two files…
  { op: 'preview', nth: 3, msg: 0 }, // …then the server's preview of its link
  { op: 'send', nth: 1, user: 2, files: 1 },
  { op: 'preview', nth: 1, msg: 2 },
  { op: 'delete', nth: 1, user: 2, msg: 2 }, // deleted: no files, no preview
  { op: 'remove', nth: 3, user: 0 }, // I am removed: the group stays on screen with a last line
];

function scripted(actions: Action[]): World {
  const w = new World(4);
  for (const a of actions) w.run(a);
  return w;
}

describe('replaying the stream ends where a fresh load does', () => {
  test('the script reaches every client-visible event type', () => {
    const types = new Set(scripted(SCRIPT).stream.map((e) => e.event.type));
    expect([...types].sort()).toEqual([
      'conversation.created',
      'conversation.updated',
      'friend.accepted',
      'friend.declined',
      'friend.removed',
      'friend.requested',
      'member.joined',
      'member.left',
      'message.created',
      'message.deleted',
      'message.updated',
      'reaction.added',
      'reaction.removed',
      'read.updated',
    ]);
    expect(scripted(SCRIPT).stream.some((e) => e.event.type === 'member.left' && e.event.newOwnerId)).toBe(true);
    const stream = scripted(SCRIPT).stream.map((e) => e.event);
    expect(stream.some((e) => e.type === 'message.created' && e.message.attachments.length === 2)).toBe(true);
    expect(stream.some((e) => e.type === 'message.updated' && e.message.linkPreview)).toBe(true);
  });

  test('from an empty account: every event applied = the final data loaded', () => {
    const w = scripted(SCRIPT);
    const n = w.views.length - 1;
    for (let active = 0; active < 4; active++) {
      const s = replay(w, me, { head: 0, load: 0, active, ahead: [0] });
      const fresh = freshLoad(me, w.views[n]!, s.activeId);
      expect(comparable(s)).toEqual(comparable(fresh));
      expect(knownMembersTrue(s, w.views[n]!)).toEqual([]);
      expect(readersBehind(s, fresh)).toEqual([]);
    }
  });

  test('a load served after the head (events applied twice), with answers from a server ahead of the stream', () => {
    const w = scripted(SCRIPT);
    const n = w.views.length - 1;
    for (let load = 0; load <= n; load++) {
      for (const head of [0, Math.floor(load / 2), load]) {
        for (const ahead of [[0], [1, 3], [n]]) {
          const s = replay(w, me, { head, load, active: load, ahead });
          expect(comparable(s), `head ${head} load ${load} ahead ${ahead}`).toEqual(comparable(freshLoad(me, w.views[n]!, s.activeId)));
          expect(knownMembersTrue(s, w.views[n]!)).toEqual([]);
        }
      }
    }
  });

  test('property: any history, any head ≤ load, any answer timing', () => {
    const who = fc.integer({ min: 0, max: 3 });
    const nth = fc.integer({ min: 0, max: 5 });
    const action: fc.Arbitrary<Action> = fc.oneof(
      fc.record({ op: fc.constant('request' as const), from: who, to: who }),
      fc.record({ op: fc.constant('accept' as const), nth }),
      fc.record({ op: fc.constant('decline' as const), nth }),
      fc.record({ op: fc.constant('unfriend' as const), a: who, b: who }),
      fc.record({ op: fc.constant('direct' as const), a: who, b: who }),
      fc.record({ op: fc.constant('group' as const), owner: who, with: fc.array(who, { maxLength: 3 }) }),
      fc.record({ op: fc.constant('room' as const), owner: who }),
      fc.record({ op: fc.constant('rename' as const), nth, by: who }),
      fc.record({ op: fc.constant('join' as const), nth, user: who }),
      fc.record({ op: fc.constant('leave' as const), nth, user: who }),
      { arbitrary: fc.record({ op: fc.constant('send' as const), nth, user: who }), weight: 4 },
      fc.record({ op: fc.constant('read' as const), nth, user: who }),
      fc.record({ op: fc.constant('send' as const), nth, user: who, mention: fc.boolean(), reply: nth }),
      fc.record({ op: fc.constant('send' as const), nth, user: who, files: nth }),
      fc.record({ op: fc.constant('preview' as const), nth, msg: nth }),
      fc.record({ op: fc.constant('edit' as const), nth, user: who, msg: nth }),
      fc.record({ op: fc.constant('delete' as const), nth, user: who, msg: nth }),
      fc.record({ op: fc.constant('react' as const), nth, user: who, msg: nth, emoji: nth }),
      fc.record({ op: fc.constant('remove' as const), nth, user: who }),
    );
    fc.assert(
      fc.property(
        fc.array(action, { maxLength: 60 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.array(fc.nat({ max: 6 }), { maxLength: 4 }),
        (actions, a, b, active, ahead) => {
          const w = scripted(actions);
          const n = w.views.length - 1;
          const load = a % (n + 1);
          const head = b % (load + 1);
          const s = replay(w, me, { head, load, active, ahead });
          const fresh = freshLoad(me, w.views[n]!, s.activeId);
          expect(comparable(s)).toEqual(comparable(fresh));
          expect(knownMembersTrue(s, w.views[n]!)).toEqual([]);
          expect(readersBehind(s, fresh)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the fresh load itself', () => {
  test('keeps messages still on their way and drops stored ones until the conversation is shown again', () => {
    const s = withGroup();
    const c = s.conversations['10']!;
    const withLocal = deepFreeze({
      ...s,
      conversations: {
        '10': { ...c, messages: [...c.messages, { ...msg('local:y', '10', '1', { clientMsgId: 'y' }), state: 'pending' as const }] },
      },
    });
    const r = loaded(withLocal, { conversations: [c.summary], friends: [], requests: { incoming: [], outgoing: [] } });
    expect(r.conversations['10']!.messages.map((m) => m.id)).toEqual(['local:y']);
    expect(r.conversations['10']!.loaded).toBe(false);
  });

  test('apply() of no events is the identity', () => {
    const s = withGroup();
    expect(apply(s, []).state).toBe(s);
  });
});
