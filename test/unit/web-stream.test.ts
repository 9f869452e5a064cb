import { afterEach, describe, expect, test, vi } from 'vitest';
import type { StreamEvent } from '../../client/index.js';
import { coalesced } from '../../web/src/state/coalesced.js';
import { held, onStreamEvent, receive } from '../../web/src/state/stream.js';

const ev = (n: number): StreamEvent => ({ type: 'friend.removed', userIds: [String(n), '1'], cursor: `c${n}` });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('the stream is held while a load runs (web/src/state/stream.ts)', () => {
  afterEach(() => vi.useRealTimers());

  test('events during a load wait for its answer, then apply in order; nested loads hold until the last', async () => {
    const seen: string[] = [];
    onStreamEvent((e) => seen.push(e.cursor));
    receive(ev(1));
    const outer = deferred();
    const inner = deferred();
    const a = held(async () => {
      await outer.promise;
      seen.push('answer-a');
    });
    receive(ev(2));
    const b = held(async () => {
      await inner.promise;
      seen.push('answer-b');
    });
    receive(ev(3));
    outer.resolve();
    await a;
    expect(seen).toEqual(['c1', 'answer-a']);
    inner.resolve();
    await b;
    expect(seen).toEqual(['c1', 'answer-a', 'answer-b', 'c2', 'c3']);
    receive(ev(4));
    expect(seen.at(-1)).toBe('c4');
  });

  test('a load that never answers releases the stream after its bound', async () => {
    vi.useFakeTimers();
    const seen: string[] = [];
    onStreamEvent((e) => seen.push(e.cursor));
    void held(() => new Promise<void>(() => {}));
    receive(ev(5));
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen).toEqual(['c5']);
    receive(ev(6));
    expect(seen).toEqual(['c5', 'c6']);
  });
});

describe('coalesced (one run at a time, one more if asked meanwhile)', () => {
  test('calls during a run cost exactly one more run, started after it', async () => {
    const gates: Array<() => void> = [];
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const job = coalesced(async () => {
      runs++;
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise<void>((r) => gates.push(r));
      concurrent--;
    });
    const first = job();
    const second = job();
    const third = job();
    expect(runs).toBe(1);
    gates.shift()!();
    // The rerun starts once the first run is done.
    for (let i = 0; i < 20 && gates.length === 0; i++) await Promise.resolve();
    expect(runs).toBe(2);
    gates.shift()!();
    await Promise.all([first, second, third]);
    expect(runs).toBe(2);
    expect(maxConcurrent).toBe(1);
    // Idle again: a new call runs once.
    const fourth = job();
    for (let i = 0; i < 20 && gates.length === 0; i++) await Promise.resolve();
    gates.shift()!();
    await fourth;
    expect(runs).toBe(3);
  });
});
