import { errorInfo, sdk } from '../sdk';
import type { Attachment, ChatMessage, ReplyPreview } from '../types';
import { acceptMessage } from './apply-event';
import { commit, snapshot, state } from './app-state';
import { runEffects } from './effects';
import { kept, messageOf, restoreDraft, unsentOf } from './kept';
import { classifyFailure, setFailure } from './send-failure';

/**
 * Our own messages on their way: shown at once as pending, replaced by the
 * stored copy when the server answers (matched by clientMsgId, so the
 * stream's copy never doubles it), marked failed — with Retry — when it does
 * not, and sent again after an outage. A retry reuses the clientMsgId, so the
 * server stores the message once however many attempts reached it.
 *
 * Every message is also kept in the browser (kept.ts) from the moment it is
 * handed over until the server stores it or the user discards it, so a
 * reload resends it with the same clientMsgId (`resendKept`). A refusal that
 * cannot succeed is marked `refused` with its code: no Retry, "edit" instead.
 */

/** Past this the message shows as failed (with Retry); the SDK may still deliver it. */
const SEND_PATIENCE_MS = 15_000;

/** Error codes that mean "no connection", not "refused": such a send goes again when back online. */
const CONNECTIVITY = new Set(['CLOSED', 'DISCONNECTED', 'NETWORK', 'TIMEOUT', 'ABORTED']);

/** Sends that have not been answered yet, by clientMsgId (one loop each; the SDK retries inside). */
const inflight = new Set<string>();

function newClientMsgId(): string {
  return typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function pending(conversationId: string, clientMsgId: string): ChatMessage | undefined {
  return state.conversations[conversationId]?.messages.find((x) => x.clientMsgId === clientMsgId && x.state);
}

/**
 * Sends `text` with the uploaded `attachments` (as a reply to `replyTo` when
 * given); false when there is nothing to send. The files show at once (their
 * uploader may fetch them before they are sent).
 */
export function sendMessage(
  conversationId: string,
  text: string,
  replyTo: ReplyPreview | null = null,
  attachments: Attachment[] = [],
): boolean {
  const body = text.trim();
  const c = state.conversations[conversationId];
  if ((!body && !attachments.length) || !c || !state.me) return false;
  const clientMsgId = newClientMsgId();
  const local: ChatMessage = {
    id: `local:${clientMsgId}`,
    conversationId,
    senderId: state.me.id,
    senderName: state.me.displayName || state.me.username,
    body,
    createdAt: new Date().toISOString(),
    clientMsgId,
    editedAt: null,
    deleted: false,
    replyTo,
    reactions: [],
    mentions: [],
    mentionsAll: false,
    attachments,
    linkPreview: null,
    state: 'pending',
  };
  c.messages.push(local);
  kept()?.keep(unsentOf(local));
  void deliver(conversationId, clientMsgId);
  return true;
}

export function retryMessage(conversationId: string, clientMsgId: string): void {
  const m = pending(conversationId, clientMsgId);
  if (!m) return;
  m.state = 'pending';
  m.error = undefined;
  m.retryable = undefined;
  setFailure(m, undefined);
  void deliver(conversationId, clientMsgId);
}

export function discardMessage(conversationId: string, clientMsgId: string): void {
  const c = state.conversations[conversationId];
  if (c) c.messages = c.messages.filter((x) => !(x.state && x.clientMsgId === clientMsgId));
  kept()?.forget(clientMsgId);
}

/**
 * "Edit" on a refused message: it leaves the list (and the browser's keeping)
 * and its text goes back into the composer, to be changed and sent anew.
 */
export function editRefused(conversationId: string, clientMsgId: string): void {
  const m = pending(conversationId, clientMsgId);
  if (!m) return;
  discardMessage(conversationId, clientMsgId);
  restoreDraft(conversationId, m.body);
}

/**
 * After a reload: the messages kept in the browser come back on screen and
 * go again with their original clientMsgId (the server answers `duplicate`
 * for one it already stored, so each is stored once). Refused ones come back
 * failed, to be edited or discarded. Those of a conversation no longer in the
 * list (left, removed) cannot be sent and are let go.
 */
export function resendKept(): void {
  const k = kept();
  if (!k || !state.me) return;
  for (const u of k.outbox()) {
    const c = state.conversations[u.conversationId];
    if (!c) {
      k.forget(u.clientMsgId);
      continue;
    }
    if (c.messages.some((x) => x.clientMsgId === u.clientMsgId)) continue;
    const m = messageOf(u, state.me);
    if (u.refused) setFailure(m, { kind: 'refused', code: u.refused.code });
    c.messages.push(m);
    if (!u.refused) void deliver(u.conversationId, u.clientMsgId);
  }
}

async function deliver(conversationId: string, clientMsgId: string): Promise<void> {
  const m = pending(conversationId, clientMsgId);
  if (!m || inflight.has(clientMsgId)) return;
  inflight.add(clientMsgId);
  const slow = setTimeout(() => {
    const cur = pending(conversationId, clientMsgId);
    if (cur && cur.state === 'pending') {
      cur.state = 'failed';
      cur.error = state.status === 'online' ? 'No answer yet' : 'You are offline';
      cur.retryable = true;
      setFailure(cur, { kind: 'retryable', code: 'TIMEOUT' });
    }
  }, SEND_PATIENCE_MS);
  try {
    const ids = m.attachments.map((a) => a.id);
    const stored = await sdk.send(conversationId, m.body, clientMsgId, m.replyTo?.id ?? null, ids);
    kept()?.forget(clientMsgId);
    const r = acceptMessage(snapshot(), stored, false);
    commit(r.state);
    runEffects(r.effects);
  } catch (err) {
    const info = errorInfo(err);
    const failure = classifyFailure(info.code, info.status);
    if (failure.kind === 'refused') kept()?.refuse(clientMsgId, { code: info.code, message: info.message });
    const cur = pending(conversationId, clientMsgId);
    if (cur) {
      cur.state = 'failed';
      cur.retryable = failure.kind === 'retryable';
      cur.error = CONNECTIVITY.has(info.code) ? 'You are offline' : info.message;
      setFailure(cur, failure);
    }
  } finally {
    clearTimeout(slow);
    inflight.delete(clientMsgId);
  }
}

/** Back online: messages that failed for want of a connection go again (same clientMsgId: stored once). */
export function resendAfterOutage(): void {
  for (const c of Object.values(state.conversations)) {
    for (const m of c.messages) {
      if (m.state === 'failed' && m.retryable && m.clientMsgId) retryMessage(c.summary.id, m.clientMsgId);
    }
  }
}
