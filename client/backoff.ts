export interface BackoffOptions {
  /** First delay (ms). */
  baseMs: number;
  /** Longest delay (ms). */
  maxMs: number;
  random: () => number;
}

/**
 * Exponential backoff with "equal jitter": each delay is half the exponential
 * step plus a random part of the other half, so clients that lost the same
 * server do not come back in lockstep, yet never retry at once.
 */
export class Backoff {
  private attempt = 0;
  readonly opts: BackoffOptions;

  constructor(opts: Partial<BackoffOptions> = {}) {
    this.opts = { baseMs: 500, maxMs: 30_000, random: Math.random, ...opts };
  }

  next(): number {
    const step = Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return step / 2 + this.opts.random() * (step / 2);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
