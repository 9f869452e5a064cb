import type { ErrorCode } from '../domain/errors.js';
import type { LogEntry } from './event-log.js';
import type { QueueLimits, Subscriber, Wire } from './ports.js';
import type { QueueMeter } from './queue-meter.js';

/**
 * One live connection's outbound side: a bounded FIFO of encoded frames in
 * front of its wire. Frames are written while less than `window` bytes are in
 * flight and queue otherwise; a session that would exceed `maxBytes` is closed
 * with SLOW_CONSUMER. Stored events are delivered at most once and in position
 * order (`lastSeq` guards against a catch-up page overlapping a live batch).
 *
 * Memory: a batch written at once is joined into one Buffer of the session's
 * own (one socket write), but frames that must wait are queued as the shared
 * per-entry Buffers, so sessions that fall behind on the same stream hold one
 * copy between them, plus each its writes in flight (≤ window + one write).
 * Queued frames are joined again, COALESCE_BYTES at a time, as they are written.
 */
export class Session implements Subscriber {
  /** Every queued buffer is held through the meter (`hold`). */
  private queue: Buffer[] = [];
  private head = 0;
  private queued = 0;
  private inFlight = 0;
  private ended: ErrorCode | 'gone' | null = null;
  private waiters: Array<() => void> = [];
  /** Writes not yet completed, in order: a Buffer held through the meter, or the size of a buffer of this session's own. */
  private flight: Array<Buffer | number> = [];
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
   * Entries past `lastSeq`. While the session keeps up they are written
   * together: a batch costs one socket write (and one syscall) rather than
   * one per event, which is what keeps a busy node's fan-out from falling
   * behind — see Hub's per-tick batching. Behind a backlog they queue as the
   * shared frames.
   */
  deliver(entries: readonly LogEntry[]): void {
    if (entries.length === 1) {
      const e = entries[0]!;
      if (e.seq <= this.lastSeq) return;
      const b = this.wire.encode(e);
      if (!this.fits(b.length)) return;
      if (this.ready()) this.transmitShared(b);
      else this.enqueue(b);
      this.lastSeq = e.seq;
      return;
    }
    let parts: Buffer[] = [];
    let size = 0;
    for (const e of entries) {
      if (e.seq <= this.lastSeq) continue;
      const b = this.wire.encode(e);
      if (!this.fits(size + b.length)) return;
      if (size === 0 && !this.ready()) this.enqueue(b);
      else {
        parts.push(b);
        size += b.length;
        if (size >= COALESCE_BYTES) {
          this.transmitParts(parts, size);
          parts = [];
          size = 0;
        }
      }
      this.lastSeq = e.seq;
    }
    if (size > 0) this.transmitParts(parts, size);
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

  /**
   * Lets go of the queue and of the writes in flight at once: what the wire
   * still buffers is its to drop or deliver (a WebSocket's close frame
   * follows it, see ws-wire.ts), and late completions are ignored.
   */
  private finish(code: ErrorCode | 'gone'): boolean {
    if (this.ended !== null) return false;
    this.ended = code;
    for (let i = this.head; i < this.queue.length; i++) this.meter.release(this.queue[i]!);
    for (let i = this.flightHead; i < this.flight.length; i++) this.settle(this.flight[i]!);
    this.queue = [];
    this.head = 0;
    this.queued = 0;
    this.inFlight = 0;
    this.flight = [];
    this.flightHead = 0;
    this.release(this);
    for (const w of this.waiters.splice(0)) w();
    for (const l of this.closeListeners.splice(0)) l(code);
    return true;
  }

  /** Queues bytes already in the transport's format (an SSE comment or named event). False once closed. */
  push(data: Buffer): boolean {
    if (!this.fits(data.length)) return false;
    if (this.ready()) this.transmitOwn(data);
    else this.enqueue(data);
    return true;
  }

  /** Whether `n` more bytes stay within the bound; past it the session closes as a slow consumer. */
  private fits(n: number): boolean {
    if (this.ended !== null) return false;
    const after = this.bytes + n;
    if (after > this.limits.maxBytes) {
      this.close('SLOW_CONSUMER');
      return false;
    }
    if (after > this.meter.peakSessionBytes) this.meter.peakSessionBytes = after;
    return true;
  }

  /** Nothing waiting and room in the window: a frame may go straight to the wire. */
  private ready(): boolean {
    return this.head === this.queue.length && this.inFlight < this.limits.window;
  }

  private enqueue(b: Buffer): void {
    this.meter.hold(b);
    this.queue.push(b);
    this.queued += b.length;
  }

  private transmitParts(parts: Buffer[], size: number): void {
    if (parts.length === 1) this.transmitShared(parts[0]!);
    else this.transmitOwn(Buffer.concat(parts, size));
  }

  /** A shared buffer, held through the meter until written. */
  private transmitShared(b: Buffer): void {
    this.meter.hold(b);
    this.toWire(b, b);
  }

  /** A buffer of this session's own, counted directly. */
  private transmitOwn(b: Buffer): void {
    this.meter.queuedBytes += b.length;
    this.toWire(b, b.length);
  }

  private toWire(b: Buffer, item: Buffer | number): void {
    this.inFlight += b.length;
    this.flight.push(item);
    this.wire.write(b, this.onWritten);
  }

  /** Uncounts a write in flight. */
  private settle(item: Buffer | number): number {
    if (typeof item === 'number') {
      this.meter.queuedBytes -= item;
      return item;
    }
    this.meter.release(item);
    return item.length;
  }

  /**
   * One completion callback per session, not a closure per write (a fan-out to
   * 15,000 sockets is 15,000 writes): writes on one connection complete in
   * order, so the writes in flight are a FIFO.
   */
  private readonly onWritten = (): void => {
    if (this.flightHead >= this.flight.length) return; // ended meanwhile
    const item = this.flight[this.flightHead]!;
    this.flight[this.flightHead++] = 0;
    if (this.flightHead === this.flight.length) {
      this.flight.length = 0;
      this.flightHead = 0;
    }
    this.inFlight -= this.settle(item);
    this.pump();
  };

  /** Writes queued frames while the window has room, joined into writes of about COALESCE_BYTES. */
  private pump(): void {
    while (this.head < this.queue.length && this.inFlight < this.limits.window) {
      const from = this.head;
      let size = 0;
      while (this.head < this.queue.length && size < COALESCE_BYTES) size += this.queue[this.head++]!.length;
      this.queued -= size;
      if (this.head - from === 1) {
        // Already held through the meter: it moves from the queue to the flight as it is.
        const b = this.queue[from]!;
        this.queue[from] = EMPTY;
        this.toWire(b, b);
      } else {
        const parts = this.queue.slice(from, this.head);
        this.queue.fill(EMPTY, from, this.head);
        for (const p of parts) this.meter.release(p);
        this.transmitOwn(Buffer.concat(parts, size));
      }
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
/** Frames are joined into writes of about this size (a batch at once, or queued frames as they drain). */
export const COALESCE_BYTES = 64 * 1024;
