/**
 * Load-generator clients, written to docs/protocol-contract.md:
 *   HubWs       GET /api/v1/ws (ws package), resumes with ?since=<cursor>
 *   HubSse      GET /api/v1/events over raw http, resumes with Last-Event-ID
 *   HubLongPoll GET /api/v1/sync?since=&wait= over a raw keep-alive connection (raw-http.ts)
 *   BaselineWs  the trivial protocol of bench/baseline-ws.ts
 *   NaiveLongPoll  the jQuery client of bench/baseline-longpoll.ts (POST /updatemsg, form cursor=<id>)
 *
 * Every message body the bench sends starts with a tag "B|<msgNo>|<sentAt>|"
 * (sentAt = performance.now() of the generator, ms). Receivers find the tags in
 * the raw text without parsing whole events, and report them to a Sink.
 */
import http from 'node:http';
import type net from 'node:net';
import WebSocket from 'ws';
import { LeanWs } from './lean-ws.js';
import { RawHttpConn, type RawResponse } from './raw-http.js';
import { CountingAgent, request, sleep } from './util.js';

export type Transport = 'ws' | 'sse' | 'longpoll';
/** 'baseline' = raw ws (bench/baseline-ws.ts); 'naive-longpoll' = bench/baseline-longpoll.ts. */
export type ClientKind = Transport | 'baseline' | 'naive-longpoll';

export interface Sink {
  /** A tagged message reached client `client`. */
  delivery(client: number, msgNo: number, sentAt: number): void;
}

export const TAG = 'B|';

/** A body with the tag, padded with dots to `size` characters (at least the tag). */
export function makeBody(msgNo: number, sentAt: number, size: number): string {
  const tag = `${TAG}${msgNo}|${sentAt.toFixed(3)}|`;
  return tag.length >= size ? tag : tag + '.'.repeat(size - tag.length);
}

/** Finds every `"body":"B|n|t|` in a text and reports it. */
export function scanTags(s: string, fn: (msgNo: number, sentAt: number) => void): number {
  let found = 0;
  let i = s.indexOf('"body":"B|');
  while (i !== -1) {
    const a = i + 10;
    const b = s.indexOf('|', a);
    const c = s.indexOf('|', b + 1);
    if (b > a && c > b) {
      fn(Number(s.slice(a, b)), Number(s.slice(b + 1, c)));
      found++;
    }
    i = s.indexOf('"body":"B|', c > 0 ? c : a);
  }
  return found;
}

const TAG_BYTES = Buffer.from('"body":"B|');
const CURSOR_KEY = Buffer.from('"cursor":"');
const EVENTS_OPEN = Buffer.from('{"events":[');
const CURSOR_PREFIX = Buffer.from('{"cursor":"');

/** Reads a decimal number (digits and one dot) from `b` at `i`; returns [value, index after it]. */
function readNumber(b: Buffer, i: number): [number, number] {
  let v = 0;
  let scale = 0;
  for (; i < b.length; i++) {
    const c = b[i]!;
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      if (scale) scale *= 10;
    } else if (c === 46 && !scale) scale = 1;
    else break;
  }
  return [scale ? v / scale : v, i];
}

/** scanTags on raw bytes: no string conversion on the hot path. `key` is what precedes the tag's number. */
export function scanTagsBuf(b: Buffer, fn: (msgNo: number, sentAt: number) => void, key: Buffer = TAG_BYTES): number {
  let found = 0;
  let i = b.indexOf(key);
  while (i !== -1) {
    const [no, j] = readNumber(b, i + key.length);
    if (b[j] !== 124) break; // '|'
    const [t, k] = readNumber(b, j + 1);
    if (b[k] !== 124) break;
    fn(no, t);
    found++;
    i = b.indexOf(key, k);
  }
  return found;
}

export interface ClientStats {
  reconnects: number;
  errors: number;
  expired: number;
  closeCodes: Record<string, number>;
}

export interface ClientOpts {
  base: URL;
  token: string;
  index: number;
  sink: Sink;
  localAddress?: string;
  /** Reconnect (with the cursor) after the server closes or the connection drops. */
  autoReconnect?: boolean;
  /** Offer permessage-deflate (as browsers do). */
  deflate?: boolean;
  /** Long poll: keep-alive agent shared by many clients. */
  agent?: CountingAgent;
  /** Long poll wait, seconds. */
  wait?: number;
  /** Size in bytes of each event-carrying payload (WS message, SSE data, long-poll response body). */
  onPayload?: (bytes: number) => void;
  /** WebSocket: receive with LeanWs instead of the `ws` client (subscribers only: no send()). Default: `wsClient.lean`. */
  lean?: boolean;
}

/** Which WebSocket client subscribers use (`--ws-client`); senders always use `ws`. */
export const wsClient = { lean: true };

export interface Client {
  readonly kind: ClientKind;
  readonly index: number;
  cursor: string | null;
  readonly stats: ClientStats;
  /** Connects (from `cursor` when set, else the head) and resolves once subscribed. */
  connect(): Promise<void>;
  /** Drops the connection at once, without a goodbye; no auto-reconnect afterwards. */
  drop(): void;
  close(): void;
  /** Bytes read/written on this client's sockets since it was created. */
  bytes(): { read: number; written: number };
}

/**
 * Reconnects with growing, jittered delays until it works or `stopped()`.
 * `busy` keeps one retry loop per client.
 */
async function retryConnect(
  c: { connect(): Promise<void>; stats: ClientStats },
  stopped: () => boolean,
  busy: { retrying: boolean },
): Promise<void> {
  if (busy.retrying) return;
  busy.retrying = true;
  c.stats.reconnects++;
  try {
    for (let delay = 50; ; delay = Math.min(2000, delay * 2)) {
      await sleep(delay + Math.random() * delay * 3);
      if (stopped()) return;
      try {
        await c.connect();
        return;
      } catch {
        /* next attempt */
      }
    }
  } finally {
    busy.retrying = false;
  }
}

function newStats(): ClientStats {
  return { reconnects: 0, errors: 0, expired: 0, closeCodes: {} };
}

// ── WebSocket ────────────────────────────────────────────────────────────────

interface Pending {
  resolve: (v: any) => void;
  reject: (e: Error) => void;
}

/** Settles a connect() promise once: resolved by the hello, rejected by whatever fails first. */
function opening(resolve: () => void, reject: (err: Error) => void): { opened: boolean; ok(): void; fail(err: Error): void } {
  const o = {
    opened: false,
    ok() {
      if (o.opened) return;
      o.opened = true;
      resolve();
    },
    fail(err: Error) {
      if (o.opened) return;
      o.opened = true;
      reject(err);
    },
  };
  return o;
}

export class HubWs implements Client {
  readonly kind = 'ws' as const;
  readonly index: number;
  cursor: string | null = null;
  readonly stats = newStats();
  ws: WebSocket | null = null;
  private lean: LeanWs | null = null;
  helloUser: { id: string } | null = null;
  extensions = '';
  private readonly pending = new Map<string, Pending>();
  private ref = 0;
  private stopped = false;
  private bytesBefore = { read: 0, written: 0 };
  private sock: net.Socket | null = null;
  private readonly retry = { retrying: false };

  constructor(private readonly o: ClientOpts) {
    this.index = o.index;
  }

  connect(): Promise<void> {
    this.stopped = false;
    if (this.o.lean ?? wsClient.lean) return this.connectLean();
    return new Promise((resolve, reject) => {
      const url = new URL('/api/v1/ws', this.o.base);
      url.protocol = 'ws:';
      if (this.cursor) url.searchParams.set('since', this.cursor);
      const ws = new WebSocket(url, {
        headers: { authorization: `Bearer ${this.o.token}` },
        perMessageDeflate: this.o.deflate ?? false,
        localAddress: this.o.localAddress,
        handshakeTimeout: 30_000,
        // The generator trusts the server's UTF-8 (the tests check it): less client CPU per frame.
        skipUTF8Validation: true,
      } as WebSocket.ClientOptions);
      this.ws = ws;
      const open = opening(resolve, reject);
      ws.on('upgrade', (res) => {
        this.sock = res.socket as net.Socket;
      });
      ws.on('open', () => {
        this.extensions = String(ws.extensions ?? '');
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary) this.onText(data, open.ok);
      });
      ws.on('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          this.stats.errors++;
          open.fail(new Error(`ws upgrade refused: ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`));
        });
      });
      ws.on('error', (err) => {
        this.stats.errors++;
        open.fail(err);
      });
      ws.on('close', (code) => {
        this.stats.closeCodes[code] = (this.stats.closeCodes[code] ?? 0) + 1;
        if (this.ws === ws) this.ended(code, open); // else an older connection of this client
      });
    });
  }

  /** The same client on LeanWs (no send()): frames and close codes go through the same handlers. */
  private connectLean(): Promise<void> {
    return new Promise((resolve, reject) => {
      const open = opening(resolve, reject);
      const path = '/api/v1/ws' + (this.cursor ? `?since=${encodeURIComponent(this.cursor)}` : '');
      let lw: LeanWs | null = null;
      LeanWs.connect(
        {
          host: this.o.base.hostname,
          port: Number(this.o.base.port),
          path,
          headers: { authorization: `Bearer ${this.o.token}` },
          localAddress: this.o.localAddress,
        },
        {
          onText: (data) => this.onText(data, open.ok),
          onClose: (code) => {
            this.stats.closeCodes[code] = (this.stats.closeCodes[code] ?? 0) + 1;
            if (lw && this.lean === lw) this.ended(code, open);
          },
        },
      ).then(
        (conn) => {
          lw = conn;
          this.lean = conn;
          this.sock = conn.socket;
          if (conn.socket.destroyed) open.fail(new Error('closed before hello'));
        },
        (err: Error) => {
          this.stats.errors++;
          open.fail(err);
        },
      );
    });
  }

  /** A text frame from the server, whichever client read it; `hello` opens the connection. */
  private onText(data: Buffer, hello: () => void): void {
    if (data.length > 11 && data.compare(CURSOR_PREFIX, 0, 11, 0, 11) === 0) {
      // A stored event, sent as the shared frame: cursor first (the contract's fast path).
      this.cursor = data.toString('latin1', 11, data.indexOf(34, 11));
      this.o.onPayload?.(data.length);
      scanTagsBuf(data, (n, t) => this.o.sink.delivery(this.index, n, t));
      return;
    }
    const s = data.toString('utf8');
    let j: any;
    try {
      j = JSON.parse(s);
    } catch {
      this.stats.errors++;
      return;
    }
    switch (j.type) {
      case 'hello':
        this.cursor = j.cursor ?? this.cursor;
        this.helloUser = j.user ?? null;
        hello();
        return;
      case 'ack': {
        const p = this.pending.get(j.ref);
        if (p) {
          this.pending.delete(j.ref);
          p.resolve(j);
        }
        return;
      }
      case 'error': {
        this.stats.errors++;
        const p = j.ref != null ? this.pending.get(j.ref) : undefined;
        if (p) {
          this.pending.delete(j.ref);
          p.reject(new Error(`${j.error?.code}: ${j.error?.message}`));
        }
        return;
      }
      case 'typing':
      case 'presence':
        return;
      default:
        if (typeof j.cursor === 'string') {
          this.cursor = j.cursor;
          this.o.onPayload?.(data.length);
          if (j.type === 'message.created') scanTags(s, (n, t) => this.o.sink.delivery(this.index, n, t));
        }
    }
  }

  /** The current connection closed: keep its byte counts, fail what waited, reconnect when the code says so. */
  private ended(code: number, open: { opened: boolean; fail(err: Error): void }): void {
    if (this.sock) {
      this.bytesBefore.read += this.sock.bytesRead;
      this.bytesBefore.written += this.sock.bytesWritten;
      this.sock = null;
    }
    for (const p of this.pending.values()) p.reject(new Error(`closed ${code}`));
    this.pending.clear();
    if (!open.opened) {
      open.fail(new Error(`closed before hello: ${code}`));
      return;
    }
    if (code === 4010) this.cursor = null; // cursor expired: take a fresh head
    const retry = (code >= 4000 && code < 4500) || code === 1006 || code === 1001 || code === 1011 || code === 1012 || code === 1013;
    if (!this.stopped && this.o.autoReconnect && retry) void retryConnect(this, () => this.stopped, this.retry);
  }

  /** Sends a message over the socket; resolves with the ack. */
  send(conversationId: string, body: string): Promise<any> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not open'));
    const ref = String(++this.ref);
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { resolve, reject });
      ws.send(JSON.stringify({ type: 'send', ref, conversationId, body }));
    });
  }

  drop(): void {
    this.stopped = true;
    this.ws?.terminate();
    this.lean?.terminate();
  }

  close(): void {
    this.drop();
  }

  bytes(): { read: number; written: number } {
    return {
      read: this.bytesBefore.read + (this.sock?.bytesRead ?? 0),
      written: this.bytesBefore.written + (this.sock?.bytesWritten ?? 0),
    };
  }
}

// ── Server-sent events ───────────────────────────────────────────────────────

export class HubSse implements Client {
  readonly kind = 'sse' as const;
  readonly index: number;
  cursor: string | null = null;
  readonly stats = newStats();
  private readonly retry = { retrying: false };
  private req: http.ClientRequest | null = null;
  private stopped = false;
  private bytesBefore = { read: 0, written: 0 };
  private sock: net.Socket | null = null;

  constructor(private readonly o: ClientOpts) {
    this.index = o.index;
  }

  connect(): Promise<void> {
    this.stopped = false;
    return new Promise((resolve, reject) => {
      let settled = false;
      let over = false;
      const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${this.o.token}`, accept: 'text/event-stream' };
      if (this.cursor) headers['last-event-id'] = this.cursor;
      const req = http.request({
        host: this.o.base.hostname,
        port: this.o.base.port,
        path: '/api/v1/events',
        headers,
        agent: false,
        localAddress: this.o.localAddress,
      });
      this.req = req;
      /** This request is over (error, end, close — whichever comes first, once). */
      const finish = (err?: Error) => {
        if (over) return;
        over = true;
        if (this.req !== req) return; // an older request of this client
        this.collectBytes();
        if (err && !this.stopped) this.stats.errors++;
        if (!settled) {
          settled = true;
          reject(err ?? new Error('sse ended before hello'));
        } else if (!this.stopped && this.o.autoReconnect) void retryConnect(this, () => this.stopped, this.retry);
      };
      req.on('socket', (sock) => {
        this.sock = sock;
        sock.setNoDelay(true);
      });
      req.on('error', (err) => finish(err));
      req.on('close', () => finish());
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if (res.statusCode === 410) {
              this.stats.expired++;
              this.cursor = null;
            }
            finish(new Error(`sse: ${res.statusCode} ${text.slice(0, 200)}`));
          });
          return;
        }
        res.setEncoding('utf8');
        let buf = '';
        const hello = () => {
          if (!settled) {
            settled = true;
            resolve();
          }
        };
        res.on('data', (chunk: string) => {
          buf += chunk;
          let at = 0;
          for (let end = buf.indexOf('\n\n'); end !== -1; end = buf.indexOf('\n\n', at)) {
            this.onBlock(buf.slice(at, end), hello);
            at = end + 2;
          }
          if (at > 0) buf = buf.slice(at);
        });
        res.on('end', () => finish());
        res.on('error', (err) => finish(err));
      });
      req.end();
    });
  }

  private onBlock(block: string, hello: () => void): void {
    let id: string | null = null;
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line[5] === ' ' ? 6 : 5);
      else if (line.startsWith('id:')) id = line.slice(line[3] === ' ' ? 4 : 3);
      else if (line.startsWith('event:')) event = line.slice(line[6] === ' ' ? 7 : 6);
    }
    if (event === 'hello') {
      try {
        this.cursor = JSON.parse(data).cursor ?? this.cursor;
      } catch {
        /* ignore */
      }
      hello();
      return;
    }
    if (event === 'error') {
      this.stats.errors++;
      if (data.includes('CURSOR_EXPIRED')) {
        this.stats.expired++;
        this.cursor = null;
      }
      return;
    }
    if (id !== null) {
      this.cursor = id;
      this.o.onPayload?.(Buffer.byteLength(data));
      scanTags(data, (n, t) => this.o.sink.delivery(this.index, n, t));
    }
  }

  private collectBytes(): void {
    if (this.sock) {
      this.bytesBefore.read += this.sock.bytesRead;
      this.bytesBefore.written += this.sock.bytesWritten;
      this.sock = null;
    }
  }

  drop(): void {
    this.stopped = true;
    this.req?.destroy();
  }

  close(): void {
    this.drop();
  }

  bytes(): { read: number; written: number } {
    return {
      read: this.bytesBefore.read + (this.sock?.bytesRead ?? 0),
      written: this.bytesBefore.written + (this.sock?.bytesWritten ?? 0),
    };
  }
}

// ── Long poll ────────────────────────────────────────────────────────────────

export class HubLongPoll implements Client {
  readonly kind = 'longpoll' as const;
  readonly index: number;
  cursor: string | null = null;
  readonly stats = newStats();
  polls = 0;
  private stopped = false;
  private readonly agent: CountingAgent;
  private readonly conn: RawHttpConn;
  /** The request headers after the request line: what Node's http client would send, in its order. */
  private readonly headerLines: string;
  private gen = 0;
  /** Set while a waiting poll is in flight. */
  waiting = false;

  constructor(private readonly o: ClientOpts) {
    this.index = o.index;
    this.agent = o.agent ?? new CountingAgent({ localAddress: o.localAddress } as http.AgentOptions);
    this.conn = new RawHttpConn(o.base.hostname, Number(o.base.port), o.localAddress);
    this.headerLines = `authorization: Bearer ${o.token}\r\nHost: ${o.base.host}\r\nConnection: keep-alive\r\n\r\n`;
  }

  async connect(): Promise<void> {
    this.stopped = false;
    if (!this.cursor) {
      const r = await request(this.agent, this.o.base, 'GET', '/api/v1/sync', { token: this.o.token, timeoutMs: 30_000 });
      if (r.status !== 200) {
        this.stats.errors++;
        throw new Error(`sync head: ${r.status} ${r.text.slice(0, 200)}`);
      }
      this.cursor = r.body.cursor;
    }
    void this.run(++this.gen);
  }

  /**
   * One poll, kept lean: the generator makes tens of thousands of these per
   * second, so a raw keep-alive connection (see RawHttpConn), no JSON.parse of
   * the body (the tags are found in the bytes, the cursor is the last "cursor" in it).
   */
  private poll(path: string): Promise<RawResponse> {
    return this.conn.request(`GET ${path} HTTP/1.1\r\n${this.headerLines}`);
  }

  private async run(gen: number): Promise<void> {
    const wait = this.o.wait ?? 25;
    while (!this.stopped && gen === this.gen) {
      try {
        this.waiting = true;
        const r = await this.poll(`/api/v1/sync?since=${this.cursor}&wait=${wait}&limit=1000`);
        this.waiting = false;
        this.polls++;
        if (gen !== this.gen) return;
        if (r.status === 200) {
          const b = r.body;
          const at = b.lastIndexOf(CURSOR_KEY);
          if (at < 0) throw new Error('sync response without a cursor');
          const from = at + CURSOR_KEY.length;
          this.cursor = b.toString('latin1', from, b.indexOf(34, from));
          if (b[EVENTS_OPEN.length] !== 93 /* ] */) this.o.onPayload?.(b.length);
          scanTagsBuf(b, (n, t) => this.o.sink.delivery(this.index, n, t));
        } else if (r.status === 410) {
          this.stats.expired++;
          const h = await request(this.agent, this.o.base, 'GET', '/api/v1/sync', { token: this.o.token });
          this.cursor = h.body.cursor;
        } else {
          this.stats.errors++;
          await sleep(200);
        }
      } catch {
        this.waiting = false;
        if (this.stopped || gen !== this.gen) return;
        this.stats.errors++;
        this.stats.reconnects++;
        await sleep(100 + Math.random() * 200);
      }
    }
  }

  drop(): void {
    this.stopped = true;
    this.conn.destroy();
  }

  close(): void {
    this.drop();
  }

  bytes(): { read: number; written: number } {
    const a = this.agent.bytes();
    const c = this.conn.bytes();
    return { read: a.read + c.read, written: a.written + c.written };
  }
}

// ── Raw ws baseline ──────────────────────────────────────────────────────────

export class BaselineWs implements Client {
  readonly kind = 'baseline' as const;
  readonly index: number;
  cursor: string | null = null;
  readonly stats = newStats();
  ws: WebSocket | null = null;
  private lean: LeanWs | null = null;
  private sock: net.Socket | null = null;
  private readonly pending = new Map<number, () => void>();
  private ref = 0;

  constructor(private readonly o: ClientOpts) {
    this.index = o.index;
  }

  connect(): Promise<void> {
    if (this.o.lean ?? wsClient.lean) {
      return LeanWs.connect(
        { host: this.o.base.hostname, port: Number(this.o.base.port), path: '/', headers: {}, localAddress: this.o.localAddress },
        {
          onText: (data) => {
            this.o.onPayload?.(data.length);
            scanTagsBuf(data, (n, t) => this.o.sink.delivery(this.index, n, t));
          },
          onClose: (code) => {
            this.stats.closeCodes[code] = (this.stats.closeCodes[code] ?? 0) + 1;
          },
        },
      ).then(
        (lw) => {
          this.lean = lw;
          this.sock = lw.socket;
        },
        (err: Error) => {
          this.stats.errors++;
          throw err;
        },
      );
    }
    return new Promise((resolve, reject) => {
      const url = new URL('/', this.o.base);
      url.protocol = 'ws:';
      const ws = new WebSocket(url, {
        perMessageDeflate: this.o.deflate ?? false,
        localAddress: this.o.localAddress,
        handshakeTimeout: 30_000,
        skipUTF8Validation: true,
      } as WebSocket.ClientOptions);
      this.ws = ws;
      ws.on('upgrade', (res) => {
        this.sock = res.socket as net.Socket;
      });
      ws.on('open', () => resolve());
      ws.on('error', (err) => {
        this.stats.errors++;
        reject(err);
      });
      ws.on('close', (code) => {
        this.stats.closeCodes[code] = (this.stats.closeCodes[code] ?? 0) + 1;
      });
      ws.on('message', (data: Buffer) => {
        this.o.onPayload?.(data.length);
        scanTagsBuf(data, (n, t) => {
          const p = this.pending.get(n);
          if (p) {
            this.pending.delete(n);
            p();
          }
          this.o.sink.delivery(this.index, n, t);
        });
      });
    });
  }

  /** Sends a tagged body; resolves when the server echoes it back (its ack). */
  send(msgNo: number, body: string): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not open'));
    return new Promise((resolve) => {
      this.pending.set(msgNo, resolve);
      ws.send(`{"ref":"${++this.ref}","body":${JSON.stringify(body)}}`);
    });
  }

  drop(): void {
    this.ws?.terminate();
    this.lean?.terminate();
  }

  close(): void {
    this.drop();
  }

  bytes(): { read: number; written: number } {
    return { read: this.sock?.bytesRead ?? 0, written: this.sock?.bytesWritten ?? 0 };
  }
}

// ── Naive long-poll baseline ─────────────────────────────────────────────────

/** The request headers of the reference's jQuery `$.ajax({type: 'post', data: {…}})` (besides Host, Connection, Content-Length). */
const JQUERY_FORM_HEADERS = {
  'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8',
  'X-Requested-With': 'XMLHttpRequest',
  Accept: '*/*',
} as const;

/** jQuery.param: `null` is sent as an empty value, spaces as '+'. */
function formBody(fields: Record<string, string | null>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v ?? '')}`)
    .join('&')
    .replace(/%20/g, '+');
}

/**
 * One `$.ajax({type: 'post', url, data: fields})` over a keep-alive agent. Node adds `Host` and
 * `Connection: keep-alive` (as hubbub's long-poll client gets them); nothing else is sent.
 */
export function jqueryPost(
  agent: http.Agent,
  base: URL,
  path: string,
  fields: Record<string, string | null>,
  onReq?: (req: http.ClientRequest) => void,
): Promise<{ status: number; body: Buffer }> {
  const payload = formBody(fields);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: 'POST',
        path,
        headers: { ...JQUERY_FORM_HEADERS, 'Content-Length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    onReq?.(req);
    req.end(payload);
  });
}

const NAIVE_TAG = Buffer.from('"text": "B|');
const NAIVE_ID = Buffer.from('"id": "');
const NAIVE_EMPTY = Buffer.from('"history": []');

/**
 * The reference's `updater.poll`: POST /updatemsg with `cursor=<last id seen>` (empty at
 * first), take the last message's id as the next cursor, poll again at once. Bytes are
 * counted at the agent's sockets, like HubLongPoll.
 */
export class NaiveLongPoll implements Client {
  readonly kind = 'naive-longpoll' as const;
  readonly index: number;
  cursor: string | null = null;
  readonly stats = newStats();
  polls = 0;
  private req: http.ClientRequest | null = null;
  private stopped = false;
  private readonly agent: CountingAgent;
  private gen = 0;

  constructor(private readonly o: ClientOpts) {
    this.index = o.index;
    this.agent = o.agent ?? new CountingAgent({ localAddress: o.localAddress } as http.AgentOptions);
  }

  /** Starts polling (the page's first poll has no cursor: the server answers with its whole buffer). */
  async connect(): Promise<void> {
    this.stopped = false;
    void this.run(++this.gen);
  }

  private async run(gen: number): Promise<void> {
    while (!this.stopped && gen === this.gen) {
      try {
        const r = await jqueryPost(this.agent, this.o.base, '/updatemsg', { cursor: this.cursor }, (req) => {
          this.req = req;
        });
        this.polls++;
        if (gen !== this.gen) return;
        if (r.status === 200) {
          const b = r.body;
          if (b.indexOf(NAIVE_EMPTY) !== -1) continue; // waited 25 s for nothing
          const at = b.lastIndexOf(NAIVE_ID);
          if (at < 0) throw new Error('updatemsg response without an id');
          const from = at + NAIVE_ID.length;
          this.cursor = b.toString('latin1', from, b.indexOf(34, from));
          this.o.onPayload?.(b.length);
          scanTagsBuf(b, (n, t) => this.o.sink.delivery(this.index, n, t), NAIVE_TAG);
        } else {
          this.stats.errors++;
          await sleep(200);
        }
      } catch {
        if (this.stopped || gen !== this.gen) return;
        this.stats.errors++;
        this.stats.reconnects++;
        await sleep(100 + Math.random() * 200);
      }
    }
  }

  drop(): void {
    this.stopped = true;
    this.req?.destroy();
  }

  close(): void {
    this.drop();
  }

  bytes(): { read: number; written: number } {
    return this.agent.bytes();
  }
}

export function makeClient(kind: ClientKind, o: ClientOpts): Client {
  switch (kind) {
    case 'ws':
      return new HubWs(o);
    case 'sse':
      return new HubSse(o);
    case 'longpoll':
      return new HubLongPoll(o);
    case 'baseline':
      return new BaselineWs(o);
    case 'naive-longpoll':
      return new NaiveLongPoll(o);
  }
}
