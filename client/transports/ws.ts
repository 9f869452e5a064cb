import { HubbubError } from '../types.js';
import { dispatchRecord, kindForCode, type CloseInfo, type Reply, type Transport, type TransportHandlers } from './transport.js';

/**
 * The part of the WebSocket API the SDK uses: the browser's WebSocket and
 * Node's `ws` both fit (`ws` also takes `options.headers`, for a bearer token
 * or the session cookie).
 */
export interface WebSocketLike {
  readonly readyState: number;
  // biome-ignore lint/suspicious/noExplicitAny: the browser's and ws's event types differ; only what is read is used
  onopen: ((ev: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: the browser's and ws's event types differ; only what is read is used
  onmessage: ((ev: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: the browser's and ws's event types differ; only what is read is used
  onclose: ((ev: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: the browser's and ws's event types differ; only what is read is used
  onerror: ((ev: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketCtor = new (
  url: string,
  protocols?: string | string[],
  options?: { headers?: Record<string, string> },
) => WebSocketLike;

const OPEN = 1;

export interface WsOptions {
  url: string;
  headers: Record<string, string>;
  WebSocket: WebSocketCtor;
  /** The client pings this often; a connection silent for two intervals is dropped and resumed. */
  pingMs: number;
}

/**
 * The stream over WebSocket. Opens on the server's hello; answers to requests
 * are handed over as replies. Close codes decide what follows: 4010 reset,
 * 4500–4999 fatal, anything else (4001 slow consumer, 4002 shutdown, 1006 a
 * dropped connection) retry from the cursor.
 */
export class WsTransport implements Transport {
  readonly name = 'ws' as const;
  private readonly ws: WebSocketLike;
  private opened = false;
  private done = false;
  private lastHeard = Date.now();
  private timer: ReturnType<typeof setInterval> | null = null;
  private pings = 0;
  private streamError: HubbubError | undefined;

  constructor(
    opts: WsOptions,
    private readonly h: TransportHandlers,
  ) {
    const hasHeaders = Object.keys(opts.headers).length > 0;
    this.ws = hasHeaders ? new opts.WebSocket(opts.url, undefined, { headers: opts.headers }) : new opts.WebSocket(opts.url);
    this.ws.onmessage = (ev: { data: unknown }) => this.onMessage(ev.data);
    this.ws.onclose = (ev: { code?: number; reason?: string }) => this.onClose(ev.code ?? 1006, ev.reason ?? '');
    this.ws.onerror = () => {
      // A close event follows with the details that matter.
    };
    this.timer = setInterval(() => this.keepAlive(opts.pingMs), opts.pingMs);
  }

  request(frame: Record<string, unknown>): boolean {
    if (!this.opened || this.done || this.ws.readyState !== OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  close(): void {
    if (this.done) return;
    this.finish();
    try {
      this.ws.close(1000);
    } catch {
      // not yet connected: closing it is all we wanted
    }
  }

  private keepAlive(pingMs: number): void {
    if (Date.now() - this.lastHeard > 2 * pingMs) {
      // Silent for too long (a dead network path does not always close the socket).
      const h = this.h;
      const opened = this.opened;
      this.close();
      h.close({ kind: 'retry', opened, error: new HubbubError('TIMEOUT', 'The connection went silent.') });
      return;
    }
    if (this.opened) this.request({ type: 'ping', ref: `hb${++this.pings}` });
  }

  private onMessage(data: unknown): void {
    if (this.done) return;
    this.lastHeard = Date.now();
    const text = typeof data === 'string' ? data : String(data);
    let v: { type?: unknown; ref?: unknown; cursor?: unknown; error?: { code: string; message: string } };
    try {
      v = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    if (v.type === 'hello') {
      this.opened = true;
      this.h.open(typeof v.cursor === 'string' ? v.cursor : '');
    } else if (v.type === 'ack' || v.type === 'error') {
      if (typeof v.ref === 'string' && v.ref.startsWith('hb')) return;
      if (v.type === 'error' && v.ref === null && v.error) this.streamError = new HubbubError(v.error.code, v.error.message);
      else this.h.reply(v as Reply);
    } else dispatchRecord(text, this.h);
  }

  private onClose(code: number, reason: string): void {
    if (this.done) return;
    this.finish();
    const info: CloseInfo = { kind: 'retry', opened: this.opened };
    if (code === 4010) info.kind = 'reset';
    else if (code >= 4500 && code <= 4999) info.kind = 'fatal';
    info.error =
      this.streamError ?? new HubbubError(reason || 'DISCONNECTED', `The WebSocket closed (${code}${reason ? ' ' + reason : ''}).`);
    if (this.streamError && info.kind === 'retry') info.kind = kindForCode(this.streamError.code);
    this.h.close(info);
  }

  private finish(): void {
    this.done = true;
    if (this.timer) clearInterval(this.timer);
    this.ws.onmessage = this.ws.onclose = this.ws.onopen = null;
  }
}
