import { ends, type Control } from './control.js';
import type { PresenceListener, Subscriber } from './ports.js';

/**
 * Who is connected to this node: live subscribers by user, and every open
 * session (attached or still catching up) with the credential it was opened
 * with. Tells presence listeners when a user's first subscriber arrives and
 * when the last one leaves.
 */
export class SubscriberRegistry {
  private readonly byUser = new Map<string, Set<Subscriber>>();
  private count = 0;
  /** Open sessions and their credentials (for shutdown and revocation), attached or not. */
  private readonly sessions = new Map<Subscriber, string | null>();
  private readonly presence = new Set<PresenceListener>();

  /** Registers `sub`; true when it is its user's first on this node. */
  add(sub: Subscriber): boolean {
    let set = this.byUser.get(sub.userId);
    const arrived = !set;
    if (!set) this.byUser.set(sub.userId, (set = new Set()));
    if (!set.has(sub)) {
      set.add(sub);
      this.count++;
    }
    return arrived;
  }

  /** Announces a user's arrival (after their first subscriber got its catch-up). */
  arrived(userId: string): void {
    for (const l of this.presence) l(userId, true);
  }

  remove(sub: Subscriber): void {
    const set = this.byUser.get(sub.userId);
    if (!set?.delete(sub)) return;
    this.count--;
    if (set.size === 0) {
      this.byUser.delete(sub.userId);
      for (const l of this.presence) l(sub.userId, false);
    }
  }

  openSession(s: Subscriber, credential: string | null): void {
    this.sessions.set(s, credential);
  }

  closeSession(s: Subscriber): void {
    this.sessions.delete(s);
    this.remove(s);
  }

  of(userId: string): ReadonlySet<Subscriber> | undefined {
    return this.byUser.get(userId);
  }

  users(): IterableIterator<[string, ReadonlySet<Subscriber>]> {
    return this.byUser.entries();
  }

  /** Users with a live subscriber here. */
  get usersOnline(): number {
    return this.byUser.size;
  }

  get subscribers(): number {
    return this.count;
  }

  get openSessions(): number {
    return this.sessions.size;
  }

  onPresence(listener: PresenceListener): () => void {
    this.presence.add(listener);
    return () => this.presence.delete(listener);
  }

  /**
   * The connections a control event ends: sessions by the credential they
   * were opened with, other subscribers (long polls) by their own.
   */
  endedBy(c: Control): Subscriber[] {
    const ending: Subscriber[] = [];
    for (const [s, credential] of this.sessions) if (ends(c, s.userId, credential)) ending.push(s);
    for (const sub of this.byUser.get(c.userId) ?? []) {
      if (!this.sessions.has(sub) && ends(c, sub.userId, sub.credential)) ending.push(sub);
    }
    return ending;
  }

  /** Every open session, then every other subscriber (shutdown). */
  all(): Subscriber[] {
    const out: Subscriber[] = [...this.sessions.keys()];
    for (const set of this.byUser.values()) for (const sub of set) if (!this.sessions.has(sub)) out.push(sub);
    return out;
  }

  byKind(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const set of this.byUser.values()) for (const s of set) out[s.kind] = (out[s.kind] ?? 0) + 1;
    return out;
  }
}
