import type { Bus, BusMessage } from './bus.js';

/** The single-node bus: delivers to its own subscriber, asynchronously like a real one. */
export class MemoryBus implements Bus {
  readonly reachesOtherNodes = false;
  private handler: ((msg: BusMessage) => void) | null = null;
  private closed = false;

  async publish(msg: BusMessage): Promise<void> {
    if (this.closed) return;
    const h = this.handler;
    if (h) queueMicrotask(() => h(msg));
  }
  async subscribe(handler: (msg: BusMessage) => void): Promise<void> {
    this.handler = handler;
  }
  async close(): Promise<void> {
    this.closed = true;
    this.handler = null;
  }
}
