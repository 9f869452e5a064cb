import { AppError } from './errors.js';
import type { ConversationKind } from './types.js';

/**
 * A read pointer names the last message a user has read in a conversation.
 * It moves forward only (reading an older message again changes nothing and
 * tells nobody), and only to a message of that conversation.
 */
export function decideMarkRead(s: { messageInConversation: boolean; current: number | null; upTo: number }): boolean {
  if (!s.messageInConversation) throw new AppError('MESSAGE_NOT_FOUND');
  return s.current === null || s.upTo > s.current;
}

/**
 * Who learns that a read pointer moved: the whole conversation in direct
 * conversations and groups ("Seen", "Seen by N"), unless the reader hides
 * receipts; the reader alone in rooms (a room's readers are not published)
 * and for a reader who hides them (their other sessions still follow).
 */
export function readReceiptAudience(kind: ConversationKind, hideReadReceipts: boolean): 'conversation' | 'reader' {
  return publishesReadPositions(kind) && !hideReadReceipts ? 'conversation' : 'reader';
}

/** Rooms publish no read positions at all: not live, not in the conversation's detail. */
export function publishesReadPositions(kind: ConversationKind): boolean {
  return kind !== 'room';
}

/**
 * A member's read position as the other members see it in the conversation's
 * detail: the same rule as the live read.updated (readReceiptAudience), so a
 * reload shows what the stream showed — null for a member who hides receipts.
 */
export function sharedReadPosition(kind: ConversationKind, hideReadReceipts: boolean, upTo: string | null): string | null {
  return readReceiptAudience(kind, hideReadReceipts) === 'conversation' ? upTo : null;
}
