import type { MembershipChange, MembershipSpan } from '../domain/types.js';

/**
 * Who belonged to which conversation at which position, for the conversations
 * the node has seen in its log. Spans are stamped with positions, so a check
 * for an old event is as right as one for a new one, and applying the same
 * change twice (once from a fresh load, once from the log) changes nothing.
 */
export class AudienceIndex {
  private readonly convs = new Map<string, Map<string, MembershipSpan[]>>();

  has(conversationId: string): boolean {
    return this.convs.has(conversationId);
  }

  load(conversationId: string, spans: MembershipSpan[]): void {
    const byUser = new Map<string, MembershipSpan[]>();
    for (const s of spans) {
      const list = byUser.get(s.userId) ?? [];
      list.push({ ...s });
      byUser.set(s.userId, list);
    }
    this.convs.set(conversationId, byUser);
  }

  apply(change: MembershipChange, seq: number): void {
    const byUser = this.convs.get(change.conversationId);
    if (!byUser) return; // not loaded: a later load reads the change from the store
    const spans = byUser.get(change.userId) ?? [];
    if (change.op === 'join') {
      if (!spans.some((s) => s.joinedSeq === seq)) spans.push({ userId: change.userId, joinedSeq: seq, leftSeq: null });
    } else {
      const open = spans.find((s) => s.joinedSeq <= seq && (s.leftSeq === null || s.leftSeq === seq));
      if (open) open.leftSeq = seq;
    }
    byUser.set(change.userId, spans);
  }

  /**
   * Drops every span of a deleted user, in every conversation: a closed span
   * would otherwise keep naming the id for old positions, and a later account
   * that held the same id would read the deleted user's history through it.
   */
  removeUser(userId: string): void {
    for (const byUser of this.convs.values()) byUser.delete(userId);
  }

  includes(conversationId: string, userId: string, seq: number): boolean {
    const spans = this.convs.get(conversationId)?.get(userId);
    if (!spans) return false;
    for (const s of spans) if (s.joinedSeq <= seq && (s.leftSeq === null || seq <= s.leftSeq)) return true;
    return false;
  }

  /** Everyone with any span in the conversation (callers check `includes` for a position). */
  users(conversationId: string): Map<string, MembershipSpan[]> | undefined {
    return this.convs.get(conversationId);
  }

  /** Current members (open spans) — for live signals such as typing. */
  currentMembers(conversationId: string): string[] {
    const byUser = this.convs.get(conversationId);
    if (!byUser) return [];
    const out: string[] = [];
    for (const [uid, spans] of byUser) if (spans.some((s) => s.leftSeq === null)) out.push(uid);
    return out;
  }

  get size(): number {
    return this.convs.size;
  }
}
