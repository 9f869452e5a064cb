import type { EventPayload, User } from '../../client/index.js';
import { idLess } from '../../web/src/format.js';
import { applyEvent, type Effect } from '../../web/src/state/apply-event.js';
import { conversationLoaded, friendsRefreshed, loaded, summariesRefreshed } from '../../web/src/state/load.js';
import { emptyChatState, storedOf, type ChatState } from '../../web/src/state/model.js';
import type { View, World } from './web-world.js';

/**
 * Drives the pure state modules the way the store does (session.ts,
 * conversations.ts): load at one position, then the stream's events, with the
 * effects' answers coming back late and from a server that may be ahead of
 * the stream. Used by the replay tests in web-apply-event.test.ts.
 */

/** Freezes plain data deeply, so a reducer that mutates its input throws. */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

export function apply(state: ChatState, events: EventPayload[]): { state: ChatState; effects: Effect[] } {
  const effects: Effect[] = [];
  for (const ev of events) {
    const r = applyEvent(deepFreeze(state), ev);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

/** The state the store holds after loading fresh at `view`, with conversation `active` on screen. */
export function freshLoad(me: User, view: View, active: string | null): ChatState {
  let s: ChatState = { ...loaded(emptyChatState(me), view), activeId: active, visible: false };
  if (active && s.conversations[active]) s = conversationLoaded(s, active, view.details[active]!, view.pages[active]!);
  return s;
}

/**
 * The store holds the stream while a load is on its way (web/src/state/stream.ts),
 * so an answer lands before the next event is applied; the server may have
 * moved on when it serves it, so it may reflect events the state has not
 * seen yet.
 */
export interface Timing {
  /** Position of the stream's head when connecting (≤ load). */
  head: number;
  /** Position at which the initial load was served. */
  load: number;
  /** Index into the loaded conversations of the one on screen (none when out of range). */
  active: number;
  /** Consumed in turn for each later answer: how far past its request the server was. */
  ahead: number[];
}

/** The stream from `head` applied over a load at `load`, answering each effect's request; returns the final state. */
export function replay(world: World, me: User, t: Timing): ChatState {
  const n = world.views.length - 1;
  const loadView = world.views[t.load]!;
  const ids = loadView.conversations.map((c) => c.id);
  const active = ids[Math.abs(t.active) % (ids.length + 1)] ?? null;
  let state: ChatState = { ...loaded(emptyChatState(me), loadView), activeId: active, visible: false };
  let turn = 0;
  let position = t.head;
  // Asked after the load was answered and after the events applied so far: served no earlier than either.
  const servedAt = (): number => Math.min(n, Math.max(position, t.load) + (t.ahead.length ? t.ahead[turn++ % t.ahead.length]! : 0));

  const loadActive = (at: number) => {
    const id = state.activeId;
    // Gone from the list by then: the request fails and the conversation stays as it is.
    const v = world.views[at]!;
    if (id && v.details[id] && state.conversations[id]) state = conversationLoaded(state, id, v.details[id]!, v.pages[id]!);
  };
  const run = (effects: Effect[]) => {
    for (const e of effects) {
      if (e.kind === 'refreshFriends') state = friendsRefreshed(state, world.views[servedAt()]!.friends);
      if (e.kind !== 'refreshConversations') continue;
      state = summariesRefreshed(state, world.views[servedAt()]!.conversations);
      const c = state.activeId ? state.conversations[state.activeId] : undefined;
      if (c && !c.loaded) loadActive(servedAt());
    }
  };

  // The open conversation is loaded after the list, no earlier than it.
  if (active) loadActive(Math.min(n, t.load + (t.ahead[0] ?? 0)));
  for (const { seq, event } of world.stream) {
    if (seq <= t.head) continue;
    position = seq;
    const r = applyEvent(deepFreeze(state), event);
    state = r.state;
    run(r.effects);
  }
  return state;
}

/**
 * Others' read pointers (`readBy`) can be further in a fresh load than the
 * stream told (readersBehind checks the other way), and system lines come
 * from the stream and history pages, so they are checked by their own tests,
 * not here.
 *
 * What must agree between a replayed state and a fresh load: every
 * conversation's summary, and its members and messages where the state holds
 * them. A member count is kept only while the member list is known (see
 * memberJoined in apply-event.ts), so it is compared there.
 */
export function comparable(s: ChatState): unknown {
  return {
    activeId: s.activeId,
    friends: s.friends,
    requests: s.requests,
    conversations: Object.fromEntries(
      // A conversation I was removed from stays on screen until reloaded; the server no longer lists it.
      Object.values(s.conversations)
        .filter((c) => !c.ended)
        .map((c) => {
          const { memberCount, ...summary } = c.summary;
          return [
            c.summary.id,
            {
              summary,
              loaded: c.loaded,
              loading: c.loading,
              ...(c.loaded ? { members: c.members, memberCount, messages: storedOf(c.messages), hasOlder: c.hasOlder } : {}),
            },
          ];
        }),
    ),
  };
}

/** Members the state knows of (loaded, or seen created) are the true ones. */
export function knownMembersTrue(s: ChatState, truth: View): string[] {
  const wrong: string[] = [];
  for (const c of Object.values(s.conversations)) {
    if (!c.members || c.ended) continue;
    const d = truth.details[c.summary.id];
    // Read positions are kept in readBy, not in the member list (see readersBehind).
    const members = d?.members.map(({ readUpTo: _, ...m }) => m);
    if (!d || JSON.stringify(members) !== JSON.stringify(c.members) || d.memberCount !== c.summary.memberCount) wrong.push(c.summary.id);
  }
  return wrong;
}

/**
 * Others' read positions the replayed state shows that a fresh load would not
 * show as far: none may exist. (A fresh load can know more: a join or a
 * member's own message moves their pointer with no read.updated.) Compared
 * where the fresh load holds the conversation's detail.
 */
export function readersBehind(s: ChatState, fresh: ChatState): string[] {
  const wrong: string[] = [];
  for (const c of Object.values(fresh.conversations)) {
    const r = s.conversations[c.summary.id];
    if (!c.loaded || !r || r.ended) continue;
    for (const [id, upTo] of Object.entries(r.readBy)) {
      const known = c.readBy[id];
      if (!known || idLess(known, upTo)) wrong.push(`${c.summary.id}:${id}`);
    }
  }
  return wrong;
}
