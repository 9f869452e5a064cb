import type { RestApi } from '../rest.js';
import { HubbubError } from '../types.js';
import { kindForCode, type CloseInfo, type Transport, type TransportHandlers } from './transport.js';

export interface LongPollOptions {
  api: RestApi;
  /** The cursor to ask from: the client's, which moves as events are handled. */
  cursor: () => string;
  /** Seconds the server may hold a poll (it caps this at its maxWaitSeconds). */
  waitSeconds: number;
}

/**
 * The stream as long polls: `GET /api/v1/sync?since=C&wait=W`, again and
 * again. Opens on the first answer; any failed poll ends the connection and
 * the client reconnects with its usual backoff. Carries no live signals.
 */
export class LongPollTransport implements Transport {
  readonly name = 'longpoll' as const;
  private readonly abort = new AbortController();
  private opened = false;
  private done = false;

  constructor(
    private readonly opts: LongPollOptions,
    private readonly h: TransportHandlers,
  ) {
    void this.run();
  }

  request(): boolean {
    return false;
  }

  close(): void {
    this.done = true;
    this.abort.abort();
  }

  private async run(): Promise<void> {
    let wait = 0; // the first poll answers at once: that is how the transport opens
    while (!this.done) {
      const timeout = setTimeout(() => this.abort.abort(), (wait + 15) * 1000);
      try {
        const r = await this.opts.api.sync(this.opts.cursor(), { wait, limit: 500, signal: this.abort.signal });
        if (this.done) return;
        if (!this.opened) {
          this.opened = true;
          this.h.open(this.opts.cursor());
        }
        for (const ev of r.events) {
          if (this.done) return;
          this.h.event(ev);
        }
        wait = r.more ? 0 : this.opts.waitSeconds;
      } catch (err) {
        if (this.done) return;
        const e = err instanceof HubbubError ? err : new HubbubError('NETWORK', String(err));
        const info: CloseInfo = {
          kind: e.status === 401 ? 'fatal' : e.status === 0 ? 'retry' : kindForCode(e.code),
          opened: this.opened,
          error: e,
        };
        this.done = true;
        this.h.close(info);
        return;
      } finally {
        clearTimeout(timeout);
      }
    }
  }
}
