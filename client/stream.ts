import { Backoff, sleep } from './backoff.js';
import { cursorPosition } from './cursor.js';
import { Emitter } from './emitter.js';
import type { ClientEvents, HubbubClientOptions } from './options.js';
import { retryDelay, WsRequests } from './requests.js';
import { RestApi } from './rest.js';
import { LongPollTransport } from './transports/longpoll.js';
import { SseTransport } from './transports/sse.js';
import type { CloseInfo, Reply, Transport, TransportHandlers } from './transports/transport.js';
import { WsTransport, type WebSocketCtor } from './transports/ws.js';
import { HubbubError, type Signal, type Status, type StreamEvent, type TransportName } from './types.js';

const DEFAULT_CHAIN: TransportName[] = ['ws', 'sse', 'longpoll'];

/**
 * The connection half of the client: the user's stream over the best
 * transport that works — WebSocket, then SSE, then long poll — resumed from
 * its cursor after every disconnect, with duplicates dropped by position.
 * HubbubClient adds the requests (send, edit, react…) on top.
 */
export class StreamClient extends Emitter<ClientEvents> {
  readonly api: RestApi;
  /** The position of the last event handled (or the head taken at connect). */
  cursor: string | null;
  /** The transport in use or being tried. */
  transport: TransportName | null = null;
  status: Status = 'offline';

  protected readonly opts: HubbubClientOptions;
  private readonly chain: TransportName[];
  private chainIndex = 0;
  /** Consecutive times the current transport failed to open while the server answered HTTP. */
  private refusals = 0;
  private readonly reconnect: Backoff;
  protected current: Transport | null = null;
  private generation = 0;
  private running = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  protected readonly requests: WsRequests;
  private readonly baseUrl: () => string;

  constructor(opts: HubbubClientOptions = {}) {
    super();
    this.opts = opts;
    const base = opts.baseUrl ?? (globalThis as { location?: { origin: string } }).location?.origin ?? '';
    this.baseUrl = typeof base === 'function' ? base : () => base;
    const f = opts.fetch ?? globalThis.fetch;
    this.api = new RestApi({ baseUrl: this.baseUrl, fetch: (input, init) => f(input, init), token: opts.token ?? null });
    this.cursor = opts.cursor ?? null;
    this.chain = [...(opts.transports ?? DEFAULT_CHAIN)];
    if (this.chain.length === 0) throw new HubbubError('NO_TRANSPORT', 'No transport allowed.');
    this.reconnect = new Backoff({ baseMs: opts.backoff?.baseMs ?? 500, maxMs: opts.backoff?.maxMs ?? 30_000 });
    this.requests = new WsRequests(opts.requestTimeoutMs ?? 10_000);
  }

  /**
   * Starts following the stream from `cursor`, or from the client's cursor,
   * or — with neither — from the head taken now. Resolves when the stream is
   * live; rejects on a fatal error (credentials) or `close()`.
   */
  async connect(cursor?: string): Promise<void> {
    if (cursor !== undefined) this.cursor = cursor;
    if (this.running) return this.whenOnline();
    this.running = true;
    this.chainIndex = 0;
    this.refusals = 0;
    this.reconnect.reset();
    this.setStatus('connecting');
    const online = this.whenOnline();
    void this.start(this.generation);
    return online;
  }

  /** Takes the head when there is no cursor (retrying while the server is unreachable), then opens the stream. */
  private async start(gen: number): Promise<void> {
    while (this.cursor === null) {
      try {
        await this.takeHead();
      } catch (err) {
        if (!(err instanceof HubbubError) || !err.retryable) return this.fail(err);
        await sleep(this.reconnect.next());
      }
      if (gen !== this.generation || !this.running) return;
    }
    this.openTransport();
  }

  /** Stops the stream; pending requests fail with CLOSED. The client may connect again. */
  close(): void {
    this.running = false;
    this.generation++;
    this.current?.close();
    this.current = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.requests.rejectAll(new HubbubError('CLOSED', 'The client was closed.'));
    for (const w of this.waiters.splice(0)) w.reject(new HubbubError('CLOSED', 'The client was closed.'));
    this.setStatus('offline');
  }

  /** Resolves to the ack, or null when no WebSocket is open (the caller uses HTTP). */
  protected requestOverWs(frame: Record<string, unknown>): Promise<Reply | null> {
    const t = this.current;
    if (t?.name !== 'ws' || this.status !== 'online') return Promise.resolve(null);
    return this.requests.send(t, frame);
  }

  private whenOnline(): Promise<void> {
    if (this.status === 'online') return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private async takeHead(): Promise<void> {
    this.cursor = (await this.api.sync()).cursor;
  }

  private setStatus(s: Status): void {
    if (this.status === s) return;
    this.status = s;
    this.emit('status', s);
  }

  /**
   * A platform WebSocket cannot send an Authorization header: with a token,
   * only an injected constructor (Node's `ws`) is used.
   */
  private usable(name: TransportName): boolean {
    if (name !== 'ws') return true;
    if (this.opts.WebSocket) return true;
    return this.api.token === null && (globalThis as { WebSocket?: unknown }).WebSocket !== undefined;
  }

  private openTransport(): void {
    if (!this.running) return;
    while (!this.usable(this.chain[this.chainIndex]!)) {
      if (this.chainIndex === this.chain.length - 1)
        return this.fail(
          new HubbubError('NO_TRANSPORT', 'No usable transport: pass a WebSocket constructor that accepts headers, or allow sse/longpoll.'),
        );
      this.chainIndex++;
    }
    const gen = ++this.generation;
    const name = this.chain[this.chainIndex]!;
    const live = () => gen === this.generation;
    const handlers: TransportHandlers = {
      open: () => live() && this.onOpen(),
      event: (ev) => live() && this.onEvent(ev),
      signal: (s) => live() && this.onSignal(s),
      reply: (r) => live() && this.requests.onReply(r),
      close: (info) => live() && void this.onClose(info),
    };
    if (this.transport !== name) {
      this.transport = name;
      this.emit('transport', name);
    }
    this.current = this.makeTransport(name, handlers);
  }

  private makeTransport(name: TransportName, handlers: TransportHandlers): Transport {
    const base = this.baseUrl().replace(/\/+$/, '');
    const since = `since=${encodeURIComponent(this.cursor ?? '')}`;
    switch (name) {
      case 'ws':
        return new WsTransport(
          {
            url: base.replace(/^http/, 'ws') + `/api/v1/ws?${since}`,
            headers: this.api.authHeaders(),
            WebSocket: this.opts.WebSocket ?? (globalThis as unknown as { WebSocket: WebSocketCtor }).WebSocket,
            pingMs: this.opts.pingMs ?? 25_000,
          },
          handlers,
        );
      case 'sse':
        return new SseTransport(
          {
            url: `${base}/api/v1/events?${since}`,
            headers: this.api.authHeaders(),
            fetch: (input, init) => (this.opts.fetch ?? globalThis.fetch)(input, init),
            idleMs: this.opts.sseIdleMs ?? 45_000,
          },
          handlers,
        );
      case 'longpoll':
        return new LongPollTransport(
          { api: this.api, cursor: () => this.cursor ?? '', waitSeconds: this.opts.longPollWait ?? 25 },
          handlers,
        );
    }
  }

  private onOpen(): void {
    this.reconnect.reset();
    this.refusals = 0;
    this.setStatus('online');
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private onEvent(ev: StreamEvent): void {
    if (this.cursor !== null && cursorPosition(ev.cursor) <= cursorPosition(this.cursor)) return; // seen already
    this.cursor = ev.cursor;
    this.emit('event', ev);
    this.emitTyped(ev);
  }

  /** The typed events beside `event`, for handlers that care about one kind. */
  private emitTyped(ev: StreamEvent): void {
    switch (ev.type) {
      case 'message.created':
        return this.emit('message', ev.message, ev);
      case 'message.updated':
        return this.emit('messageUpdated', ev.message, ev);
      case 'message.deleted':
        return this.emit('messageDeleted', ev);
      case 'reaction.added':
      case 'reaction.removed':
        return this.emit('reaction', ev);
      case 'member.updated':
        return this.emit('memberUpdated', ev);
    }
  }

  private onSignal(s: Signal): void {
    if (s.type === 'typing') this.emit('typing', s);
    else this.emit('presence', s);
  }

  private async onClose(info: CloseInfo): Promise<void> {
    this.current = null;
    const gen = this.generation;
    this.requests.rejectAll(new HubbubError('DISCONNECTED', 'The connection closed before the answer.'));
    if (!this.running) return;
    if (info.kind === 'fatal') return this.fail(info.error ?? new HubbubError('FATAL', 'The server refused the connection.'));
    this.setStatus('connecting');
    if (info.kind === 'reset') {
      try {
        await this.takeHead();
        if (gen !== this.generation || !this.running) return;
        this.emit('reset');
        return this.openTransport();
      } catch (err) {
        if (err instanceof HubbubError && err.status === 401) return this.fail(err);
        // Server unreachable: the cursor stays expired; try again after a pause (reset again then).
        return this.schedule(gen);
      }
    }
    if (!info.opened && this.chainIndex < this.chain.length - 1 && (await this.serverAnswers(gen))) {
      if (gen !== this.generation || !this.running) return;
      // The server is up but this transport did not open. Once may be a restart just
      // finishing: try again at once. Twice in a row: it is refused on this path; use the next.
      if (++this.refusals >= 2) {
        this.refusals = 0;
        this.chainIndex++;
      }
      return this.openTransport();
    }
    this.schedule(gen, info.error);
  }

  /** Is the server reachable over plain HTTP? Tells "transport refused" from "server down". */
  private async serverAnswers(gen: number): Promise<boolean> {
    try {
      await this.api.sync();
      return true;
    } catch (err) {
      if (err instanceof HubbubError && err.status === 401 && gen === this.generation) this.fail(err);
      return false;
    }
  }

  /** Reconnects after the backoff, or after the server's Retry-After when the stream was refused with one. */
  private schedule(gen: number, cause?: HubbubError): void {
    if (gen !== this.generation || !this.running) return;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = null;
        if (gen === this.generation) this.openTransport();
      },
      cause ? retryDelay(this.reconnect, cause) : this.reconnect.next(),
    );
  }

  private fail(err: unknown): void {
    this.running = false;
    this.generation++;
    this.current?.close();
    this.current = null;
    this.setStatus('offline');
    for (const w of this.waiters.splice(0)) w.reject(err);
    this.emit('error', err);
  }
}
