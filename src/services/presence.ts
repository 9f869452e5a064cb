import type { Hub } from '../hub/hub.js';
import type { Presence } from '../domain/types.js';

/**
 * Presence as this node sees it: online while the user has a live session
 * here, otherwise offline with the time the last one ended. (Cross-node
 * presence travels as signals on the bus; see transports.)
 */
export class PresenceService {
  private readonly lastSeen = new Map<string, string>();
  private readonly away = new Set<string>();

  constructor(private readonly hub: Hub) {}

  status(userId: string): { status: Presence; lastSeen: string | null } {
    if (this.hub.isOnline(userId)) return { status: this.away.has(userId) ? 'away' : 'online', lastSeen: null };
    return { status: 'offline', lastSeen: this.lastSeen.get(userId) ?? null };
  }

  setAway(userId: string, away: boolean): void {
    if (away) this.away.add(userId);
    else this.away.delete(userId);
  }

  wentOffline(userId: string, at = new Date()): void {
    this.away.delete(userId);
    this.lastSeen.set(userId, at.toISOString());
  }
}
