import { AppError } from '../domain/errors.js';
import type { Signal, User } from '../domain/types.js';
import type { Hub } from '../hub/hub.js';

/** Milliseconds on a clock that only moves forward: elapsed time for limits, ages and timeouts. */
export const monotonicNow = (): number => performance.now();

/**
 * At most `max` takes per key in any `windowMs` (a fixed window per key, which
 * is enough for abuse control). Keys whose window has passed are swept, so the
 * map holds only recently active keys. Time is monotonic: with the wall clock,
 * a step back of an hour kept every window open for that hour (every sender
 * RATE_LIMITED) and a step forward reset them all.
 */
export class WindowLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly clock: () => number = monotonicNow,
  ) {}

  take(key: string): boolean {
    const now = this.clock();
    if (now - this.lastSweep > this.windowMs) this.sweep(now);
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      this.windows.set(key, { start: now, count: 1 });
      return true;
    }
    if (w.count >= this.max) return false;
    w.count++;
    return true;
  }

  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k);
  }
}

export interface TypingOptions {
  /** Typing signals per user per 10 seconds (config.rateLimits.typing). */
  perTenSeconds: number;
  /** How long a typing indicator lasts unless renewed (ms). */
  ttlMs: number;
}

/**
 * "Someone is typing": live only, never stored. Each signal says until when it
 * holds (`until`, ~5 s ahead); clients drop it then unless a newer one came.
 * Delivered to the conversation's current members except the sender, on every
 * node (hub.signal rides the bus).
 */
export class TypingService {
  private readonly limiter: WindowLimiter;
  readonly opts: TypingOptions;

  /** `wallClock` stamps `until` (a time clients compare with theirs); the limit runs on monotonic time. */
  constructor(
    private readonly hub: Hub,
    opts: Partial<TypingOptions> & Pick<TypingOptions, 'perTenSeconds'>,
    private readonly wallClock: () => Date = () => new Date(),
  ) {
    this.opts = { ttlMs: 5000, ...opts };
    this.limiter = new WindowLimiter(this.opts.perTenSeconds, 10_000);
  }

  async typing(me: Pick<User, 'id' | 'username'>, conversationId: string): Promise<void> {
    if (!/^\d{1,15}$/.test(conversationId)) throw new AppError('CONVERSATION_NOT_FOUND');
    if (!this.limiter.take(me.id))
      throw new AppError('RATE_LIMITED', 'Too many typing signals; at most ' + this.opts.perTenSeconds + ' per 10 seconds.');
    const members = await this.hub.currentMembers(conversationId);
    if (!members.includes(me.id)) throw new AppError('NOT_A_MEMBER');
    const to = members.filter((id) => id !== me.id);
    if (to.length === 0) return;
    const signal: Signal = {
      type: 'typing',
      conversationId,
      userId: me.id,
      username: me.username,
      until: new Date(this.wallClock().getTime() + this.opts.ttlMs).toISOString(),
    };
    await this.hub.signal(null, to, JSON.stringify(signal));
  }
}
