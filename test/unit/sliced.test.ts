import { afterEach, describe, expect, it, vi } from 'vitest';
import { sliced } from '../../src/transports/streams.js';

describe('sliced: heartbeats as a trickle, not a burst', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('visits every member once per period, at most a slice per tick', () => {
    vi.useFakeTimers();
    const set = new Set(Array.from({ length: 100 }, (_, i) => i));
    const seen: number[] = [];
    const perTick: number[] = [];
    let tick = 0;
    const timer = sliced(
      set,
      1000,
      (x) => {
        seen.push(x);
        perTick[tick] = (perTick[tick] ?? 0) + 1;
      },
      10,
    );
    for (tick = 0; tick < 10; tick++) vi.advanceTimersByTime(100);
    clearInterval(timer);
    expect([...seen].sort((a, b) => a - b)).toEqual([...set]);
    expect(Math.max(...perTick)).toBeLessThanOrEqual(10);
  });

  it('keeps going round as members come and go', () => {
    vi.useFakeTimers();
    const set = new Set([1, 2, 3, 4]);
    const seen: number[] = [];
    const timer = sliced(set, 400, (x) => seen.push(x), 4);
    vi.advanceTimersByTime(400); // one period: each once (the round ends on the tick after the last)
    set.delete(2);
    set.add(5);
    vi.advanceTimersByTime(800);
    clearInterval(timer);
    expect(seen.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(seen.slice(4)).not.toContain(2);
    expect(seen.slice(4)).toContain(5);
    expect(seen.filter((x) => x === 1).length).toBeGreaterThanOrEqual(2);
  });
});
