import { Backoff, sleep } from './backoff.js';
import { cursorPosition } from './cursor.js';
import { Emitter } from './emitter.js';
import { RestApi, type FetchLike } from './rest.js';
import { LongPollTransport } from './transports/longpoll.js';
import { SseTransport } from './transports/sse.js';
import type { CloseInfo, Reply, Transport, TransportHandlers } from './transports/transport.js';
import { WsTransport, type WebSocketCtor } from './transports/ws.js';
import {
  HubbubError,
  type Message,
  type PresenceSignal,
  type Signal,
  type Status,
  type StreamEvent,
  type TransportName,
  type TypingSignal,
} from './types.js';

export interface HubbubClientOptions {
  /** The server's origin, e.g. "https://chat.example.org"; a function is asked again on every (re)connect. Default: the page's origin. */
  baseUrl?: string | (() => string);
  /** A bearer token (bots, Node); without one the session cookie is used (`api.login`). */
  token?: string;
  /**
   * Transports to try, in order. Default ['ws', 'sse', 'longpoll']. 'ws' is
   * skipped when no WebSocket constructor is available, and with a `token`
   * unless `WebSocket` is passed (a browser's WebSocket cannot send headers).
   */
  transports?: TransportName[];
  /** Resume from this cursor; without one `connect()` takes the head. */
  cursor?: string;
  fetch?: FetchLike;
  /** The WebSocket constructor; in Node pass `ws`'s WebSocket (it accepts headers). Default: the global one. */
  WebSocket?: WebSocketCtor;
  /** Accepted for compatibility and ignored: SSE runs over fetch, with headers and in Node too. */
  EventSource?: unknown;
  /** Reconnect backoff (ms). Default 500 → 30 000. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** How long a request over the WebSocket waits for its ack before it is retried (ms). Default 10 000. */
  requestTimeoutMs?: number;
  /** Long-poll hold time asked of the server (s). Default 25. */
  longPollWait?: number;
  /** Client ping interval on a WebSocket (ms); two silent intervals drop the connection. Default 25 000. */
  pingMs?: number;
  /** A silent event stream is dropped after this long (ms); the server comments every 15 s. Default 45 000. */
  sseIdleMs?: number;
}

export interface ClientEvents {
  /** Every stored event, in order, never twice. */
  event: (ev: StreamEvent) => void;
  message: (m: Message, ev: StreamEvent) => void;
  typing: (s: TypingSignal) => void;
  presence: (s: PresenceSignal) => void;
  /** The cursor could not be served: the client took a fresh head; reload your state. */
  reset: () => void;
  status: (s: Status) => void;
  /** The transport in use changed (fallback or reconnect). */
  transport: (t: TransportName) => void;
  error: (err: unknown) => void;
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: HubbubError) => void;
  timer: ReturnType<typeof setTimeout>;
}

const DEFAULT_CHAIN: TransportName[] = ['ws', 'sse', 'longpoll'];

/**
 * A hubbub connection: the REST API (`api`), and the user's stream over the
 * best transport that works — WebSocket, then SSE, then long poll — resumed
 * from its cursor after every disconnect, with duplicates dropped by
 * position. See docs/sdk.md.
 */
export class HubbubClient extends Emitter<ClientEvents> {
  readonly api: RestApi;
  /** The position of the last event handled (or the head taken at connect). */
  cursor: string | null;
  /** The transport in use or being tried. */
  transport: TransportName | null = null;
  status: Status = 'offline';

  private readonly opts: HubbubClientOptions;
  private readonly chain: TransportName[];
  private chainIndex = 0;
  /** Consecutive times the current transport failed to open while the server answered HTTP. */
  private refusals = 0;
  private readonly reconnect: Backoff;
  private current: Transport | null = null;
  private generation = 0;
  private running = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private readonly pending = new Map<string, Pending>();
  private refs = 0;
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
    this.rejectPending(new HubbubError('CLOSED', 'The client was closed.'));
    for (const w of this.waiters.splice(0)) w.reject(new HubbubError('CLOSED', 'The client was closed.'));
    this.setStatus('offline');
  }

  /**
   * Sends a message and resolves to it as stored. Retries — over the
   * WebSocket when it is open, otherwise by POST — with the same clientMsgId
   * until the server answers, so a message is stored exactly once however
   * often the connection drops. Rejects on a refusal (not a member, too long…).
   */
  async send(conversationId: string, body: string, opts: { clientMsgId?: string } = {}): Promise<Message> {
    const clientMsgId = opts.clientMsgId ?? newClientMsgId();
    const backoff = new Backoff({ baseMs: 200, maxMs: 5000 });
    for (;;) {
      try {
        const viaWs = await this.requestOverWs({ type: 'send', conversationId, body, clientMsgId });
        if (viaWs) return viaWs.message as Message;
        return (await this.api.sendMessage(conversationId, body, clientMsgId)).message;
      } catch (err) {
        if (!(err instanceof HubbubError) || !err.retryable) throw err;
        await sleep(retryDelay(backoff, err));
      }
    }
  }

  /** Says "I am typing" in a conversation (best effort: rate limits and failures are ignored). */
  typing(conversationId: string): void {
    const ref = this.nextRef();
    if (this.current?.request({ type: 'typing', ref, conversationId })) return;
    this.api.typing(conversationId).catch(() => undefined);
  }

  /** Moves the read pointer to message `upTo`. */
  async markRead(conversationId: string, upTo: string): Promise<void> {
    if (await this.requestOverWs({ type: 'read', conversationId, upTo })) return;
    await this.api.markRead(conversationId, upTo);
  }

  // ── the stream ───────────────────────────────────────────────────────────

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
      reply: (r) => live() && this.onReply(r),
      close: (info) => live() && void this.onClose(info),
    };
    const cursor = this.cursor ?? '';
    const base = this.baseUrl().replace(/\/+$/, '');
    const since = `since=${encodeURIComponent(cursor)}`;
    if (this.transport !== name) {
      this.transport = name;
      this.emit('transport', name);
    }
    switch (name) {
      case 'ws':
        this.current = new WsTransport(
          {
            url: base.replace(/^http/, 'ws') + `/api/v1/ws?${since}`,
            headers: this.api.authHeaders(),
            WebSocket: this.opts.WebSocket ?? (globalThis as unknown as { WebSocket: WebSocketCtor }).WebSocket,
            pingMs: this.opts.pingMs ?? 25_000,
          },
          handlers,
        );
        break;
      case 'sse':
        this.current = new SseTransport(
          {
            url: `${base}/api/v1/events?${since}`,
            headers: this.api.authHeaders(),
            fetch: (input, init) => (this.opts.fetch ?? globalThis.fetch)(input, init),
            idleMs: this.opts.sseIdleMs ?? 45_000,
          },
          handlers,
        );
        break;
      case 'longpoll':
        this.current = new LongPollTransport(
          { api: this.api, cursor: () => this.cursor ?? '', waitSeconds: this.opts.longPollWait ?? 25 },
          handlers,
        );
        break;
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
    if (ev.type === 'message.created') this.emit('message', ev.message, ev);
  }

  private onSignal(s: Signal): void {
    if (s.type === 'typing') this.emit('typing', s);
    else this.emit('presence', s);
  }

  private async onClose(info: CloseInfo): Promise<void> {
    this.current = null;
    const gen = this.generation;
    this.rejectPending(new HubbubError('DISCONNECTED', 'The connection closed before the answer.'));
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

  // ── requests over the WebSocket ──────────────────────────────────────────

  private nextRef(): string {
    return `r${++this.refs}`;
  }

  /** Resolves to the ack, or null when no WebSocket is open (the caller uses HTTP). */
  private requestOverWs(frame: Record<string, unknown>): Promise<Reply | null> {
    const t = this.current;
    if (t?.name !== 'ws' || this.status !== 'online') return Promise.resolve(null);
    const ref = this.nextRef();
    return new Promise<Reply | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new HubbubError('TIMEOUT', 'No answer over the WebSocket in time.'));
      }, this.opts.requestTimeoutMs ?? 10_000);
      this.pending.set(ref, { resolve, reject, timer });
      if (!t.request({ ...frame, ref })) {
        clearTimeout(timer);
        this.pending.delete(ref);
        resolve(null);
      }
    });
  }

  private onReply(r: Reply): void {
    if (r.ref === null) return;
    const p = this.pending.get(r.ref);
    if (!p) return;
    this.pending.delete(r.ref);
    clearTimeout(p.timer);
    if (r.type === 'ack') p.resolve(r);
    else p.reject(new HubbubError(r.error?.code ?? 'INTERNAL', r.error?.message ?? 'The request failed.', statusOf(r.error?.code)));
  }

  private rejectPending(err: HubbubError): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }
}

/**
 * Error frames carry no HTTP status: the catalog's status for the codes that
 * mean "nothing was done, try again" (an outage answers STORE_UNAVAILABLE or
 * STORAGE_FULL on the socket as over HTTP); everything else is a refusal.
 */
function statusOf(code: string | undefined): number {
  switch (code) {
    case 'RATE_LIMITED':
      return 429;
    case 'STORAGE_FULL':
      return 507;
    case 'INTERNAL':
    case 'SHUTTING_DOWN':
    case 'SLOW_CONSUMER':
    case 'SERVER_BUSY':
    case 'STORE_UNAVAILABLE':
      return 503;
    default:
      return 400;
  }
}

/**
 * The backoff's next delay, but never sooner than the server's Retry-After:
 * the jitter above it keeps clients refused together from returning together.
 */
function retryDelay(backoff: Backoff, err: HubbubError): number {
  const next = backoff.next();
  return err.retryAfterMs === null ? next : Math.max(next, err.retryAfterMs + next / 2);
}

function newClientMsgId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}
