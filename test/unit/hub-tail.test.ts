import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/domain/types.js';
import { EventLog, entryCost, toEntry } from '../../src/hub/event-log.js';

function stored(seq: number, chars: number): StoredEvent {
  const payload = JSON.stringify({ type: 'message.created', message: { id: String(seq), body: 'x'.repeat(chars) } });
  return { seq, type: 'message.created', conversationId: '1', targets: [], payload };
}

describe('EventLog: the in-memory tail is bounded by entries and by bytes', () => {
  it('drops its oldest entries once their estimated bytes pass the byte bound, whatever the count bound', () => {
    const big = toEntry(stored(100, 4000)); // the largest of the hundred (a three-digit id)
    const bound = 20 * entryCost(big);
    const log = new EventLog(0, 50_000, bound);
    for (let seq = 1; seq <= 100; seq++) log.append([toEntry(stored(seq, 4000))]);
    expect(log.head).toBe(100);
    expect(log.bytes).toBeLessThanOrEqual(bound);
    expect(log.length).toBe(20);
    // Readers of the dropped positions are told memory does not reach them (they read the store).
    expect(log.covers(79)).toBe(false);
    expect(log.covers(80)).toBe(true);
    expect([...log.after(80)].map((e) => e.seq)).toEqual([...Array(20).keys()].map((i) => 81 + i));
  });

  it('still drops past the entry count when entries are small', () => {
    const log = new EventLog(0, 10, 64 * 1024 * 1024);
    for (let seq = 1; seq <= 25; seq++) log.append([toEntry(stored(seq, 10))]);
    expect(log.length).toBe(10);
    expect(log.covers(14)).toBe(false);
    expect(log.covers(15)).toBe(true);
  });

  it('keeps its byte count right through redaction', () => {
    const log = new EventLog(0, 100, 64 * 1024 * 1024);
    const entries = [1, 2, 3].map((s) => toEntry(stored(s, 100)));
    log.append(entries);
    const total = entries.reduce((n, e) => n + entryCost(e), 0);
    expect(log.bytes).toBe(total);
    log.redact((e) => e.seq === 2);
    expect(log.bytes).toBe(total - entryCost(entries[1]!));
    expect(log.length).toBe(2);
  });

  it('refuses a byte bound too small to be a bound', () => {
    expect(() => new EventLog(0, 100, 0)).toThrow(/capacityBytes/);
  });
});
