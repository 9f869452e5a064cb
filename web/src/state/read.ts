import { idLess } from '../format';
import { countsAfterRead, storedOf, withConv, type ChatState } from './model';

/**
 * The read pointer of the open conversation, moved as its messages actually
 * come on screen (the view reports the newest one seen, `seenUpTo`; at the
 * bottom of a window that reaches the present, that is the newest held) and
 * only while the tab is visible. Opening a conversation therefore never
 * marks its backlog read at once. Returns the next state and the message id
 * to tell the server, or null when there is nothing to tell.
 */
export function readIfSeen(state: ChatState): { state: ChatState; upTo: string | null } {
  const none = { state, upTo: null };
  const id = state.activeId;
  if (!id || !state.visible) return none;
  const c = state.conversations[id];
  if (!c?.loaded || c.ended) return none;
  const stored = storedOf(c.messages);
  const newest = stored[stored.length - 1];
  if (!newest) return none;
  let target: string | null = null;
  if (state.atBottom && !c.hasNewer) target = newest.id;
  else if (state.seenUpTo && stored.some((m) => m.id === state.seenUpTo)) target = state.seenUpTo;
  if (!target) return none;
  const already = c.summary.lastReadMessageId;
  if (already && !idLess(already, target)) {
    // Read up to the newest already (a count left from a race): nothing unread remains.
    const stale = target === newest.id && !c.hasNewer && (c.summary.unread > 0 || (c.summary.mentions ?? 0) > 0);
    return stale ? { state: withConv(state, id, { ...c, summary: { ...c.summary, unread: 0, mentions: 0 } }), upTo: null } : none;
  }
  const hadUnread = c.summary.unread > 0;
  const counts = countsAfterRead(c, state.me?.id, target) ?? { unread: c.summary.unread, mentions: c.summary.mentions };
  const summary = { ...c.summary, ...counts, lastReadMessageId: target };
  const next = withConv(state, id, { ...c, summary });
  // My own message moved the pointer past nothing unread: the server moved it already when storing it.
  const last = stored.find((m) => m.id === target)!;
  if (!hadUnread && last.senderId === state.me?.id && already) return { state: next, upTo: null };
  return { state: next, upTo: target };
}
