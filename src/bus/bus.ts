/**
 * The doorbell between nodes. It carries "the log has something up to `seq`"
 * and live-only signals; never the events themselves, nor anything a node
 * must act on (a deleted account, a revoked credential): those are events on
 * the log (see hub/control.ts), which every node reads even without the bus. A lost message costs
 * latency, not data: every node also polls the store's head (HubOptions.pollInterval, config headPollMs).
 */
export type BusMessage =
  | { kind: 'head'; node: string; seq: number }
  | { kind: 'signal'; node: string; conversationId: string | null; userIds: string[]; frame: string };

export interface Bus {
  /**
   * Whether a message can reach another node. The in-memory bus reaches only
   * its own: a `head` doorbell there would wake the node that rang it, to read
   * the store for events it has just ingested, so the hub does not ring it.
   */
  readonly reachesOtherNodes: boolean;
  publish(msg: BusMessage): Promise<void>;
  /** One handler per bus; it also receives this node's own messages. */
  subscribe(handler: (msg: BusMessage) => void): Promise<void>;
  close(): Promise<void>;
}
