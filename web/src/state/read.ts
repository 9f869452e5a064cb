import { idLess } from '../format';
import { storedOf, withConv, type ChatState } from './model';

/**
 * The read pointer of the open conversation, moved when its newest stored
 * message is on screen (tab visible, reader at the bottom). Returns the next
 * state and the message id to tell the server, or null when there is nothing
 * to tell.
 */
export function readIfSeen(state: ChatState): { state: ChatState; upTo: string | null } {
  const none = { state, upTo: null };
  const id = state.activeId;
  if (!id || !state.visible || !state.atBottom) return none;
  const c = state.conversations[id];
  if (!c?.loaded) return none;
  const last = storedOf(c.messages).pop();
  if (!last) return none;
  const already = c.summary.lastReadMessageId;
  const hadUnread = c.summary.unread > 0;
  if (already && !idLess(already, last.id)) {
    return hadUnread ? { state: withConv(state, id, { ...c, summary: { ...c.summary, unread: 0 } }), upTo: null } : none;
  }
  const next = withConv(state, id, { ...c, summary: { ...c.summary, unread: 0, lastReadMessageId: last.id } });
  // My own message moved the pointer past nothing unread: the server moved it already when storing it.
  if (!hadUnread && last.senderId === state.me?.id && already) return { state: next, upTo: null };
  return { state: next, upTo: last.id };
}
