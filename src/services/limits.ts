import { AppError } from '../domain/errors.js';
import type { Config } from '../config.js';
import type { Hub } from '../hub/hub.js';
import { WindowLimiter } from './typing.js';

/**
 * Abuse limits that every transport shares: one bucket per user and one per
 * IP address for sending, typing and friend requests (so a flood is capped
 * whether it arrives over HTTP or a WebSocket), and caps on live connections
 * per user and per node; registrations and the legacy adapters' anonymous
 * posts per IP. Login has its own throttle (login-throttle.ts). Every window
 * is on the monotonic clock (WindowLimiter), so a wall-clock jump neither
 * locks senders out nor resets their budget.
 */
export class AbuseLimits {
  private readonly sendUser: WindowLimiter;
  private readonly sendIp: WindowLimiter;
  private readonly typingIp: WindowLimiter;
  private readonly friendUser: WindowLimiter;
  private readonly friendIp: WindowLimiter;
  private readonly registerIp: WindowLimiter;
  private readonly legacyPostIp: WindowLimiter;
  hits = 0;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly hub: Hub,
  ) {
    const r = config.rateLimits;
    this.sendUser = new WindowLimiter(r.send, 10_000);
    this.sendIp = new WindowLimiter(r.sendPerIp, 10_000);
    this.typingIp = new WindowLimiter(r.typingPerIp, 10_000);
    this.friendUser = new WindowLimiter(r.friendRequests, 3_600_000);
    this.friendIp = new WindowLimiter(r.friendRequestsPerIp, 3_600_000);
    this.registerIp = new WindowLimiter(r.register, 3_600_000);
    // Legacy posts are anonymous: the v1 per-user send budget, per client IP, same window.
    this.legacyPostIp = new WindowLimiter(r.send, 10_000);
  }

  private check(ok: boolean, what: string): void {
    if (ok) return;
    this.hits++;
    throw new AppError('RATE_LIMITED', `Too many ${what}; slow down.`);
  }

  send(userId: string, ip: string): void {
    this.check(this.sendUser.take(userId), 'messages from this account');
    this.check(this.sendIp.take(ip), 'messages from this address');
  }

  /** Per IP; the per-user typing limit lives in TypingService. */
  typing(ip: string): void {
    this.check(this.typingIp.take(ip), 'typing signals from this address');
  }

  friendRequest(userId: string, ip: string): void {
    this.check(this.friendUser.take(userId), 'friend requests from this account');
    this.check(this.friendIp.take(ip), 'friend requests from this address');
  }

  register(ip: string): void {
    this.check(this.registerIp.take(ip), 'registrations from this address');
  }

  /** An anonymous post through a legacy adapter (the seeds' /chat, /a/message/new). */
  legacyPost(ip: string): void {
    this.check(this.legacyPostIp.take(ip), 'messages from this address');
  }

  /** Before a stream (WebSocket, SSE, long poll that waits) is opened. */
  connection(userId: string): void {
    if (this.hub.connectionCount() >= this.config.maxConnections) {
      this.hits++;
      throw new AppError('SERVER_BUSY');
    }
    if (this.hub.connectionsOf(userId) >= this.config.maxConnectionsPerUser) {
      this.hits++;
      throw new AppError('TOO_MANY_CONNECTIONS');
    }
  }
}
