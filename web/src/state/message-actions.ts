import { errorInfo, sdk } from '../sdk';
import type { Message } from '../types';
import { commit, snapshot } from './app-state';
import { messageDeleted, messageUpdated } from './apply-message';
import { toast } from './toasts';

/**
 * Edit, delete and react: each goes through the SDK (retried with the same
 * request until answered, so it applies once) and the answer is applied
 * like the event it causes, which then changes nothing when it arrives.
 * A refusal leaves the message as it was and says why.
 */

function applyAnswer(m: Message): void {
  const s = snapshot();
  const r = m.deleted
    ? messageDeleted(s, { type: 'message.deleted', conversationId: m.conversationId, messageId: m.id, by: s.me?.id ?? '' })
    : messageUpdated(s, { type: 'message.updated', message: m });
  commit(r.state);
}

async function attempt(what: string, job: () => Promise<Message>): Promise<boolean> {
  try {
    applyAnswer(await job());
    return true;
  } catch (err) {
    toast(`${what}: ${errorInfo(err).message}`, 'error');
    return false;
  }
}

export function editMessage(messageId: string, body: string): Promise<boolean> {
  return attempt('Could not edit the message', () => sdk.edit(messageId, body.trim()));
}

export function deleteMessage(messageId: string): Promise<boolean> {
  return attempt('Could not delete the message', () => sdk.deleteMessage(messageId));
}

export function react(messageId: string, emoji: string, on: boolean): Promise<boolean> {
  return attempt(on ? 'Could not react' : 'Could not remove the reaction', () => sdk.react(messageId, emoji, on));
}

/** My read receipts hidden from others (a setting kept on the server). */
export async function setHideReadReceipts(on: boolean): Promise<boolean> {
  try {
    await sdk.setHideReadReceipts(on);
    return true;
  } catch (err) {
    toast(`Could not change the setting: ${errorInfo(err).message}`, 'error');
    return false;
  }
}
