/** Wire shapes, as the SDK exports them. */
export type {
  Attachment,
  LinkPreview,
  SearchParams,
  SearchPage,
  SearchResult,
  User,
  Member,
  Conversation,
  ConversationDetail,
  ConversationSummary,
  EventPayload,
  HistoryEvent,
  Message,
  Reaction,
  ReplyPreview,
  FriendRequest,
  Presence,
  StreamEvent,
  Signal,
  Friend,
} from '@hubbub/client';

import type { Message } from '@hubbub/client';
export type { HistoryPage } from '@hubbub/client';

export interface RoomInfo {
  id: string;
  kind: 'room';
  name: string | null;
  memberCount: number;
  lastMessageAt: string | null;
}

/** A message as the app holds it: stored, or still on its way. */
export type ChatMessage = Message & {
  /** Set while the message is not stored yet. */
  state?: 'pending' | 'failed';
  error?: string;
  /** Failed for want of a connection: sent again automatically when back online. */
  retryable?: boolean;
};
