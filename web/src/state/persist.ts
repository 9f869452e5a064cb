import type { Attachment, ReplyPreview } from '../types';

/**
 * What a signed-in user typed but the server has not stored yet — drafts and
 * unsent messages — kept in the browser's localStorage so a reload loses
 * nothing. One key per account; starting a session as one account removes
 * every other account's key (a shared browser never shows one person's text
 * to another), and logging out removes them all.
 *
 * Best effort by design: storage may be full, disabled or hold garbage; then
 * the app works as before from memory. Bounded (LIMITS), so one browser never
 * holds more than about a megabyte of it.
 */

/** The part of the Web Storage API this module uses (tests pass a Map-backed one). */
export interface KeyValueStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** A message handed to the send queue and not stored yet (or refused: kept so it can be edited). */
export interface UnsentMessage {
  conversationId: string;
  /** The id the server deduplicates by: a resend after a reload reuses it, so the message is stored once. */
  clientMsgId: string;
  body: string;
  replyTo: ReplyPreview | null;
  attachments: Attachment[];
  createdAt: string;
  /** Set when the server refused it for good: it is shown with "edit", never resent. */
  refused?: { code: string; message: string };
}

/** One conversation's draft. */
export interface Draft {
  conversationId: string;
  text: string;
}

export interface Kept {
  /**
   * Least recently typed first. A list, not an object: conversation ids are
   * digit strings, and an object orders such keys by number, not by age.
   */
  drafts: Draft[];
  outbox: UnsentMessage[];
}

export const KEY_PREFIX = 'hubbub:kept:v1:';

/**
 * Drafts past `drafts` push out the least recently typed; a draft longer than
 * `draftChars` is not written (the previous one stays) rather than cut; a
 * message past `outbox` is still sent, only not kept across a reload.
 * Worst case ≈ 30 × 16,000 + 100 × 4,000 characters.
 */
export const LIMITS = { drafts: 30, draftChars: 16_000, outbox: 100 } as const;

const empty = (): Kept => ({ drafts: [], outbox: [] });

function isUnsent(x: unknown): x is UnsentMessage {
  const u = x as UnsentMessage;
  return (
    !!u &&
    typeof u.conversationId === 'string' &&
    typeof u.clientMsgId === 'string' &&
    typeof u.body === 'string' &&
    typeof u.createdAt === 'string' &&
    Array.isArray(u.attachments)
  );
}

/** Parses what was stored; anything malformed is dropped, never thrown. */
export function parseKept(raw: string | null): Kept {
  if (!raw) return empty();
  try {
    const v = JSON.parse(raw) as Partial<Kept>;
    const drafts = (Array.isArray(v?.drafts) ? v.drafts : []).filter(
      (d: Draft) => !!d && typeof d.conversationId === 'string' && typeof d.text === 'string' && !!d.text,
    );
    const outbox = Array.isArray(v?.outbox) ? v.outbox.filter(isUnsent).map((u) => ({ ...u, replyTo: u.replyTo ?? null })) : [];
    return { drafts, outbox };
  } catch {
    return empty();
  }
}

/** The next drafts after typing `text` in `conversationId` (pure; an empty text removes the draft). */
export function withDraft(drafts: Draft[], conversationId: string, text: string): Draft[] {
  if (text.length > LIMITS.draftChars) return drafts;
  const others = drafts.filter((d) => d.conversationId !== conversationId);
  if (!text.trim()) return others.length === drafts.length ? drafts : others;
  return [...others, { conversationId, text }].slice(-LIMITS.drafts);
}

/** The next outbox with `m` added (or replaced, by clientMsgId); unchanged when full. */
export function withUnsent(outbox: UnsentMessage[], m: UnsentMessage): UnsentMessage[] {
  const i = outbox.findIndex((u) => u.clientMsgId === m.clientMsgId);
  if (i >= 0) return outbox.map((u, j) => (j === i ? m : u));
  return outbox.length >= LIMITS.outbox ? outbox : [...outbox, m];
}

/** One account's kept text, written through to storage on every change. */
export class Keeper {
  private kept: Kept;

  constructor(
    private readonly storage: KeyValueStorage | null,
    readonly userId: string,
  ) {
    this.kept = parseKept(safe(() => storage?.getItem(KEY_PREFIX + userId) ?? null, null));
  }

  draft(conversationId: string): string {
    return this.kept.drafts.find((d) => d.conversationId === conversationId)?.text ?? '';
  }

  drafts(): Draft[] {
    return this.kept.drafts.slice();
  }

  setDraft(conversationId: string, text: string): void {
    const drafts = withDraft(this.kept.drafts, conversationId, text);
    if (drafts !== this.kept.drafts) this.write({ ...this.kept, drafts });
  }

  outbox(): UnsentMessage[] {
    return this.kept.outbox.slice();
  }

  keep(m: UnsentMessage): void {
    this.write({ ...this.kept, outbox: withUnsent(this.kept.outbox, m) });
  }

  /** Marks a kept message refused (it stays, to be edited or discarded, and is not resent). */
  refuse(clientMsgId: string, refused: { code: string; message: string }): void {
    const m = this.kept.outbox.find((u) => u.clientMsgId === clientMsgId);
    if (m) this.keep({ ...m, refused });
  }

  /** The server stored it, or the user discarded it. */
  forget(clientMsgId: string): void {
    if (!this.kept.outbox.some((u) => u.clientMsgId === clientMsgId)) return;
    this.write({ ...this.kept, outbox: this.kept.outbox.filter((u) => u.clientMsgId !== clientMsgId) });
  }

  private write(next: Kept): void {
    this.kept = next;
    const key = KEY_PREFIX + this.userId;
    safe(() => {
      if (!next.outbox.length && !next.drafts.length) this.storage?.removeItem(key);
      else this.storage?.setItem(key, JSON.stringify(next));
    }, undefined);
  }
}

/** Every account's kept text except `keepUserId`'s (all of it when null) is removed. */
export function forgetOthers(storage: KeyValueStorage | null, keepUserId: string | null): void {
  safe(() => {
    if (!storage) return;
    const doomed: string[] = [];
    for (let i = 0; i < storage.length; i++) {
      const k = storage.key(i);
      if (k?.startsWith(KEY_PREFIX) && k !== KEY_PREFIX + keepUserId) doomed.push(k);
    }
    for (const k of doomed) storage.removeItem(k);
  }, undefined);
}

/** The browser's localStorage, or null where there is none or it is blocked (then nothing is kept). */
export function browserStorage(): KeyValueStorage | null {
  return safe(() => (typeof localStorage === 'undefined' ? null : localStorage), null);
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    // Quota exceeded, storage disabled, a private window: keep working from memory.
    return fallback;
  }
}
