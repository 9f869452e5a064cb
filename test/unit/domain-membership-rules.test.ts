import { describe, expect, it } from 'vitest';
import { directKey, idOrNone, isId, NO_ID, orderedPair } from '../../src/domain/ids.js';
import { decideCreate, decideJoin, decideLeave, heirOf, initialMembers } from '../../src/domain/ownership.js';
import { decidePost, type PostState } from '../../src/domain/posting.js';
import { decideMarkRead } from '../../src/domain/read-pointer.js';

/**
 * The store's decisions, each written once in src/domain/: who owns a group
 * and who inherits it, who may post, how a read pointer moves, what an id is.
 * Both stores load the state these take, inside the write's transaction.
 */
const code = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
};

describe('ownership and membership', () => {
  it('a new conversation has its owner first and every other member once', () => {
    expect(initialMembers('2', ['3', '2', '4', '3'])).toEqual([
      { userId: '2', role: 'owner' },
      { userId: '3', role: 'member' },
      { userId: '4', role: 'member' },
    ]);
    expect(initialMembers(null, ['3'])).toEqual([{ userId: '3', role: 'member' }]);
  });
  it('room names are unique, group names are not; every member must exist', () => {
    expect(code(() => decideCreate('room', true, true))).toBe('NAME_TAKEN');
    expect(code(() => decideCreate('group', true, true))).toBeNull();
    expect(code(() => decideCreate('group', false, false))).toBe('USER_NOT_FOUND');
  });
  it('joining needs the conversation, a non-member, and the user, checked in that order', () => {
    expect(code(() => decideJoin({ conversationExists: false, alreadyMember: true, userExists: false }))).toBe('CONVERSATION_NOT_FOUND');
    expect(code(() => decideJoin({ conversationExists: true, alreadyMember: true, userExists: false }))).toBe('ALREADY_MEMBER');
    expect(code(() => decideJoin({ conversationExists: true, alreadyMember: false, userExists: false }))).toBe('USER_NOT_FOUND');
    expect(code(() => decideJoin({ conversationExists: true, alreadyMember: false, userExists: true }))).toBeNull();
  });
  it('leaving needs the conversation and a current membership', () => {
    expect(code(() => decideLeave({ conversation: null, isMember: true }, '1'))).toBe('CONVERSATION_NOT_FOUND');
    expect(code(() => decideLeave({ conversation: { kind: 'group', ownerId: '1' }, isMember: false }, '1'))).toBe('NOT_A_MEMBER');
  });
  it('only a group changes hands, and only when its owner leaves', () => {
    expect(decideLeave({ conversation: { kind: 'group', ownerId: '1' }, isMember: true }, '1')).toEqual({ handOver: true });
    expect(decideLeave({ conversation: { kind: 'group', ownerId: '1' }, isMember: true }, '2')).toEqual({ handOver: false });
    expect(decideLeave({ conversation: { kind: 'room', ownerId: '1' }, isMember: true }, '1')).toEqual({ handOver: false });
    expect(decideLeave({ conversation: { kind: 'group', ownerId: null }, isMember: true }, '1')).toEqual({ handOver: false });
  });
  it('the heir is the longest-standing member who stays; ties go to the earlier membership', () => {
    const members = [
      { userId: '1', joinedSeq: 1, membershipId: 1 }, // the leaving owner
      { userId: '5', joinedSeq: 9, membershipId: 7 },
      { userId: '3', joinedSeq: 1, membershipId: 3 },
      { userId: '2', joinedSeq: 1, membershipId: 2 },
    ];
    expect(heirOf(members, '1')).toBe('2');
    expect(heirOf(members.slice(0, 2), '1')).toBe('5');
    expect(heirOf([members[0]!], '1')).toBeNull();
    expect(heirOf([], '1')).toBeNull();
  });
});

describe('who may post', () => {
  const ok: PostState = { senderExists: true, conversation: { kind: 'group' }, isMember: true, friendsWithPeer: false };
  it('a current member of a group or room', () => {
    expect(code(() => decidePost(ok))).toBeNull();
    expect(code(() => decidePost({ ...ok, conversation: { kind: 'room' } }))).toBeNull();
  });
  it('in a direct conversation, only while the two are friends', () => {
    expect(code(() => decidePost({ ...ok, conversation: { kind: 'direct' }, friendsWithPeer: true }))).toBeNull();
    expect(code(() => decidePost({ ...ok, conversation: { kind: 'direct' }, friendsWithPeer: false }))).toBe('FRIENDSHIP_REQUIRED');
  });
  it('refuses a missing sender, a missing conversation and a non-member, in that order', () => {
    expect(code(() => decidePost({ senderExists: false, conversation: null, isMember: false, friendsWithPeer: false }))).toBe(
      'USER_NOT_FOUND',
    );
    expect(code(() => decidePost({ ...ok, conversation: null, isMember: false }))).toBe('CONVERSATION_NOT_FOUND');
    expect(code(() => decidePost({ ...ok, isMember: false }))).toBe('NOT_A_MEMBER');
    expect(code(() => decidePost({ ...ok, conversation: { kind: 'direct' }, isMember: false }))).toBe('NOT_A_MEMBER');
  });
});

describe('read pointers', () => {
  it('move forward only, to a message of the conversation', () => {
    expect(decideMarkRead({ messageInConversation: true, current: null, upTo: 5 })).toBe(true);
    expect(decideMarkRead({ messageInConversation: true, current: 4, upTo: 5 })).toBe(true);
    expect(decideMarkRead({ messageInConversation: true, current: 5, upTo: 5 })).toBe(false);
    expect(decideMarkRead({ messageInConversation: true, current: 6, upTo: 5 })).toBe(false);
    expect(code(() => decideMarkRead({ messageInConversation: false, current: null, upTo: 5 }))).toBe('MESSAGE_NOT_FOUND');
  });
});

describe('ids', () => {
  it('are 1–15 decimal digits, the same rule for both stores and every input guard', () => {
    for (const good of ['1', '007', '999999999999999']) expect(isId(good)).toBe(true);
    for (const bad of ['', '-1', '1.0', ' 1', '1e3', 'abc', '9999999999999999', '123456789012345678', 5 as unknown as string])
      expect(isId(bad)).toBe(false);
    expect(idOrNone('42')).toBe('42');
    expect(idOrNone('not-an-id')).toBe(NO_ID);
    expect(isId(NO_ID)).toBe(false);
  });
  it('a pair is ordered by number, not by text, so each friendship and direct conversation has one key', () => {
    expect(orderedPair('10', '9')).toEqual(['9', '10']);
    expect(orderedPair('9', '10')).toEqual(['9', '10']);
    expect(directKey('10', '9')).toBe('9:10');
    expect(directKey('9', '10')).toBe(directKey('10', '9'));
  });
});
