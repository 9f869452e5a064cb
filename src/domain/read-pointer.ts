import { AppError } from './errors.js';

/**
 * A read pointer names the last message a user has read in a conversation.
 * It moves forward only (reading an older message again changes nothing and
 * tells nobody), and only to a message of that conversation.
 */
export function decideMarkRead(s: { messageInConversation: boolean; current: number | null; upTo: number }): boolean {
  if (!s.messageInConversation) throw new AppError('MESSAGE_NOT_FOUND');
  return s.current === null || s.upTo > s.current;
}
