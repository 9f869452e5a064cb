import { AppError } from './errors.js';

/**
 * The friendship state machine. A request is pending until its recipient
 * accepts or declines it; asking someone who already asked you accepts their
 * request; a declined request may be asked again; friends are a symmetric
 * pair. Stores load the state named here inside the write's transaction,
 * call the decision and write what it says.
 */

export interface FriendRequestState<R> {
  fromId: string;
  toId: string;
  targetExists: boolean;
  friends: boolean;
  /** The pending request toId → fromId, if any. */
  reverse: R | null;
  /** Whether fromId → toId is already pending. */
  pending: boolean;
}

export type FriendRequestDecision<R> = { do: 'accept'; request: R } | { do: 'request' };

/** `fromId` asks `toId`. */
export function decideFriendRequest<R>(s: FriendRequestState<R>): FriendRequestDecision<R> {
  if (s.fromId === s.toId) throw new AppError('INVALID_OPERATION', 'You cannot befriend yourself.');
  if (!s.targetExists) throw new AppError('USER_NOT_FOUND');
  if (s.friends) throw new AppError('ALREADY_FRIENDS');
  if (s.reverse) return { do: 'accept', request: s.reverse };
  if (s.pending) throw new AppError('FRIEND_REQUEST_EXISTS');
  return { do: 'request' };
}

export interface StoredRequest {
  toId: string;
  status: string;
}

/** Only the recipient answers, and only a pending request; to anyone else it does not exist. */
export function decideAnswer(request: StoredRequest | null, userId: string, accept: boolean): 'accept' | 'decline' {
  if (request?.status !== 'pending' || request.toId !== userId) throw new AppError('FRIEND_REQUEST_NOT_FOUND');
  return accept ? 'accept' : 'decline';
}

/** Either friend may end a friendship; there must be one. */
export function decideUnfriend(friends: boolean): void {
  if (!friends) throw new AppError('USER_NOT_FOUND', 'That user is not your friend.');
}
