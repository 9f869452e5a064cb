import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { clockTime, dayKey, dayLabel, fullTime, GROUP_GAP_MS, timeline, type Timed, type TimelineItem } from '../../web/src/timeline.js';

/** The one timeline rule (web/src/timeline.ts), used by the public room (server and browser) and the chat. */

const msg = (id: string, senderId: string, createdAt: string) => ({ id, senderId, createdAt });
type M = ReturnType<typeof msg>;

/** A compact picture of a timeline: "|day" for a separator, "id:ht" for a message (h = head, t = tail). */
function shape(items: TimelineItem<M>[]): string[] {
  return items.map((it) => (it.kind === 'day' ? `|${it.label}` : `${it.m.id}:${it.head ? 'h' : ''}${it.tail ? 't' : ''}`));
}

// A zone far from UTC, so that local and UTC days differ (Node reads TZ again at each Date call).
beforeAll(() => {
  vi.stubEnv('TZ', 'America/New_York');
});
afterAll(() => {
  vi.unstubAllEnvs();
});

describe('timeline', () => {
  test('a separator before each new day; one sender within the gap forms a group', () => {
    const items = timeline(
      [
        msg('1', 'a', '2026-03-02T10:00:00.000Z'),
        msg('2', 'a', '2026-03-02T10:01:00.000Z'),
        msg('3', 'a', '2026-03-02T10:04:59.000Z'),
        msg('4', 'b', '2026-03-02T10:05:00.000Z'),
        msg('5', 'b', '2026-03-03T09:00:00.000Z'),
      ],
      'utc',
    );
    expect(shape(items)).toEqual(['|Monday 2 March 2026', '1:h', '2:', '3:t', '4:ht', '|Tuesday 3 March 2026', '5:ht']);
  });

  test('the gap is measured between neighbours, and a gap of exactly GROUP_GAP_MS starts a new group', () => {
    const t0 = Date.parse('2026-03-02T10:00:00.000Z');
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const times = [0, GROUP_GAP_MS - 1, 2 * GROUP_GAP_MS - 2, 3 * GROUP_GAP_MS - 2];
    const items = timeline(
      times.map((t, i) => msg(String(i + 1), 'a', at(t))),
      'utc',
    );
    expect(shape(items)).toEqual(['|Monday 2 March 2026', '1:h', '2:', '3:t', '4:ht']);
  });

  test('a day boundary splits a group even within the gap; which boundary depends on the zone', () => {
    // 23:58 and 00:01 UTC are 18:58 and 19:01 in New York: two days in UTC, one in the reader's zone.
    const msgs = [msg('1', 'a', '2026-03-02T23:58:00.000Z'), msg('2', 'a', '2026-03-03T00:01:00.000Z')];
    expect(shape(timeline(msgs, 'utc'))).toEqual(['|Monday 2 March 2026', '1:ht', '|Tuesday 3 March 2026', '2:ht']);
    const local = timeline(msgs, 'local', new Date('2026-03-10T12:00:00.000Z'));
    expect(local.map((it) => it.kind)).toEqual(['day', 'msg', 'msg']);
    expect(shape(local).slice(1)).toEqual(['1:h', '2:t']);
    expect(dayKey(msgs[0]!.createdAt, 'local')).toBe(dayKey(msgs[1]!.createdAt, 'local'));
    expect(dayKey(msgs[0]!.createdAt, 'utc')).not.toBe(dayKey(msgs[1]!.createdAt, 'utc'));
  });

  test('UTC rendering does not depend on when it runs (the server and the hydrating browser agree)', () => {
    const msgs = [msg('1', 'a', '2026-03-02T10:00:00.000Z'), msg('2', 'b', '2026-03-02T10:01:00.000Z')];
    const today = timeline(msgs, 'utc', new Date('2026-03-02T12:00:00.000Z'));
    const later = timeline(msgs, 'utc', new Date('2027-01-01T00:00:00.000Z'));
    expect(later).toEqual(today);
    expect(clockTime('2026-03-02T07:05:00.000Z', 'utc')).toBe('07:05 UTC');
    expect(fullTime('2026-03-02T07:05:00.000Z', 'utc')).toBe('Monday 2 March 2026, 07:05 UTC');
  });

  test("in the reader's zone, recent days are named relative to now", () => {
    const now = new Date('2026-03-10T15:00:00.000Z');
    expect(dayLabel('2026-03-10T14:00:00.000Z', 'local', now)).toBe('Today');
    expect(dayLabel('2026-03-09T14:00:00.000Z', 'local', now)).toBe('Yesterday');
    expect(dayLabel('2026-03-10T14:00:00.000Z', 'utc', now)).toBe('Tuesday 10 March 2026');
  });

  test('any message list: every message appears once, in order, after a separator of its own day', () => {
    const base = Date.parse('2026-03-02T20:00:00.000Z');
    let t = base;
    const msgs: Array<Timed & { id: string }> = [];
    for (let i = 0; i < 200; i++) {
      t += [30_000, 4 * 60_000, 6 * 60_000, 3 * 3_600_000][(i * 7) % 4]!;
      msgs.push(msg(String(i), ['a', 'b'][(i * 5) % 3 === 0 ? 1 : 0]!, new Date(t).toISOString()));
    }
    for (const zone of ['utc', 'local'] as const) {
      const items = timeline(msgs, zone);
      const shown = items.filter((it) => it.kind === 'msg');
      expect(shown.map((it) => it.m.id)).toEqual(msgs.map((m) => m.id));
      let day = '';
      for (let i = 0; i < items.length; i++) {
        const it = items[i]!;
        if (it.kind === 'day') {
          expect(it.key).not.toBe(day);
          day = it.key;
        } else {
          expect(`day-${dayKey(it.m.createdAt, zone)}`).toBe(day);
          // head and tail agree with the neighbours: a message continues a group iff its predecessor does not end one.
          const prev = items[i - 1];
          if (prev?.kind === 'msg') expect(it.head).toBe(prev.tail);
          else expect(it.head).toBe(true);
        }
      }
    }
  });

  test('an empty list has no separators', () => {
    expect(timeline([], 'utc')).toEqual([]);
  });
});
