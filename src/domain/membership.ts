import type { EventPayload, MembershipChange, StoredEvent } from './types.js';

/**
 * The membership changes an event carries. The in-memory audience index
 * follows the log through this function alone, so it needs no other feed.
 */
export function membershipChanges(event: Pick<StoredEvent, 'type' | 'payload'>): MembershipChange[] {
  switch (event.type) {
    case 'conversation.created': {
      const p = JSON.parse(event.payload) as Extract<EventPayload, { type: 'conversation.created' }>;
      return p.conversation.members.map((m) => ({ conversationId: p.conversation.id, userId: m.id, op: 'join' as const }));
    }
    case 'member.joined': {
      const p = JSON.parse(event.payload) as Extract<EventPayload, { type: 'member.joined' }>;
      return [{ conversationId: p.conversationId, userId: p.member.id, op: 'join' }];
    }
    case 'member.left': {
      const p = JSON.parse(event.payload) as Extract<EventPayload, { type: 'member.left' }>;
      return [{ conversationId: p.conversationId, userId: p.userId, op: 'leave' }];
    }
    case 'message.created':
    case 'message.updated':
    case 'message.deleted':
    case 'reaction.added':
    case 'reaction.removed':
    case 'member.updated': // a role changes, the span does not
    case 'conversation.updated':
    case 'friend.requested':
    case 'friend.accepted':
    case 'friend.declined':
    case 'friend.removed':
    case 'read.updated':
    case 'auth.revoked':
      return [];
    case 'user.deleted':
      // The user's spans are dropped whole by the hub (AudienceIndex.removeUser), not closed at a position.
      return [];
    default: {
      const unreachable: never = event.type;
      return unreachable;
    }
  }
}
