import type { Hub } from '../hub/hub.js';
import type { Presence, Signal } from '../domain/types.js';
import type { Store } from '../store/store.js';

export interface PresenceOptions {
  /**
   * How long a user stays online after their last connection closed. It
   * bridges reconnects and the gap between two long polls, so presence does
   * not flicker; it is also how late an "offline" is announced.
   */
  graceMs: number;
}

/**
 * Presence as this node sees it: online while the user has a live subscriber
 * here (any transport), then offline with the time the last one ended. Changes
 * go out as `presence` signals to the user's friends and to the members of
 * their direct conversations and groups. Rooms are left out on purpose: they
 * are public and large, and a join/leave storm there would cost more than it
 * tells. (Across nodes, each node announces its own users; see docs/transports.md.)
 */
export class PresenceService {
  private readonly lastSeen = new Map<string, string>();
  private readonly away = new Set<string>();
  /** Users announced online and not yet announced offline. */
  private readonly announced = new Set<string>();
  private readonly leaving = new Map<string, NodeJS.Timeout>();
  private chain: Promise<void> = Promise.resolve();
  readonly opts: PresenceOptions;

  constructor(
    private readonly hub: Hub,
    private readonly store: Store = hub.store,
    opts: Partial<PresenceOptions> = {},
  ) {
    this.opts = { graceMs: 3000, ...opts };
    hub.onPresence((userId, present) => (present ? this.arrived(userId) : this.left(userId)));
  }

  status(userId: string): { status: Presence; lastSeen: string | null } {
    if (this.hub.isOnline(userId) || this.announced.has(userId))
      return { status: this.away.has(userId) ? 'away' : 'online', lastSeen: null };
    return { status: 'offline', lastSeen: this.lastSeen.get(userId) ?? null };
  }

  setAway(userId: string, away: boolean): void {
    if (away === this.away.has(userId)) return;
    if (away) this.away.add(userId);
    else this.away.delete(userId);
    if (this.announced.has(userId)) void this.announce(userId);
  }

  wentOffline(userId: string, at = new Date()): void {
    this.away.delete(userId);
    this.lastSeen.set(userId, at.toISOString());
  }

  /** The ids that hear about `userId`'s presence: friends and co-members of direct and group conversations. */
  async audience(userId: string): Promise<string[]> {
    const to = new Set<string>();
    for (const f of await this.store.listFriends(userId)) to.add(f.id);
    for (const id of await this.store.conversationIdsOf(userId, ['direct', 'group'])) {
      for (const uid of await this.hub.currentMembers(id)) to.add(uid);
    }
    to.delete(userId);
    return [...to];
  }

  private arrived(userId: string): void {
    const t = this.leaving.get(userId);
    if (t) {
      clearTimeout(t);
      this.leaving.delete(userId);
    }
    if (this.announced.has(userId)) return;
    this.announced.add(userId);
    void this.announce(userId);
  }

  private left(userId: string): void {
    if (this.leaving.has(userId)) return;
    const t = setTimeout(() => {
      this.leaving.delete(userId);
      if (this.hub.isOnline(userId) || this.hub.stopped) return;
      this.announced.delete(userId);
      this.wentOffline(userId);
      void this.announce(userId);
    }, this.opts.graceMs);
    t.unref();
    this.leaving.set(userId, t);
  }

  /** Announcements run one at a time, so a quick online→offline never arrives reversed. */
  private announce(userId: string): Promise<void> {
    this.chain = this.chain.then(() => this.announceNow(userId));
    return this.chain;
  }

  private async announceNow(userId: string): Promise<void> {
    if (this.hub.stopped) return;
    try {
      const s = this.status(userId);
      const signal: Signal = { type: 'presence', userId, status: s.status, lastSeen: s.lastSeen };
      const to = await this.audience(userId);
      if (to.length > 0 && !this.hub.stopped) await this.hub.signal(null, to, JSON.stringify(signal));
    } catch (err) {
      // Presence is best effort: a failed announcement is corrected by the next change or a friends-list load.
      this.hub.onError?.(err);
    }
  }
}
