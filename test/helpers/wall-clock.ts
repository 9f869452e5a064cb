import { vi } from 'vitest';

/**
 * Moves the wall clock (`Date` only) while everything else stays real:
 * timers, `performance.now()`, sockets. `Date` keeps ticking at real speed
 * from where it was set (fake-timers' shouldAdvanceTime, in 5 ms steps), so
 * code that stamps times or waits on deadlines still sees time pass.
 */
export class WallClock {
  private installed = false;

  /** Sets the wall clock `offsetMs` away from the real time (negative: into the past). */
  jump(offsetMs: number): void {
    const target = realNow() + offsetMs;
    if (!this.installed) {
      vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true, advanceTimeDelta: 5, now: target });
      this.installed = true;
    } else {
      vi.setSystemTime(target);
    }
  }

  restore(): void {
    if (!this.installed) return;
    vi.useRealTimers();
    this.installed = false;
  }
}

/** The real wall clock, whatever `Date` says: the time origin plus the monotonic clock. */
export function realNow(): number {
  return performance.timeOrigin + performance.now();
}
