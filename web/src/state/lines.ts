import type { HistoryEvent, Member } from '../types';
import { storedOf, type ConvState, type SystemLine } from './model';

/**
 * System lines: joined / left / removed / renamed / ownership passed /
 * moderator named, drawn among the messages. They come from the stream's
 * events (applied live) and from the `events` a history answer carries
 * (after a reload). Pure: the key of a line is the event's cursor when it has
 * one, so the same event from both sources makes one line.
 */

type LineEvent = Pick<HistoryEvent, 'type'> & Partial<Omit<HistoryEvent, 'type'>> & Record<string, unknown>;

function nameIn(c: ConvState, id: string | null, fallback?: Member): string {
  if (!id) return '';
  const m = fallback ?? c.members?.find((x) => x.id === id);
  return m ? m.displayName || m.username : 'Someone';
}

/** The line for a conversation event, or null when it draws none. `afterId`: the newest message held when it happened. */
export function lineFor(c: ConvState, ev: HistoryEvent | LineEvent, key: string, afterId: string): SystemLine | null {
  const e = ev as HistoryEvent;
  const base = { key, afterId, byId: null, byName: null } as const;
  switch (e.type) {
    case 'member.joined': {
      const by = e.by && e.by !== e.member.id ? e.by : null;
      return {
        ...base,
        kind: 'joined',
        userId: e.member.id,
        name: nameIn(c, e.member.id, e.member),
        byId: by,
        byName: by ? nameIn(c, by) : null,
      };
    }
    case 'member.left': {
      const removed = !!e.by && e.by !== e.userId;
      return {
        ...base,
        kind: removed ? 'removed' : 'left',
        userId: e.userId,
        name: nameIn(c, e.userId),
        byId: removed ? e.by : null,
        byName: removed ? nameIn(c, e.by) : null,
      };
    }
    case 'member.updated':
      if (e.role === 'member' || e.role === 'moderator') {
        return {
          ...base,
          kind: e.role === 'moderator' ? 'moderator' : 'unmoderator',
          userId: e.userId,
          name: nameIn(c, e.userId),
          byId: e.by,
          byName: nameIn(c, e.by),
        };
      }
      return { ...base, kind: 'owner', userId: e.userId, name: nameIn(c, e.userId), byId: e.by, byName: nameIn(c, e.by) };
    case 'conversation.updated':
      if (!e.conversation.name || e.conversation.name === c.summary.name) return null;
      return { ...base, kind: 'renamed', userId: '', name: '', text: e.conversation.name };
    default:
      return null;
  }
}

/** The owner hand-over that rides on a member.left event. */
export function ownerLine(c: ConvState, newOwnerId: string, key: string, afterId: string): SystemLine {
  return { key: `${key}:owner`, afterId, kind: 'owner', userId: newOwnerId, name: nameIn(c, newOwnerId), byId: null, byName: null };
}

/** The newest stored message held (the anchor of a live line). */
export function newestHeld(c: ConvState): string {
  return storedOf(c.messages).pop()?.id ?? c.summary.lastMessage?.id ?? '';
}

/** `c` with `lines` added, each once (by key). */
export function withLines(c: ConvState, lines: Array<SystemLine | null>): ConvState {
  const fresh = lines.filter((l): l is SystemLine => !!l && !c.lines.some((x) => x.key === l.key));
  return fresh.length ? { ...c, lines: [...c.lines, ...fresh] } : c;
}

/** Lines from a history answer: each after the last message of the page sent at or before it. */
export function historyLines(
  c: ConvState,
  events: readonly HistoryEvent[] | undefined,
  page: ReadonlyArray<{ id: string; createdAt: string }>,
): SystemLine[] {
  const out: SystemLine[] = [];
  for (const ev of events ?? []) {
    let afterId = '';
    for (const m of page) if (m.createdAt <= ev.at) afterId = m.id;
    const key = ev.cursor ?? `${ev.type}:${'userId' in ev ? ev.userId : 'member' in ev ? ev.member.id : ev.conversation.id}:${ev.at}`;
    const line = lineFor(c, ev, key, afterId);
    if (line) out.push(line);
    if (ev.type === 'member.left' && ev.newOwnerId) out.push(ownerLine(c, ev.newOwnerId, key, afterId));
  }
  return out;
}

/** What a line says. */
export function lineText(l: SystemLine, meId: string | undefined): string {
  const who = l.userId === meId ? 'You' : l.name;
  // Names are shown as their owners wrote them; only "you" opens a sentence capitalised.
  const by = l.byId === meId ? 'You' : l.byName;
  switch (l.kind) {
    case 'joined':
      return by ? `${by} added ${l.userId === meId ? 'you' : l.name}` : `${who} joined`;
    case 'left':
      return `${who} left`;
    case 'removed':
      return `${by ?? 'Someone'} removed ${l.userId === meId ? 'you' : l.name}`;
    case 'renamed':
      return `Renamed to “${l.text ?? ''}”`;
    case 'owner':
      return l.userId === meId ? 'You are now the owner' : `${l.name} is now the owner`;
    case 'moderator':
      return l.userId === meId ? 'You are now a moderator' : `${l.name} is now a moderator`;
    case 'unmoderator':
      return l.userId === meId ? 'You are no longer a moderator' : `${l.name} is no longer a moderator`;
    default: {
      const unreachable: never = l.kind;
      return unreachable;
    }
  }
}
