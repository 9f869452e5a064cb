import { ref } from 'vue';
import type { ChatMessage, User } from '../types';
import { browserStorage, forgetOthers, Keeper, type UnsentMessage } from './persist';

/**
 * The signed-in account's kept drafts and unsent messages (persist.ts), for
 * the rest of the state: the send queue keeps and forgets messages here, the
 * session opens it at start and wipes it at logout, the composer reads and
 * writes drafts through it.
 */

let keeper: Keeper | null = null;

/** The account's keeper while a session runs; null before login (nothing is kept for nobody). */
export function kept(): Keeper | null {
  return keeper;
}

/**
 * Opens the kept text of `userId`, after removing every other account's from
 * this browser: whoever signs in here never sees another person's drafts.
 */
export function keepFor(userId: string): Keeper {
  const storage = browserStorage();
  forgetOthers(storage, userId);
  if (keeper?.userId !== userId) keeper = new Keeper(storage, userId);
  installDraftBridge(keeper);
  return keeper;
}

/** Logout: nothing typed in this browser outlives the session. */
export function forgetAllKept(): void {
  keeper = null;
  forgetOthers(browserStorage(), null);
  const g = globalThis as DraftGlobal;
  if (g.__hubbubDrafts) g.__hubbubDrafts = new Map();
}

export function draftOf(conversationId: string): string {
  return keeper?.draft(conversationId) ?? '';
}

export function setDraft(conversationId: string, text: string): void {
  keeper?.setDraft(conversationId, text);
}

/**
 * Text the state hands back to the composer (a refused message to edit):
 * the composer of `conversationId` replaces its text with `text` when `seq`
 * changes.
 */
export const draftRestore = ref<{ conversationId: string; text: string; seq: number } | null>(null);

export function restoreDraft(conversationId: string, text: string): void {
  setDraft(conversationId, text);
  draftRestore.value = { conversationId, text, seq: (draftRestore.value?.seq ?? 0) + 1 };
}

/** What is kept of a message just handed to the send queue. */
export function unsentOf(m: ChatMessage): UnsentMessage {
  return {
    conversationId: m.conversationId,
    clientMsgId: m.clientMsgId ?? '',
    body: m.body,
    replyTo: m.replyTo ?? null,
    attachments: m.attachments ?? [],
    createdAt: m.createdAt,
  };
}

/** A kept message back on screen after a reload: pending (it goes again), or failed when it was refused. */
export function messageOf(u: UnsentMessage, me: User): ChatMessage {
  return {
    id: `local:${u.clientMsgId}`,
    conversationId: u.conversationId,
    senderId: me.id,
    senderName: me.displayName || me.username,
    body: u.body,
    createdAt: u.createdAt,
    clientMsgId: u.clientMsgId,
    editedAt: null,
    deleted: false,
    replyTo: u.replyTo,
    reactions: [],
    mentions: [],
    mentionsAll: false,
    attachments: u.attachments,
    linkPreview: null,
    ...(u.refused ? { state: 'failed' as const, error: u.refused.message, retryable: false } : { state: 'pending' as const }),
  };
}

type DraftGlobal = { __hubbubDrafts?: Map<string, string> };

/**
 * Composer.vue keeps its drafts in `globalThis.__hubbubDrafts` (a Map it
 * creates when missing). Until it reads and writes through draftOf /
 * setDraft, this Map writes through to the account's keeper, so drafts
 * survive a reload without touching the component.
 */
class KeptDrafts extends Map<string, string> {
  constructor(readonly keeper: Keeper) {
    super();
    for (const d of keeper.drafts()) super.set(d.conversationId, d.text);
  }

  override set(key: string, value: string): this {
    super.set(key, value);
    this.keeper.setDraft(key, value);
    return this;
  }

  override delete(key: string): boolean {
    this.keeper.setDraft(key, '');
    return super.delete(key);
  }
}

function installDraftBridge(k: Keeper): void {
  const g = globalThis as DraftGlobal;
  const current = g.__hubbubDrafts;
  if (current instanceof KeptDrafts && current.keeper === k) return;
  g.__hubbubDrafts = new KeptDrafts(k);
}
