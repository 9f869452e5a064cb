import type { FetchLike } from '../rest.js';
import { SseParser, type SseRecord } from '../sse-parser.js';
import { HubbubError } from '../types.js';
import { dispatchRecord, kindForCode, type CloseInfo, type Transport, type TransportHandlers } from './transport.js';

export interface SseOptions {
  url: string;
  headers: Record<string, string>;
  fetch: FetchLike;
  /** The server comments every 15 s; a stream silent this long is dropped and resumed. */
  idleMs: number;
}

/**
 * The stream as Server-Sent Events, read with fetch so that it runs the same
 * in browsers and Node (no EventSource: fetch can send a bearer header and
 * reports HTTP statuses, and the cursor is ours to resume from anyway).
 */
export class SseTransport implements Transport {
  readonly name = 'sse' as const;
  private readonly abort = new AbortController();
  private opened = false;
  private done = false;
  private idle: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly opts: SseOptions,
    private readonly h: TransportHandlers,
  ) {
    void this.run();
  }

  request(): boolean {
    return false;
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    if (this.idle) clearTimeout(this.idle);
    this.abort.abort();
  }

  private end(info: CloseInfo): void {
    if (this.done) return;
    this.close();
    this.h.close(info);
  }

  private touch(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(
      () => this.end({ kind: 'retry', opened: this.opened, error: new HubbubError('TIMEOUT', 'The event stream went silent.') }),
      this.opts.idleMs,
    );
  }

  private async run(): Promise<void> {
    this.touch();
    let res: Response;
    try {
      res = await this.opts.fetch(this.opts.url, {
        headers: { accept: 'text/event-stream', ...this.opts.headers },
        credentials: 'include',
        cache: 'no-store',
        signal: this.abort.signal,
      });
    } catch (err) {
      return this.end({
        kind: 'retry',
        opened: false,
        error: new HubbubError('NETWORK', `No answer from the server: ${(err as Error).message}`),
      });
    }
    if (!res.ok || !res.body || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
      const error = new HubbubError(body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? `HTTP ${res.status}`, res.status);
      const kind = res.status === 401 ? 'fatal' : body?.error ? kindForCode(body.error.code) : 'retry';
      return this.end({ kind, opened: false, error });
    }
    const parser = new SseParser((r) => this.onRecord(r));
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.done) break;
        this.touch();
        parser.feed(value);
      }
    } catch {
      // aborted or reset: reported below
    }
    this.end({ kind: 'retry', opened: this.opened, error: new HubbubError('DISCONNECTED', 'The event stream ended.') });
  }

  private onRecord(r: SseRecord): void {
    if (this.done) return;
    if (r.event === 'hello') {
      let cursor = '';
      try {
        cursor = (JSON.parse(r.data) as { cursor: string }).cursor;
      } catch {
        // a hello without a cursor still opens the stream
      }
      this.opened = true;
      this.h.open(cursor);
    } else if (r.event === 'error') {
      let e: { code: string; message: string } = { code: 'INTERNAL', message: r.data };
      try {
        e = (JSON.parse(r.data) as { error: typeof e }).error;
      } catch {
        // keep the raw text as the message
      }
      this.end({ kind: kindForCode(e.code), opened: this.opened, error: new HubbubError(e.code, e.message) });
    } else if (r.event === 'message') dispatchRecord(r.data, this.h);
  }
}
