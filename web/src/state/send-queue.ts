import { errorInfo, sdk } from '../sdk';
import type { Attachment, ChatMessage, ReplyPreview } from '../types';
import { acceptMessage } from './apply-event';
import { commit, snapshot, state } from './app-state';
import { runEffects } from './effects';

/**
 * Our own messages on their way: shown at once as pending, replaced by the
 * stored copy when the server answers (matched by clientMsgId, so the
 * stream's copy never doubles it), marked failed — with Retry — when it does
 * not, and sent again after an outage. A retry reuses the clientMsgId, so the
 * server stores the message once however many attempts reached it.
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
  c.messages.push({
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
  });
  void deliver(conversationId, clientMsgId);
  return true;
}

export function retryMessage(conversationId: string, clientMsgId: string): void {
  const m = pending(conversationId, clientMsgId);
  if (!m) return;
  m.state = 'pending';
  m.error = undefined;
  m.retryable = undefined;
  void deliver(conversationId, clientMsgId);
}

export function discardMessage(conversationId: string, clientMsgId: string): void {
  const c = state.conversations[conversationId];
  if (c) c.messages = c.messages.filter((x) => !(x.state && x.clientMsgId === clientMsgId));
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
    }
  }, SEND_PATIENCE_MS);
  try {
    const ids = m.attachments.map((a) => a.id);
    const stored = await sdk.send(conversationId, m.body, clientMsgId, m.replyTo?.id ?? null, ids);
    const r = acceptMessage(snapshot(), stored, false);
    commit(r.state);
    runEffects(r.effects);
  } catch (err) {
    const cur = pending(conversationId, clientMsgId);
    if (cur) {
      const info = errorInfo(err);
      cur.state = 'failed';
      cur.retryable = CONNECTIVITY.has(info.code) || (err as { retryable?: boolean }).retryable === true;
      cur.error = cur.retryable ? 'You are offline' : info.message;
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
