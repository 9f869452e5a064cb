import { HubbubClient } from '@hubbub/client';
import type {
  Attachment,
  ConversationDetail,
  ConversationSummary,
  Conversation,
  Friend,
  FriendRequest,
  HistoryPage,
  Message,
  RoomInfo,
  SearchPage,
  SearchParams,
  User,
} from './types';

/**
 * The one connection to the server: the SDK (client/). Everything — REST
 * calls and the live stream — goes through it; this file only names the calls
 * the app uses, so the views read as the app's own vocabulary.
 */
export const client = new HubbubClient({ baseUrl: location.origin });
const api = client.api;

export const sdk = {
  me: (): Promise<User> => api.me(),
  login: (username: string, password: string): Promise<{ user: User }> => api.login(username, password),
  register: (username: string, password: string, displayName?: string): Promise<{ user: User }> =>
    api.register(username, password, displayName),
  logout: (): Promise<void> => api.logout(),

  searchUsers: (prefix: string): Promise<User[]> => api.searchUsers(prefix),
  friends: async (): Promise<Friend[]> => (await api.friends()) as Friend[],
  friendRequests: (): Promise<{ incoming: FriendRequest[]; outgoing: FriendRequest[] }> => api.friendRequests(),
  requestFriend: (username: string): Promise<void> => api.requestFriend(username),
  acceptFriend: (requestId: string): Promise<void> => api.acceptFriend(requestId),
  declineFriend: (requestId: string): Promise<void> => api.declineFriend(requestId),
  removeFriend: (userId: string): Promise<void> => api.removeFriend(userId),
  direct: (username: string): Promise<Conversation> => api.direct(username),

  conversations: (): Promise<ConversationSummary[]> => api.conversations(),
  conversation: (id: string): Promise<ConversationDetail> => api.conversation(id),
  createGroup: (name: string, members: string[]): Promise<ConversationDetail> => api.createGroup(name, members),
  createRoom: (name: string): Promise<ConversationDetail> => api.createRoom(name),
  addMember: (id: string, username: string): Promise<void> => api.addMember(id, username),
  removeMember: (id: string, userId: string): Promise<void> => api.removeMember(id, userId),
  join: (id: string): Promise<void> => api.join(id),
  leave: (id: string): Promise<void> => api.leave(id),
  history: (id: string, page: { before?: string; around?: string; limit?: number }): Promise<HistoryPage> => api.history(id, page),
  rooms: async (): Promise<RoomInfo[]> => (await api.rooms()) as RoomInfo[],
  roomMessages: (name: string, limit = 50): Promise<{ room: Conversation; messages: Message[] }> => api.roomMessages(name, { limit }),

  send: (conversationId: string, body: string, clientMsgId: string, replyTo: string | null, attachments: string[]): Promise<Message> =>
    client.send(conversationId, body, { clientMsgId, replyTo, attachments }),
  upload: (
    conversationId: string,
    file: File,
    opts: { onProgress: (sent: number, total: number) => void; signal: AbortSignal },
  ): Promise<Attachment> => client.upload(conversationId, file, opts),
  search: (params: SearchParams, signal: AbortSignal): Promise<SearchPage> => client.search(params, { signal }),
  edit: (messageId: string, body: string): Promise<Message> => client.edit(messageId, body),
  deleteMessage: (messageId: string): Promise<Message> => client.deleteMessage(messageId),
  react: (messageId: string, emoji: string, on: boolean): Promise<Message> => client.react(messageId, emoji, on),
  /** My settings: the `hideReadReceipts` choice (GET /api/v1/me carries it beside the user). */
  settings: async (): Promise<{ hideReadReceipts: boolean }> => {
    const r = await api.request<{ user: User & { hideReadReceipts?: boolean }; settings?: { hideReadReceipts?: boolean } }>(
      'GET',
      '/api/v1/me',
    );
    return { hideReadReceipts: !!(r.settings?.hideReadReceipts ?? r.user.hideReadReceipts) };
  },
  setHideReadReceipts: (on: boolean): Promise<User> => api.updateMe({ hideReadReceipts: on }),
  typing: (conversationId: string): void => void client.typing(conversationId),
  markRead: (conversationId: string, upTo: string): Promise<unknown> => client.markRead(conversationId, upTo),
};

/** The catalog code and message of a failed call, whatever shape the error has. */
export function errorInfo(err: unknown): { code: string; message: string; status?: number } {
  const e = err as { code?: string; message?: string; status?: number; error?: { code?: string; message?: string } };
  const code = e?.code ?? e?.error?.code ?? 'ERROR';
  const message = e?.error?.message ?? e?.message ?? 'Something went wrong.';
  return { code, message, status: e?.status };
}
