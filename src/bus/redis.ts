import { Redis } from 'ioredis';
import type { Bus, BusMessage } from './bus.js';

export interface RedisBusOptions {
  /** Channel name prefix: the nodes of one deployment share it (default "hubbub:"). */
  prefix?: string;
  /** Where connection trouble is reported, once per outage (pino's `warn` fits). */
  log?: { warn(obj: object, msg: string): void };
  /** How long subscribe() waits for Redis before carrying on without it, ms (default 3000). */
  readyTimeout?: number;
}

const defaultLog = { warn: (obj: object, msg: string) => console.warn(`[hubbub] ${msg}`, obj) };

/** Drops anything that is not a well-formed BusMessage: another deployment or version may share the channel. */
function parse(raw: string): BusMessage | null {
  // biome-ignore lint/suspicious/noExplicitAny: untrusted JSON, checked field by field below
  let m: any;
  try {
    m = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!m || typeof m.node !== 'string') return null;
  if (m.kind === 'head' && Number.isSafeInteger(m.seq)) return { kind: 'head', node: m.node, seq: m.seq };
  if (
    m.kind === 'signal' &&
    (m.conversationId === null || typeof m.conversationId === 'string') &&
    Array.isArray(m.userIds) &&
    m.userIds.every((u: unknown) => typeof u === 'string') &&
    typeof m.frame === 'string'
  ) {
    return { kind: 'signal', node: m.node, conversationId: m.conversationId, userIds: m.userIds, frame: m.frame };
  }
  return null;
}

/**
 * The bus between nodes over Redis pub/sub: one channel, JSON messages, one
 * connection to publish and one to subscribe (a subscribed connection can do
 * nothing else). It is only a doorbell — the database is the log and every
 * node also polls it — so Redis being down must never fail the app: publish
 * drops the message, subscribe carries on after a bounded wait, and ioredis
 * reconnects and resubscribes by itself.
 */
export class RedisBus implements Bus {
  readonly reachesOtherNodes = true;
  readonly channel: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly log: NonNullable<RedisBusOptions['log']>;
  private readonly readyTimeout: number;
  private handler: ((msg: BusMessage) => void) | null = null;
  private closed = false;

  constructor(url: string, opts: RedisBusOptions = {}) {
    this.channel = `${opts.prefix ?? 'hubbub:'}bus`;
    this.log = opts.log ?? defaultLog;
    this.readyTimeout = opts.readyTimeout ?? 3000;
    // No offline queue for publishing: while Redis is away a doorbell is dropped at once,
    // rather than piling up in memory and ringing stale on reconnect.
    // Named so an operator can find them in CLIENT LIST.
    this.pub = new Redis(url, { connectionName: `${this.channel}:pub`, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    // The subscriber keeps its SUBSCRIBE queued until the first connect; ioredis then resubscribes after each reconnect.
    this.sub = new Redis(url, { connectionName: `${this.channel}:sub`, maxRetriesPerRequest: null });
    this.watch(this.pub, 'publisher');
    this.watch(this.sub, 'subscriber');
    this.sub.on('message', (channel: string, raw: string) => this.onMessage(channel, raw));
  }

  /** Without an 'error' listener ioredis prints every failed reconnect; we report an outage once and its end once. */
  private watch(conn: Redis, role: string): void {
    let down = false;
    conn.on('error', (err: Error) => {
      if (down || this.closed) return;
      down = true;
      this.log.warn({ err: err.message, channel: this.channel }, `redis ${role} unavailable; nodes fall back to polling the database`);
    });
    conn.on('ready', () => {
      if (!down) return;
      down = false;
      this.log.warn({ channel: this.channel }, `redis ${role} reconnected`);
    });
  }

  async publish(msg: BusMessage): Promise<void> {
    if (this.closed) return;
    // Not awaited: a doorbell must never hold up the write that rang it.
    this.pub.publish(this.channel, JSON.stringify(msg)).catch(() => undefined);
  }

  async subscribe(handler: (msg: BusMessage) => void): Promise<void> {
    if (this.closed) return;
    this.handler = handler;
    const subscribed = this.sub.subscribe(this.channel).catch(() => undefined);
    // Waiting for the publisher too means a node's first doorbells are not dropped just because it is still connecting.
    await this.within(this.readyTimeout, Promise.all([subscribed, this.ready(this.pub)]));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handler = null;
    await Promise.all([this.end(this.pub), this.end(this.sub)]);
  }

  private onMessage(channel: string, raw: string): void {
    const h = this.handler;
    if (channel !== this.channel || !h) return;
    const msg = parse(raw);
    if (!msg) return;
    try {
      h(msg);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'bus handler failed');
    }
  }

  private ready(conn: Redis): Promise<void> {
    if (conn.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => conn.once('ready', () => resolve()));
  }

  private async within(ms: number, p: Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    });
    await Promise.race([p, timeout]);
    clearTimeout(timer);
  }

  /** QUIT when connected (lets pending replies finish, bounded); otherwise just stop reconnecting. */
  private async end(conn: Redis): Promise<void> {
    if (conn.status === 'ready')
      await this.within(
        1000,
        conn.quit().catch(() => undefined),
      );
    if (conn.status !== 'end') conn.disconnect();
  }
}
