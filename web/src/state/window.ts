import { idLess } from '../format';
import type { HistoryPage } from '../types';
import { historyLines, withLines } from './lines';
import { localOf, mergeMessages, storedOf, withConv, type ChatState } from './model';

/**
 * The held messages as a window on the history: normally the newest pages,
 * but jumping to a message far back (a reply's original, the first unread of
 * a long backlog) loads the page around it (`?around=`) instead of every page
 * in between. Such a window stops short of the present (`hasNewer`) until
 * the reader scrolls down to it (`newerLoaded`). Pure, like load.ts.
 */

/** The page around a message: joined to what is held when they touch, otherwise in its place. */
export function aroundLoaded(state: ChatState, id: string, page: HistoryPage): ChatState {
  const cur = state.conversations[id];
  if (!cur || !page.messages.length) return state;
  const held = storedOf(cur.messages);
  const first = page.messages[0]!;
  const last = page.messages[page.messages.length - 1]!;
  const oldestHeld = held[0];
  // The page reaches the held messages (or nothing newer exists): one contiguous window.
  const touches = cur.loaded && oldestHeld && !idLess(last.id, oldestHeld.id) && !idLess(held[held.length - 1]!.id, first.id);
  if (touches) {
    const merged = mergeMessages(held, page.messages);
    return withConv(state, id, {
      ...withLines(cur, historyLines(cur, page.events, page.messages)),
      messages: [...merged, ...localOf(cur.messages)],
      hasOlder: oldestHeld && idLess(oldestHeld.id, first.id) ? cur.hasOlder : page.hasBefore,
      // Still short of the present unless the page reaches it.
      hasNewer: cur.hasNewer && (idLess(last.id, held[held.length - 1]!.id) || page.hasAfter),
    });
  }
  return withConv(state, id, {
    ...cur,
    lines: historyLines(cur, page.events, page.messages),
    messages: [...page.messages, ...localOf(cur.messages)],
    hasOlder: page.hasBefore,
    hasNewer: page.hasAfter,
    loaded: true,
    loading: false,
  });
}

/** Newer messages after the window's end (a page around its newest message); the window reaches the present when none follow. */
export function newerLoaded(state: ChatState, id: string, page: HistoryPage): ChatState {
  const cur = state.conversations[id];
  if (!cur) return state;
  return withConv(state, id, {
    ...withLines(cur, historyLines(cur, page.events, page.messages)),
    messages: [...mergeMessages(storedOf(cur.messages), page.messages), ...localOf(cur.messages)],
    hasNewer: page.hasAfter,
  });
}
