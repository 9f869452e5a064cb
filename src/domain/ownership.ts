import { AppError } from './errors.js';
import type { ConversationKind } from './types.js';

/**
 * Who belongs to a conversation and who owns it: the rules for creating one,
 * joining, leaving, and handing a group over when its owner leaves. Pure;
 * stores load the state inside the write's transaction and apply the result.
 */

export interface InitialMember {
  userId: string;
  role: 'owner' | 'member';
}

/** The owner first, then each other member once. */
export function initialMembers(ownerId: string | null, memberIds: readonly string[]): InitialMember[] {
  const ids = [...new Set([...(ownerId ? [ownerId] : []), ...memberIds])];
  return ids.map((userId) => ({ userId, role: userId === ownerId ? 'owner' : 'member' }));
}

/** Room names are unique (they are URLs); group names need not be. */
export function decideCreate(kind: 'group' | 'room', nameTaken: boolean, everyMemberExists: boolean): void {
  if (kind === 'room' && nameTaken) throw new AppError('NAME_TAKEN');
  if (!everyMemberExists) throw new AppError('USER_NOT_FOUND');
}

export function decideJoin(s: { conversationExists: boolean; alreadyMember: boolean; userExists: boolean }): void {
  if (!s.conversationExists) throw new AppError('CONVERSATION_NOT_FOUND');
  if (s.alreadyMember) throw new AppError('ALREADY_MEMBER');
  if (!s.userExists) throw new AppError('USER_NOT_FOUND');
}

export interface LeaveState {
  conversation: { kind: ConversationKind; ownerId: string | null } | null;
  isMember: boolean;
}

/**
 * Whether `userId` may leave, and whether the group changes hands: only a
 * group does, when its owner leaves (a room's owner leaving names no heir).
 */
export function decideLeave(s: LeaveState, userId: string): { handOver: boolean } {
  if (!s.conversation) throw new AppError('CONVERSATION_NOT_FOUND');
  if (!s.isMember) throw new AppError('NOT_A_MEMBER');
  return { handOver: s.conversation.kind === 'group' && s.conversation.ownerId === userId };
}

export interface Candidate {
  userId: string;
  joinedSeq: number;
  /** Breaks ties between members who joined at the same position (a group's founders). */
  membershipId: number;
}

/** The heir is the longest-standing member who stays; with nobody left, the group has no owner. */
export function heirOf(current: readonly Candidate[], leaverId: string): string | null {
  let best: Candidate | null = null;
  for (const c of current) {
    if (c.userId === leaverId) continue;
    if (!best || c.joinedSeq < best.joinedSeq || (c.joinedSeq === best.joinedSeq && c.membershipId < best.membershipId)) best = c;
  }
  return best?.userId ?? null;
}
