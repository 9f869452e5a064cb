import { describe, expect, it } from 'vitest';
import { decideAnswer, decideFriendRequest, decideUnfriend, type FriendRequestState } from '../../src/domain/friendship.js';

/** The friendship state machine, decided once for both stores (src/store/sqlite.ts and postgres.ts only load and write). */
const code = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
};
const state = (over: Partial<FriendRequestState<{ id: string }>> = {}): FriendRequestState<{ id: string }> => ({
  fromId: '1',
  toId: '2',
  targetExists: true,
  friends: false,
  reverse: null,
  pending: false,
  ...over,
});

describe('who may befriend whom', () => {
  it('a new request between strangers is made', () => {
    expect(decideFriendRequest(state())).toEqual({ do: 'request' });
  });
  it('asking someone who already asked you accepts their request', () => {
    const reverse = { id: '9' };
    expect(decideFriendRequest(state({ reverse }))).toEqual({ do: 'accept', request: reverse });
  });
  it('refuses yourself, a missing user, a friend and a repeat, in that order', () => {
    expect(code(() => decideFriendRequest(state({ toId: '1', targetExists: false, friends: true })))).toBe('INVALID_OPERATION');
    expect(code(() => decideFriendRequest(state({ targetExists: false, friends: true })))).toBe('USER_NOT_FOUND');
    expect(code(() => decideFriendRequest(state({ friends: true, reverse: { id: '9' } })))).toBe('ALREADY_FRIENDS');
    expect(code(() => decideFriendRequest(state({ pending: true })))).toBe('FRIEND_REQUEST_EXISTS');
  });
  it('a reverse request wins over a repeat of ours (both pending cannot happen, but asking back must accept)', () => {
    expect(decideFriendRequest(state({ pending: true, reverse: { id: '9' } }))).toEqual({ do: 'accept', request: { id: '9' } });
  });
});

describe('who may answer a request', () => {
  it('only its recipient, only while pending; to anyone else it does not exist', () => {
    const req = { toId: '2', status: 'pending' };
    expect(decideAnswer(req, '2', true)).toBe('accept');
    expect(decideAnswer(req, '2', false)).toBe('decline');
    expect(code(() => decideAnswer(req, '1', true))).toBe('FRIEND_REQUEST_NOT_FOUND');
    expect(code(() => decideAnswer({ toId: '2', status: 'accepted' }, '2', true))).toBe('FRIEND_REQUEST_NOT_FOUND');
    expect(code(() => decideAnswer({ toId: '2', status: 'declined' }, '2', false))).toBe('FRIEND_REQUEST_NOT_FOUND');
    expect(code(() => decideAnswer(null, '2', true))).toBe('FRIEND_REQUEST_NOT_FOUND');
  });
});

describe('who may remove a friend', () => {
  it('either friend; nobody when there is no friendship', () => {
    expect(code(() => decideUnfriend(true))).toBeNull();
    expect(code(() => decideUnfriend(false))).toBe('USER_NOT_FOUND');
  });
});
