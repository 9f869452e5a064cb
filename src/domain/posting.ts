import { AppError } from './errors.js';
import type { ConversationKind } from './types.js';

/**
 * Who may post to a conversation: a current member; in a direct conversation,
 * only while the two are friends. The store decides this inside the append's
 * own transaction (a leave or an unfriend committing between a check and the
 * write must not let the message in); the chat service asks it early too, to
 * answer before any write is queued.
 */
export interface PostState {
  senderExists: boolean;
  conversation: { kind: ConversationKind } | null;
  isMember: boolean;
  /** Direct conversations only: the other member is the sender's friend. */
  friendsWithPeer: boolean;
}

export function decidePost(s: PostState): void {
  if (!s.senderExists) throw new AppError('USER_NOT_FOUND');
  if (!s.conversation) throw new AppError('CONVERSATION_NOT_FOUND');
  if (!s.isMember) throw new AppError('NOT_A_MEMBER');
  if (s.conversation.kind === 'direct' && !s.friendsWithPeer) throw new AppError('FRIENDSHIP_REQUIRED');
}
