import type { ErrorCode } from '../domain/errors.js';
import type { LogEntry } from './event-log.js';
import type { Subscriber } from './hub.js';

/**
 * The transport's side of a session: how frames become bytes, how bytes reach
 * the peer and how the connection ends. The session never learns more.
 */
export interface Wire {
  /** A label for metrics only ("ws", "sse"). */
  readonly kind: string;
  /** A stored event's bytes on this transport, made once per entry and shared by every session. */
  encode(entry: LogEntry): Buffer;
  /** A control or live-only frame (JSON text) on this transport. */
  encodeFrame(json: string): Buffer;
  /** Writes `data`; `done` runs once the bytes have left user-space buffers, or the write failed. */
  write(data: Buffer, done: () => void): void;
  /** Ends the connection because of `code` (the transport maps it to its close code or error event). */
  end(code: ErrorCode): void;
}

export interface QueueLimits {
  /**
   * Bytes a session may hold, queued plus handed to the transport and not yet
   * flushed. Pushing past it closes the session as a slow consumer: it
   * resumes from its cursor, so nothing is lost and memory stays bounded.
   */
  maxBytes: number;
  /** Bytes handed to the transport and not yet flushed before further frames wait in the queue. */
  window: number;
}

/** Queue figures across a hub's sessions, for stats and tests. */
export class QueueMeter {
  queuedBytes = 0;
  /** The most one session ever held; never above `QueueLimits.maxBytes`. */
  peakSessionBytes = 0;
  slowConsumerCloses = 0;
}

/**
 * One live connection's outbound side: a bounded FIFO of encoded frames in
 * front of its wire. Frames are written while less than `window` bytes are in
 * flight and queue otherwise; a session that would exceed `maxBytes` is closed
 * with SLOW_CONSUMER. Stored events are delivered at most once and in position
 * order (`lastSeq` guards against a catch-up page overlapping a live batch).
 */
export class Session implements Subscriber {
  private queue: Buffer[] = [];
  private head = 0;
  private queued = 0;
  private inFlight = 0;
  private ended: ErrorCode | 'gone' | null = null;
  private waiters: Array<() => void> = [];
  private readonly flightSizes: number[] = [];
  private flightHead = 0;
  private readonly closeListeners: Array<(code: ErrorCode | 'gone') => void> = [];

  constructor(
    readonly userId: string,
    private readonly wire: Wire,
    private readonly limits: QueueLimits,
    private readonly meter: QueueMeter,
    /** Position of the last stored event the peer has (or is about to get). */
    public lastSeq: number,
    private readonly release: (s: Session) => void,
  ) {}

  get kind(): string {
    return this.wire.kind;
  }

  get closed(): boolean {
    return this.ended !== null;
  }

  /** Bytes held: queued plus in flight. */
  get bytes(): number {
    return this.queued + this.inFlight;
  }

  /**
   * Entries past `lastSeq`, written together: a batch costs one socket write
   * (and one syscall) rather than one per event, which is what keeps a busy
   * node's fan-out from falling behind — see Hub's per-tick batching.
   */
  deliver(entries: readonly LogEntry[]): void {
    if (entries.length === 1) {
      const e = entries[0]!;
      if (e.seq > this.lastSeq && this.push(this.wire.encode(e))) this.lastSeq = e.seq;
      return;
    }
    let parts: Buffer[] = [];
    let size = 0;
    let upTo = this.lastSeq;
    for (const e of entries) {
      if (e.seq <= upTo) continue;
      const b = this.wire.encode(e);
      parts.push(b);
      size += b.length;
      upTo = e.seq;
      if (size >= COALESCE_BYTES) {
        if (!this.push(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size))) return;
        this.lastSeq = upTo;
        parts = [];
        size = 0;
      }
    }
    if (parts.length === 0) return;
    if (this.push(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size))) this.lastSeq = upTo;
  }

  signal(frame: string): void {
    this.push(this.wire.encodeFrame(frame));
  }

  /** A control frame (hello, ack, error), in order with the events. */
  send(json: string): void {
    this.push(this.wire.encodeFrame(json));
  }

  /** Resolves once the session holds no more than one window, or has closed. */
  room(): Promise<void> {
    if (this.closed || this.bytes <= this.limits.window) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends the session from the server side; the wire closes the connection with `code`. */
  close(code: ErrorCode): void {
    if (!this.finish(code)) return;
    if (code === 'SLOW_CONSUMER') this.meter.slowConsumerCloses++;
    this.wire.end(code);
  }

  /** The peer went away: drop everything at once. */
  gone(): void {
    this.finish('gone');
  }

  onClose(listener: (code: ErrorCode | 'gone') => void): void {
    if (this.ended !== null) listener(this.ended);
    else this.closeListeners.push(listener);
  }

  private finish(code: ErrorCode | 'gone'): boolean {
    if (this.ended !== null) return false;
    this.ended = code;
    this.meter.queuedBytes -= this.queued + this.inFlight;
    this.queue = [];
    this.head = 0;
    this.queued = 0;
    this.inFlight = 0;
    this.flightSizes.length = 0;
    this.flightHead = 0;
    this.release(this);
    for (const w of this.waiters.splice(0)) w();
    for (const l of this.closeListeners.splice(0)) l(code);
    return true;
  }

  /** Queues bytes already in the transport's format (an SSE comment or named event). False once closed. */
  push(data: Buffer): boolean {
    if (this.ended !== null) return false;
    const n = data.length;
    if (this.bytes + n > this.limits.maxBytes) {
      this.close('SLOW_CONSUMER');
      return false;
    }
    this.meter.queuedBytes += n;
    if (this.head === this.queue.length && this.inFlight < this.limits.window) this.transmit(data);
    else {
      this.queue.push(data);
      this.queued += n;
    }
    if (this.bytes > this.meter.peakSessionBytes) this.meter.peakSessionBytes = this.bytes;
    return true;
  }

  private transmit(data: Buffer): void {
    const n = data.length;
    this.inFlight += n;
    this.flightSizes.push(n);
    this.wire.write(data, this.onWritten);
  }

  /**
   * One completion callback per session, not a closure per write (a fan-out to
   * 15,000 sockets is 15,000 writes): writes on one connection complete in
   * order, so the sizes in flight are a FIFO.
   */
  private readonly onWritten = (): void => {
    if (this.flightHead >= this.flightSizes.length) return; // ended meanwhile
    const n = this.flightSizes[this.flightHead++]!;
    if (this.flightHead === this.flightSizes.length) {
      this.flightSizes.length = 0;
      this.flightHead = 0;
    }
    this.written(n);
  };

  private written(n: number): void {
    if (this.ended !== null) return; // already subtracted when the session ended
    this.inFlight -= n;
    this.meter.queuedBytes -= n;
    while (this.head < this.queue.length && this.inFlight < this.limits.window) {
      const next = this.queue[this.head]!;
      this.queue[this.head++] = EMPTY;
      this.queued -= next.length;
      this.transmit(next);
      if (this.ended !== null) return;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.bytes <= this.limits.window && this.waiters.length > 0) for (const w of this.waiters.splice(0)) w();
  }
}

const EMPTY = Buffer.alloc(0);
/** Frames of one batch are joined into writes of about this size. */
const COALESCE_BYTES = 64 * 1024;
