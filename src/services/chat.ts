import { AppError } from '../domain/errors.js';
import { isId } from '../domain/ids.js';
import { accountKey, normalizeConversationName, normalizeRoomName, roomKey } from '../domain/rules.js';
import type { Conversation, ConversationDetail, User } from '../domain/types.js';
import { MessageService } from './messages.js';

/**
 * The chat's rules: who may do what to which conversation (messages: see
 * MessageService). Every write goes to the store (which commits it with its
 * event) and then to the hub, which serves it to live readers. Nothing here
 * knows about HTTP or sockets.
 */
export class ChatService extends MessageService {
  // ── people ─────────────────────────────────────────────────────────────
  async userByName(username: string): Promise<User> {
    const u = await this.store.getUserByUsername(accountKey(username));
    if (!u) throw new AppError('USER_NOT_FOUND');
    const { passwordHash: _omit, ...user } = u;
    return user;
  }

  async requestFriend(me: User, username: string): Promise<void> {
    const other = await this.userByName(username);
    await this.commit(await this.store.requestFriendship(me.id, other.id, this.now()), undefined);
  }

  async answerFriendRequest(me: User, requestId: string, accept: boolean): Promise<void> {
    if (!isId(requestId)) throw new AppError('FRIEND_REQUEST_NOT_FOUND');
    await this.commit(await this.store.answerFriendRequest(requestId, me.id, accept, this.now()), undefined);
  }

  async removeFriend(me: User, friendId: string): Promise<void> {
    if (!isId(friendId)) throw new AppError('USER_NOT_FOUND');
    await this.commit(await this.store.removeFriendship(me.id, friendId), undefined);
  }

  async direct(me: User, username: string): Promise<Conversation> {
    const other = await this.userByName(username);
    if (other.id === me.id) throw new AppError('INVALID_OPERATION', 'A direct conversation needs another person.');
    if (!(await this.store.areFriends(me.id, other.id))) throw new AppError('FRIENDSHIP_REQUIRED');
    const { conversation, events } = await this.store.getOrCreateDirect(me.id, other.id, this.now());
    return this.commit(events, conversation);
  }

  // ── conversations ──────────────────────────────────────────────────────
  async createGroup(me: User, name: string, memberNames: string[]): Promise<ConversationDetail> {
    const members: string[] = [];
    for (const n of memberNames) {
      const u = await this.userByName(n);
      if (u.id === me.id) continue;
      if (!(await this.store.areFriends(me.id, u.id))) throw new AppError('FRIENDSHIP_REQUIRED', `${u.username} is not your friend.`);
      members.push(u.id);
    }
    const { conversation, events } = await this.store.createConversation({
      kind: 'group',
      name: normalizeConversationName(name),
      ownerId: me.id,
      memberIds: members,
      now: this.now(),
    });
    return this.commit(events, conversation);
  }

  async createRoom(owner: User | null, name: string): Promise<ConversationDetail> {
    const { conversation, events } = await this.store.createConversation({
      kind: 'room',
      name: normalizeRoomName(name),
      ownerId: owner?.id ?? null,
      memberIds: [],
      now: this.now(),
    });
    return this.commit(events, conversation);
  }

  async rename(me: User, conversationId: string, name: string): Promise<void> {
    const conv = await this.readable(me, conversationId);
    if (conv.kind === 'direct') throw new AppError('INVALID_OPERATION');
    if (conv.ownerId !== me.id) throw new AppError('NOT_OWNER');
    const clean = conv.kind === 'room' ? normalizeRoomName(name) : normalizeConversationName(name);
    await this.commit(await this.store.renameConversation(conversationId, clean, me.id), undefined);
  }

  async addMember(me: User, conversationId: string, username: string): Promise<void> {
    const conv = await this.readable(me, conversationId);
    if (conv.kind !== 'group') throw new AppError('INVALID_OPERATION', 'Members are added to groups only; rooms are joined.');
    if (!conv.members.some((m) => m.id === me.id)) throw new AppError('NOT_A_MEMBER');
    if (conv.ownerId !== me.id) throw new AppError('NOT_OWNER');
    const u = await this.userByName(username);
    if (!(await this.store.areFriends(me.id, u.id))) throw new AppError('FRIENDSHIP_REQUIRED');
    await this.commit(await this.store.addMember(conversationId, u.id, me.id), undefined);
  }

  /** Leaving (userId = me) or, for a group owner, removing someone. */
  async removeMember(me: User, conversationId: string, userId: string): Promise<void> {
    const conv = await this.readable(me, conversationId);
    if (conv.kind === 'direct') throw new AppError('INVALID_OPERATION', 'A direct conversation cannot be left.');
    if (!conv.members.some((m) => m.id === me.id)) throw new AppError('NOT_A_MEMBER');
    if (userId !== me.id) {
      if (conv.kind !== 'group' || conv.ownerId !== me.id) throw new AppError('NOT_OWNER');
      if (!conv.members.some((m) => m.id === userId)) throw new AppError('USER_NOT_FOUND', 'That user is not a member.');
    }
    await this.commit(await this.store.removeMember(conversationId, userId, me.id), undefined);
  }

  async join(me: User, conversationId: string): Promise<void> {
    const conv = await this.store.getConversation(conversationId);
    if (!conv) throw new AppError('CONVERSATION_NOT_FOUND');
    if (conv.kind !== 'room') throw new AppError('INVALID_OPERATION', 'Only public rooms can be joined.');
    await this.commit(await this.store.addMember(conversationId, me.id, me.id), undefined);
  }

  async roomByName(name: string): Promise<Conversation> {
    const room = await this.store.getRoomByName(roomKey(name));
    if (!room) throw new AppError('CONVERSATION_NOT_FOUND');
    return room;
  }

  /**
   * Deletes an account: leaves every group and room first (handing groups to
   * their longest-standing member, so others see the departure in their
   * streams), then removes the user's data and every session. The store
   * writes `user.deleted` with the deletion; this node acts on it at once
   * (forgets the user, closes their connections with ACCOUNT_DELETED), the
   * others as they ingest it.
   */
  async deleteAccount(me: User): Promise<void> {
    for (const id of await this.store.conversationIdsOf(me.id, ['group', 'room'])) {
      await this.commit(await this.store.removeMember(id, me.id, me.id), undefined);
    }
    await this.commit(await this.store.deleteUser(me.id), undefined);
  }

  // ── moderators ─────────────────────────────────────────────────────────
  /** A room's owner names (`on`) or unnames a moderator (decideModerator, in the store's transaction). */
  async setModerator(me: User, conversationId: string, userId: string, on: boolean): Promise<void> {
    if (!isId(userId)) throw new AppError('USER_NOT_FOUND');
    await this.commit(await this.store.setModerator(conversationId, userId, on, me.id), undefined);
  }
}
