import { HubbubClient } from '@hubbub/client';
import type { ConversationDetail, ConversationSummary, Conversation, Friend, FriendRequest, Message, RoomInfo, User } from './types';

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
  messages: (id: string, before?: string, limit = 50): Promise<Message[]> => api.messages(id, before ? { before, limit } : { limit }),
  rooms: async (): Promise<RoomInfo[]> => (await api.rooms()) as RoomInfo[],
  roomMessages: (name: string, limit = 50): Promise<{ room: Conversation; messages: Message[] }> => api.roomMessages(name, { limit }),

  send: (conversationId: string, body: string, clientMsgId: string): Promise<Message> => client.send(conversationId, body, { clientMsgId }),
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
