import { describe, expect, it } from 'vitest';
import { checkEmoji } from '../../src/domain/emoji.js';
import { mentionTokens, resolveMentions } from '../../src/domain/mentions.js';
import {
  decideAttachments,
  decideDelete,
  decideEdit,
  decideModerator,
  decideReact,
  forViewer,
  mayMentionAll,
  previewOf,
  redactPayload,
  type Standing,
} from '../../src/domain/messages.js';
import { publishesReadPositions, readReceiptAudience, sharedReadPosition } from '../../src/domain/read-pointer.js';
import type { Message } from '../../src/domain/types.js';

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code;
  }
};
const msg = { senderId: 's', deleted: false, createdAt: '2024-01-01T00:00:00.000Z' };
const edit = (over: Partial<Parameters<typeof decideEdit>[0]> = {}) =>
  decideEdit({
    message: msg,
    editorId: 's',
    isMember: true,
    sameBody: false,
    now: new Date('2024-01-01T00:01:00.000Z'),
    windowSeconds: 0,
    ...over,
  });

describe('decideEdit', () => {
  it('lets the sender edit, answers a repeat unchanged, refuses everyone and everything else with its code', () => {
    expect(edit()).toBe('apply');
    expect(edit({ sameBody: true })).toBe('unchanged');
    expect(code(() => edit({ message: null }))).toBe('MESSAGE_NOT_FOUND');
    expect(code(() => edit({ isMember: false }))).toBe('NOT_A_MEMBER');
    expect(code(() => edit({ editorId: 'x' }))).toBe('NOT_YOUR_MESSAGE');
    expect(code(() => edit({ message: { ...msg, deleted: true } }))).toBe('MESSAGE_DELETED');
  });
  it('keeps the window: 0 is unlimited, past it refused, a retry of the same body still answered', () => {
    expect(edit({ windowSeconds: 60 })).toBe('apply');
    expect(code(() => edit({ windowSeconds: 59 }))).toBe('EDIT_WINDOW_PASSED');
    expect(edit({ windowSeconds: 59, sameBody: true })).toBe('unchanged');
  });
});

describe('decideDelete and mayMentionAll', () => {
  const st = (
    kind: Standing['conversation']['kind'],
    memberRole: Standing['memberRole'],
    ownerId: string | null = 'o',
    serverRole: Standing['serverRole'] = 'member',
  ): Standing => ({
    serverRole,
    memberRole,
    conversation: { kind, ownerId },
  });
  it('own messages, the group owner, room owners and moderators, admins anywhere', () => {
    expect(decideDelete(msg, 's', st('direct', 'member'))).toBe('apply');
    expect(code(() => decideDelete(msg, 'x', st('direct', 'member')))).toBe('NOT_YOUR_MESSAGE');
    expect(decideDelete(msg, 'o', st('group', 'owner'))).toBe('apply');
    expect(code(() => decideDelete(msg, 'x', st('group', 'member')))).toBe('NOT_YOUR_MESSAGE');
    expect(decideDelete(msg, 'm', st('room', 'moderator'))).toBe('apply');
    expect(decideDelete(msg, 'o', st('room', 'owner'))).toBe('apply');
    expect(code(() => decideDelete(msg, 'x', st('room', 'member')))).toBe('NOT_YOUR_MESSAGE');
    expect(code(() => decideDelete(msg, 's', st('group', null)))).toBe('NOT_A_MEMBER');
    expect(decideDelete(msg, 'x', st('direct', null, null, 'admin'))).toBe('apply');
    expect(decideDelete({ ...msg, deleted: true }, 's', st('group', 'member'))).toBe('unchanged');
    expect(code(() => decideDelete(null, 's', st('group', 'member')))).toBe('MESSAGE_NOT_FOUND');
  });
  it('@room only from owners, moderators and admins, never in a direct conversation', () => {
    expect(mayMentionAll('o', st('group', 'owner'))).toBe(true);
    expect(mayMentionAll('x', st('group', 'member'))).toBe(false);
    expect(mayMentionAll('m', st('room', 'moderator'))).toBe(true);
    expect(mayMentionAll('x', st('room', 'member', 'o', 'admin'))).toBe(true);
    expect(mayMentionAll('x', st('direct', 'member', null, 'admin'))).toBe(false);
  });
});

describe('decideReact and decideModerator', () => {
  const r = (over: Partial<Parameters<typeof decideReact>[0]> = {}) =>
    decideReact({ message: msg, isMember: true, on: true, emoji: '👍', has: false, distinct: 0, known: false, max: 2, ...over });
  it('one per emoji per user, bounded distinct emoji, members only, not on a tombstone', () => {
    expect(r()).toBe('apply');
    expect(r({ has: true })).toBe('unchanged');
    expect(r({ on: false })).toBe('unchanged');
    expect(r({ on: false, has: true })).toBe('apply');
    expect(code(() => r({ distinct: 2 }))).toBe('TOO_MANY_REACTIONS');
    expect(r({ distinct: 2, known: true })).toBe('apply');
    expect(code(() => r({ isMember: false }))).toBe('NOT_A_MEMBER');
    expect(code(() => r({ message: { ...msg, deleted: true } }))).toBe('MESSAGE_DELETED');
  });
  it('only a room owner names moderators, among members', () => {
    const m = (over: Partial<Parameters<typeof decideModerator>[0]> = {}) =>
      decideModerator({ conversation: { kind: 'room', ownerId: 'o' }, actorId: 'o', target: 'member', on: true, ...over });
    expect(m()).toBe('apply');
    expect(m({ target: 'moderator' })).toBe('unchanged');
    expect(m({ target: 'moderator', on: false })).toBe('apply');
    expect(code(() => m({ actorId: 'x' }))).toBe('NOT_OWNER');
    expect(code(() => m({ conversation: { kind: 'group', ownerId: 'o' } }))).toBe('INVALID_OPERATION');
    expect(code(() => m({ target: null }))).toBe('USER_NOT_FOUND');
    expect(code(() => m({ conversation: null }))).toBe('CONVERSATION_NOT_FOUND');
  });
});

describe('mentions', () => {
  it('finds @usernames and @room/@everyone, not addresses, with a sentence-ending dot stripped', () => {
    expect(mentionTokens('hi @Bob and @carol. mail me at x@bob.example, @room')).toEqual({ names: ['bob', 'carol.', 'carol'], all: true });
    expect(mentionTokens('no mention @ab @')).toEqual({ names: [], all: false });
  });
  it('resolves against current members only, honouring @room only when allowed', () => {
    const members = [
      { id: '1', username: 'bob' },
      { id: '2', username: 'carol' },
    ];
    expect(resolveMentions(mentionTokens('@carol @bob @dave @everyone'), members, false)).toEqual({
      mentions: ['2', '1'],
      mentionsAll: false,
    });
    expect(resolveMentions(mentionTokens('@everyone'), members, true)).toEqual({ mentions: [], mentionsAll: true });
  });
});

describe('emoji', () => {
  it('accepts one emoji (with skin tone, ZWJ family, flag, keycap) and refuses text, two emoji or junk', () => {
    for (const ok of ['👍', '👍🏽', '❤️', '👨‍👩‍👧', '🇫🇷', '#️⃣']) expect(checkEmoji(ok)).toBe(ok);
    for (const bad of ['', 'a', '1', ':)', '👍👍', '👍a', '<script>', '😀\u0301', '👍'.repeat(20)])
      expect(code(() => checkEmoji(bad))).toBe('INVALID_EMOJI');
  });
});

describe('previews, tombstones and redaction', () => {
  const base: Message = {
    id: '7',
    conversationId: '1',
    senderId: 's',
    senderName: 'S',
    body: 'secret',
    createdAt: 'c',
    editedAt: null,
    deleted: false,
    replyTo: null,
    reactions: [{ emoji: '👍', count: 1, userIds: ['u'] }],
    mentions: ['u'],
    mentionsAll: true,
    attachments: [],
    linkPreview: null,
  };
  it('quotes the first 140 characters of the current body, nothing once deleted or gone', () => {
    expect(previewOf('7', { ...base, body: 'x'.repeat(200) }).preview).toHaveLength(140);
    expect(previewOf('7', { ...base, deleted: true })).toMatchObject({ preview: '', deleted: true });
    expect(previewOf('7', null)).toEqual({ id: '7', senderId: '', senderName: '', preview: '', deleted: true });
  });
  it('rewrites the message’s own events to the tombstone and replies’ quotes of it, and nothing else', () => {
    const own = redactPayload(JSON.stringify({ type: 'message.updated', message: base }), '7')!;
    expect(JSON.parse(own).message).toEqual({ ...base, body: '', deleted: true, reactions: [], mentions: [], mentionsAll: false });
    expect(redactPayload(own, '7')).toBeNull();
    const reply = {
      ...base,
      id: '8',
      body: 'answer',
      replyTo: { id: '7', senderId: 's', senderName: 'S', preview: 'secret', deleted: false },
    };
    const quoted = redactPayload(JSON.stringify({ type: 'message.created', message: reply }), '7')!;
    expect(JSON.parse(quoted).message).toEqual({ ...reply, replyTo: { ...reply.replyTo, preview: '', deleted: true } });
    expect(redactPayload(JSON.stringify({ type: 'message.created', message: reply }), '9')).toBeNull();
    expect(redactPayload(JSON.stringify({ type: 'read.updated', conversationId: '1', userId: 'u', upTo: '7' }), '7')).toBeNull();
  });
  it('empties a deleted message’s files and link preview in its stored events', () => {
    const withFiles: Message = {
      ...base,
      attachments: [{ id: '3', name: 'a.png', size: 10, type: 'image/png', url: '/api/v1/files/3', width: 1, height: 1 }],
      linkPreview: {
        url: 'https://x.example/',
        title: 'X',
        description: null,
        siteName: null,
        imageUrl: '/api/v1/messages/7/preview-image',
      },
    };
    const own = JSON.parse(redactPayload(JSON.stringify({ type: 'message.created', message: withFiles }), '7')!).message;
    expect(own).toMatchObject({ deleted: true, body: '', attachments: [], linkPreview: null });
  });
  it('marks the viewer’s own reactions only in answers', () => {
    expect(forViewer(base, 'u').reactions[0]!.me).toBe(true);
    expect(forViewer(base, null).reactions[0]!.me).toBe(false);
    expect(base.reactions[0]!.me).toBeUndefined();
  });
  it('publishes read positions in direct conversations and groups unless hidden, never in rooms', () => {
    expect(readReceiptAudience('direct', false)).toBe('conversation');
    expect(readReceiptAudience('group', false)).toBe('conversation');
    expect(readReceiptAudience('group', true)).toBe('reader');
    expect(readReceiptAudience('room', false)).toBe('reader');
  });
  it('shows a member’s read position in the detail by the same rule as the live receipts', () => {
    expect(sharedReadPosition('direct', false, '7')).toBe('7');
    expect(sharedReadPosition('group', false, null)).toBeNull();
    expect(sharedReadPosition('group', true, '7')).toBeNull();
    expect(sharedReadPosition('room', false, '7')).toBeNull();
    expect([publishesReadPositions('direct'), publishesReadPositions('group'), publishesReadPositions('room')]).toEqual([
      true,
      true,
      false,
    ]);
  });
});

describe('decideAttachments', () => {
  const send = { conversationId: 'c', senderId: 's' };
  const file = (id: string, over: Partial<{ conversationId: string; uploaderId: string; messageId: string | null }> = {}) => ({
    id,
    conversationId: 'c',
    uploaderId: 's',
    messageId: null,
    ...over,
  });
  it('lets a sender send their own unsent uploads of this conversation, up to 10', () => {
    const ids = Array.from({ length: 10 }, (_, i) => String(i));
    expect(
      code(() =>
        decideAttachments(
          ids,
          ids.map((id) => file(id)),
          send,
        ),
      ),
    ).toBe('ok');
    expect(code(() => decideAttachments([], [], send))).toBe('ok');
  });
  it('refuses more than 10, the same file twice, a missing file or someone else’s, or one already sent', () => {
    const ids = Array.from({ length: 11 }, (_, i) => String(i));
    expect(
      code(() =>
        decideAttachments(
          ids,
          ids.map((id) => file(id)),
          send,
        ),
      ),
    ).toBe('TOO_MANY_ATTACHMENTS');
    expect(code(() => decideAttachments(['1', '1'], [file('1')], send))).toBe('VALIDATION_FAILED');
    expect(code(() => decideAttachments(['1', '2'], [file('1')], send))).toBe('ATTACHMENT_NOT_FOUND');
    expect(code(() => decideAttachments(['1'], [file('1', { uploaderId: 'x' })], send))).toBe('ATTACHMENT_NOT_FOUND');
    expect(code(() => decideAttachments(['1'], [file('1', { conversationId: 'd' })], send))).toBe('ATTACHMENT_NOT_FOUND');
    expect(code(() => decideAttachments(['1'], [file('1', { messageId: '9' })], send))).toBe('ATTACHMENT_ALREADY_SENT');
  });
});
