import type { EventPayload, EventType } from '../domain/types.js';

/**
 * What an internal log event asks of a node. Internal events are in nobody's
 * stream; they reach every node in log order (a doorbell or the head poll
 * within a second, with or without the bus, from a CLI process as well), so
 * acting on them at ingest gives every node the same answer at the same
 * position.
 */
export interface Control {
  userId: string;
  /** The credential (token hash) whose connections end; null ends every connection of the user. */
  credential: string | null;
  /** How those connections are closed: both are "do not reconnect" codes (WebSocket 4504 / 4505). */
  code: 'SESSION_REVOKED' | 'ACCOUNT_DELETED';
  /**
   * The account is gone: the node forgets it — its spans in the audience
   * index, its id in the log's targets, its messages — so nothing of it can
   * reach anyone who later holds the same id.
   */
  forget: boolean;
}

type Internal<T extends EventType> = Extract<EventPayload, { type: T }>;

/** The control an event carries, or null for the events that only travel to their audience. */
export function controlOf(e: { type: EventType; payload: string }): Control | null {
  switch (e.type) {
    case 'user.deleted': {
      const p = JSON.parse(e.payload) as Internal<'user.deleted'>;
      return { userId: String(p.userId), credential: null, code: 'ACCOUNT_DELETED', forget: true };
    }
    case 'auth.revoked': {
      const p = JSON.parse(e.payload) as Internal<'auth.revoked'>;
      return { userId: String(p.userId), credential: p.tokenHash ?? null, code: 'SESSION_REVOKED', forget: false };
    }
    case 'message.created':
    case 'message.updated':
    case 'message.deleted':
    case 'reaction.added':
    case 'reaction.removed':
    case 'member.updated':
    case 'conversation.created':
    case 'conversation.updated':
    case 'member.joined':
    case 'member.left':
    case 'friend.requested':
    case 'friend.accepted':
    case 'friend.declined':
    case 'friend.removed':
    case 'read.updated':
      return null;
    default: {
      const unreachable: never = e.type;
      return unreachable;
    }
  }
}

/**
 * Whether a connection of `userId` made with `credential` ends under `c`. A
 * connection that names no credential (undefined) ends only when all of the
 * user's do.
 */
export function ends(c: Control, userId: string, credential: string | null | undefined): boolean {
  return userId === c.userId && (c.credential === null || c.credential === credential);
}

/**
 * The message a `message.deleted` event asks every node to redact from its
 * log (its body, and the quotes of it in replies), or null for any other event.
 */
export function redactionOf(e: { type: EventType; payload: string }): { conversationId: string; messageId: string } | null {
  if (e.type !== 'message.deleted') return null;
  const p = JSON.parse(e.payload) as Internal<'message.deleted'>;
  return { conversationId: p.conversationId, messageId: p.messageId };
}
