import * as local from './format';

/**
 * The message timeline: where day separators go and which messages are
 * grouped under one sender line. Every message view (the public room, the
 * server-rendered page, the chat) draws its list from `timeline()`, so the
 * rule exists once (test/unit/timeline.test.ts).
 *
 * The one time-zone rule: a page shows days and times in the reader's zone,
 * except while it cannot know that zone. The server renders in UTC (labelled
 * "UTC"), and the browser renders in UTC too while it hydrates that HTML, so
 * both produce the same markup; once mounted, the view switches to 'local'.
 * UTC labels are absolute ("Monday 3 March 2025", never "Today") and built
 * without Intl, so they depend neither on when nor on which ICU renders them.
 */
export type Zone = 'utc' | 'local';

/** Consecutive messages of one sender less than this far apart (and on the same day) share one sender line. */
export const GROUP_GAP_MS = 5 * 60_000;

export interface Timed {
  senderId: string;
  createdAt: string;
}

export type TimelineItem<M extends Timed> =
  | { kind: 'day'; key: string; label: string }
  /** `head`: the message opens a group (shows the sender); `tail`: it closes one. */
  | { kind: 'msg'; m: M; head: boolean; tail: boolean };

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const pad = (n: number) => String(n).padStart(2, '0');

/** A key that is equal for two instants on the same calendar day in `zone`. */
export function dayKey(iso: string, zone: Zone): string {
  if (zone === 'local') return local.dayKey(iso);
  const d = new Date(iso);
  return `${d.getUTCFullYear()}-${d.getUTCMonth()}-${d.getUTCDate()}`;
}

/** The text of a day separator. */
export function dayLabel(iso: string, zone: Zone, now = new Date()): string {
  if (zone === 'local') return local.dayLabel(iso, now);
  const d = new Date(iso);
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** A message's time of day. */
export function clockTime(iso: string, zone: Zone): string {
  if (zone === 'local') return local.clockTime(iso);
  const d = new Date(iso);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** Date and time, for a tooltip. */
export function fullTime(iso: string, zone: Zone): string {
  if (zone === 'local') return local.fullTime(iso);
  return `${dayLabel(iso, 'utc')}, ${clockTime(iso, 'utc')}`;
}

function near(a: Timed | undefined, b: Timed | undefined, zone: Zone): boolean {
  return (
    !!a &&
    !!b &&
    a.senderId === b.senderId &&
    dayKey(a.createdAt, zone) === dayKey(b.createdAt, zone) &&
    Math.abs(Date.parse(b.createdAt) - Date.parse(a.createdAt)) < GROUP_GAP_MS
  );
}

/** Messages (oldest first) with a separator before each new day and their place in a sender group. */
export function timeline<M extends Timed>(messages: readonly M[], zone: Zone, now = new Date()): TimelineItem<M>[] {
  const out: TimelineItem<M>[] = [];
  let lastDay = '';
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const day = dayKey(m.createdAt, zone);
    if (day !== lastDay) {
      out.push({ kind: 'day', key: `day-${day}`, label: dayLabel(m.createdAt, zone, now) });
      lastDay = day;
    }
    out.push({ kind: 'msg', m, head: !near(messages[i - 1], m, zone), tail: !near(m, messages[i + 1], zone) });
  }
  return out;
}
