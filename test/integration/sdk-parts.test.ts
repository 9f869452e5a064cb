import { describe, expect, it } from 'vitest';
import { Backoff } from '../../client/backoff.js';
import { compareCursors, cursorPosition } from '../../client/cursor.js';
import { Emitter } from '../../client/emitter.js';
import { SseParser, type SseRecord } from '../../client/sse-parser.js';

/** The SDK's pieces without a server. */
describe('SDK parts', () => {
  it('parses SSE however the bytes are split, with CR, LF or CRLF line ends', () => {
    const text = 'event: hello\r\ndata: {"cursor":"c1"}\r\n\r\n: hb\n\nid: c2\ndata: {"a":1}\n\ndata: line1\rdata: line2\r\r';
    const whole: SseRecord[] = [];
    new SseParser((r) => whole.push(r)).feed(text);
    expect(whole).toEqual([
      { event: 'hello', data: '{"cursor":"c1"}', id: null },
      { event: 'message', data: '{"a":1}', id: 'c2' },
      { event: 'message', data: 'line1\nline2', id: null },
    ]);
    for (let size = 1; size <= 7; size++) {
      const got: SseRecord[] = [];
      const p = new SseParser((r) => got.push(r));
      for (let i = 0; i < text.length; i += size) p.feed(text.slice(i, i + size));
      expect(got).toEqual(whole);
    }
  });

  it('orders cursors by position, not as strings', () => {
    expect(cursorPosition('c0')).toBe(0);
    expect(cursorPosition('cz')).toBe(35);
    expect(compareCursors('cz', 'c10')).toBeLessThan(0); // 35 < 36, though "cz" > "c10" as text
    expect(compareCursors('c10', 'c10')).toBe(0);
    expect(cursorPosition('garbage')).toBe(-1);
  });

  it('backs off exponentially with jitter, capped, and resets', () => {
    const lo = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    const hi = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.999999 });
    const los = [...Array(6)].map(() => lo.next());
    const his = [...Array(6)].map(() => hi.next());
    expect(los).toEqual([50, 100, 200, 400, 500, 500]);
    for (const [i, h] of his.entries()) expect(h).toBeGreaterThan(los[i]!);
    for (const h of his) expect(h).toBeLessThanOrEqual(1000);
    lo.reset();
    expect(lo.next()).toBe(50);
  });

  it('keeps emitting to other listeners when one throws, reporting on error', () => {
    class E extends Emitter<{ tick: (n: number) => void; error: (e: unknown) => void }> {
      fire(n: number) {
        this.emit('tick', n);
      }
    }
    const e = new E();
    const seen: number[] = [];
    const errors: unknown[] = [];
    e.on('tick', () => {
      throw new Error('boom');
    });
    e.on('tick', (n) => seen.push(n));
    e.on('error', (err) => errors.push(err));
    const off = e.once('tick', (n) => seen.push(n * 10));
    e.fire(1);
    e.fire(2);
    off();
    expect(seen).toEqual([1, 10, 2]);
    expect(errors).toHaveLength(2);
  });
});
