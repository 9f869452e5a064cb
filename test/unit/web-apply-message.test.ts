import { describe, expect, test } from 'vitest';
import type { HistoryEvent, Message, User } from '../../client/index.js';
import { applyEvent } from '../../web/src/state/apply-event.js';
import { withReaction } from '../../web/src/state/apply-message.js';
import { lineText } from '../../web/src/state/lines.js';
import { conversationLoaded, loaded } from '../../web/src/state/load.js';
import { emptyChatState, newConv, type ChatState } from '../../web/src/state/model.js';
import { readIfSeen } from '../../web/src/state/read.js';
import { aroundLoaded, newerLoaded } from '../../web/src/state/window.js';
import { seenMarks } from '../../web/src/receipts.js';
import { deepFreeze } from './web-replay.js';

const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 12, 0, n)).toISOString();
const me: User = { id: '1', username: 'user1', displayName: 'User 1', createdAt: at(0), role: 'member' };
const msg = (id: string, sender: string, extra: Partial<Message> = {}): Message => ({
  id,
  conversationId: '10',
  senderId: sender,
  senderName: `User ${sender}`,
  body: `m${id}`,
  createdAt: at(Number(id)),
  editedAt: null,
  deleted: false,
  replyTo: null,
  reactions: [],
  mentions: [],
  mentionsAll: false,
  attachments: [],
  linkPreview: null,
  ...extra,
});
const members = ['2', '1', '3'].map((id) => ({
  id,
  username: `user${id}`,
  displayName: `User ${id}`,
  role: id === '2' ? ('owner' as const) : ('member' as const),
}));

/** Group "10" loaded with `page`, read up to `read`, `unread` left. */
function group(page: Message[], read: string, unread = 0, events: HistoryEvent[] = []): ChatState {
  const summary = {
    id: '10',
    kind: 'group' as const,
    name: 'g',
    ownerId: '2',
    createdAt: at(1),
    memberCount: 3,
    unread,
    mentions: 0,
    lastMessage: page[page.length - 1] ?? null,
    lastReadMessageId: read,
  };
  let s = loaded(emptyChatState(me), { conversations: [], friends: [], requests: { incoming: [], outgoing: [] } });
  s = { ...s, conversations: { '10': newConv(summary) } };
  return deepFreeze(conversationLoaded(s, '10', { ...summary, members }, page, events));
}

describe('message events', () => {
  test('an edit replaces the message, its quotes and the preview; applied twice it changes nothing', () => {
    const quote = { id: '11', senderId: '2', senderName: 'User 2', preview: 'm11', deleted: false };
    const s = group([msg('11', '2'), msg('12', '3', { replyTo: quote })], '12');
    const ev = { type: 'message.updated' as const, message: msg('11', '2', { body: 'fixed', editedAt: at(30) }) };
    const r = applyEvent(s, ev);
    const c = r.state.conversations['10']!;
    expect(c.messages[0]).toMatchObject({ body: 'fixed', editedAt: at(30) });
    expect(c.messages[1]!.replyTo).toEqual({ ...quote, preview: 'fixed' });
    expect(applyEvent(deepFreeze(r.state), ev).state).toEqual(r.state);
  });

  test('a delete leaves a tombstone, the quote says deleted, and a late edit does not bring the body back', () => {
    const quote = { id: '11', senderId: '2', senderName: 'User 2', preview: 'm11', deleted: false };
    const s = group([msg('11', '2', { reactions: [{ emoji: '👍', count: 1, userIds: ['3'] }] }), msg('12', '3', { replyTo: quote })], '12');
    const r = applyEvent(s, { type: 'message.deleted', conversationId: '10', messageId: '11', by: '2' });
    const c = r.state.conversations['10']!;
    expect(c.messages[0]).toMatchObject({ body: '', deleted: true, reactions: [], mentions: [] });
    expect(c.messages[1]!.replyTo).toEqual({ ...quote, preview: '', deleted: true });
    const late = applyEvent(deepFreeze(r.state), { type: 'message.updated', message: msg('11', '2', { body: 'zombie' }) });
    expect(late.state).toBe(r.state);
  });

  test('files and the link preview: the preview arrives as message.updated, a delete takes both away', () => {
    const photo = {
      id: '5',
      name: 'cat.png',
      size: 2048,
      type: 'image/png',
      url: '/api/v1/files/5',
      width: 4,
      height: 3,
      thumbnailUrl: '/api/v1/files/5/thumbnail',
    };
    const sent = msg('11', '2', { body: 'look https://example.com', attachments: [photo] });
    const s = group([sent], '11');
    const linkPreview = {
      url: 'https://example.com',
      title: 'Example',
      description: 'A page',
      siteName: 'Ex',
      imageUrl: '/api/v1/messages/11/preview-image',
    };
    const r = applyEvent(s, { type: 'message.updated', message: { ...sent, linkPreview } });
    const c = r.state.conversations['10']!;
    expect(c.messages[0]).toMatchObject({ attachments: [photo], linkPreview });
    expect(c.summary.lastMessage).toMatchObject({ linkPreview });
    const d = applyEvent(deepFreeze(r.state), { type: 'message.deleted', conversationId: '10', messageId: '11', by: '2' });
    expect(d.state.conversations['10']!.messages[0]).toMatchObject({ deleted: true, attachments: [], linkPreview: null });
    expect(d.state.conversations['10']!.summary.lastMessage).toMatchObject({ attachments: [], linkPreview: null });
  });

  test('my message with files: the pending copy (files shown at once) gives way to the stored one', () => {
    const photo = { id: '5', name: 'cat.png', size: 2048, type: 'image/png', url: '/api/v1/files/5' };
    const s = group([msg('11', '2')], '11');
    const c0 = s.conversations['10']!;
    const pending = { ...msg('12', '1', { id: 'local:k', body: '', clientMsgId: 'k', attachments: [photo] }), state: 'pending' as const };
    const withPending = deepFreeze({ ...s, conversations: { '10': { ...c0, messages: [...c0.messages, pending] } } });
    const stored = msg('12', '1', { body: '', clientMsgId: 'k', attachments: [photo] });
    const r = applyEvent(withPending, { type: 'message.created', message: stored });
    expect(r.state.conversations['10']!.messages).toEqual([msg('11', '2'), stored]);
  });

  test('reactions: one per emoji per user, counts, removal; the same event twice changes nothing', () => {
    const s = group([msg('11', '2')], '11');
    const add = (u: string, emoji = '👍') => ({ type: 'reaction.added' as const, conversationId: '10', messageId: '11', emoji, userId: u });
    let st = applyEvent(s, add('3')).state;
    st = applyEvent(deepFreeze(st), add('3')).state;
    st = applyEvent(deepFreeze(st), add('1')).state;
    st = applyEvent(deepFreeze(st), add('1', '🎉')).state;
    expect(st.conversations['10']!.messages[0]!.reactions).toEqual([
      { emoji: '👍', count: 2, userIds: ['3', '1'] },
      { emoji: '🎉', count: 1, userIds: ['1'] },
    ]);
    st = applyEvent(deepFreeze(st), { ...add('1', '🎉'), type: 'reaction.removed' }).state;
    expect(st.conversations['10']!.messages[0]!.reactions.map((r) => r.emoji)).toEqual(['👍']);
    // Past the server's cap of listed reactors the count still moves.
    const many = Array.from({ length: 20 }, (_, i) => `u${i}`);
    expect(withReaction([{ emoji: '👍', count: 20, userIds: many }], '👍', 'x', true)[0]).toMatchObject({ count: 21, userIds: many });
  });

  test('a message mentioning me counts as a mention and notifies even with the tab in view', () => {
    const s = deepFreeze({ ...group([msg('11', '2')], '11'), visible: true });
    const r = applyEvent(s, { type: 'message.created', message: msg('12', '3', { body: 'hi @user1', mentions: ['1'] }) });
    expect(r.state.conversations['10']!.summary).toMatchObject({ unread: 1, mentions: 1 });
    expect(r.effects).toEqual([{ kind: 'notify', conversationId: '10', message: expect.objectContaining({ id: '12' }), mention: true }]);
    const plain = applyEvent(s, { type: 'message.created', message: msg('12', '3') });
    expect(plain.effects).toEqual([]);
  });
});

describe('members and receipts', () => {
  test('removed by the owner: the conversation stays, ended, with a last line saying so', () => {
    const s = deepFreeze({ ...group([msg('11', '2')], '11'), activeId: '10' });
    const r = applyEvent(s, { type: 'member.left', conversationId: '10', userId: '1', by: '2' });
    const c = r.state.conversations['10']!;
    expect(c.ended).toEqual({ by: '2' });
    expect(r.state.activeId).toBe('10');
    expect(c.lines.map((l) => lineText(l, '1'))).toEqual(['User 2 removed you']);
    expect(c.members!.map((m) => m.id)).toEqual(['2', '3']);
    expect(applyEvent(deepFreeze(r.state), { type: 'member.left', conversationId: '10', userId: '1', by: '2' }).state).toBe(r.state);
  });

  test('joined / removed / renamed / moderator lines from the stream, each once', () => {
    let s: ChatState = group([msg('11', '2')], '11');
    const evs = [
      {
        type: 'member.joined' as const,
        conversationId: '10',
        member: { id: '4', username: 'user4', displayName: 'Dora', role: 'member' as const },
        by: '2',
        cursor: 'c1',
      },
      { type: 'member.left' as const, conversationId: '10', userId: '3', by: '2', cursor: 'c2' },
      {
        type: 'conversation.updated' as const,
        conversation: { id: '10', kind: 'group' as const, name: 'new', ownerId: '2', createdAt: at(1) },
        cursor: 'c3',
      },
      { type: 'member.updated' as const, conversationId: '10', userId: '4', role: 'moderator' as const, by: '2', cursor: 'c4' },
    ];
    for (const ev of [...evs, ...evs]) s = applyEvent(deepFreeze(s), ev).state;
    const c = s.conversations['10']!;
    expect(c.lines.map((l) => lineText(l, '1'))).toEqual([
      'User 2 added Dora',
      'User 2 removed User 3',
      'Renamed to “new”',
      'Dora is now a moderator',
    ]);
    expect(c.lines.every((l) => l.afterId === '11')).toBe(true);
  });

  test('history events draw lines after a reload, by time among the messages, once with the stream copy', () => {
    const ev: HistoryEvent = { type: 'member.left', conversationId: '10', userId: '3', by: '3', at: at(11), cursor: 'c9' };
    const s = group([msg('10', '2'), msg('12', '2')], '12', 0, [ev]);
    expect(s.conversations['10']!.lines).toMatchObject([{ kind: 'left', afterId: '10', name: 'User 3' }]);
    const again = applyEvent(s, { type: 'member.left', conversationId: '10', userId: '3', by: '3', cursor: 'c9' } as never);
    expect(again.state.conversations['10']!.lines).toHaveLength(1);
  });

  test("others' read receipts move forward only", () => {
    const s = group([msg('11', '2'), msg('12', '1')], '12');
    const r = applyEvent(s, { type: 'read.updated', conversationId: '10', userId: '3', upTo: '12' });
    expect(r.state.conversations['10']!.readBy).toEqual({ '3': '12' });
    expect(applyEvent(deepFreeze(r.state), { type: 'read.updated', conversationId: '10', userId: '3', upTo: '11' }).state).toBe(r.state);
  });

  test('the detail’s read positions draw "Seen by" right after a reload, forward only, for current members', () => {
    const page = [msg('11', '1'), msg('12', '1')];
    const s = group(page, '12');
    const seen = (st: ChatState) => [...seenMarks(st.conversations['10']!, '1', (id) => `User ${id}`).entries()];
    expect(seen(s)).toEqual([]);
    const readUpTo: Record<string, string | null> = { '1': '12', '2': '11', '3': '12' };
    const detail = (who: string[]) => ({
      ...s.conversations['10']!.summary,
      members: members.filter((m) => who.includes(m.id)).map((m) => ({ ...m, readUpTo: readUpTo[m.id] ?? null })),
    });
    const reloaded = deepFreeze(conversationLoaded(s, '10', detail(['1', '2', '3']), page));
    const c = reloaded.conversations['10']!;
    expect(c.readBy).toEqual({ '2': '11', '3': '12' });
    // Positions live in readBy alone: the member list holds no copy that the stream would leave stale.
    expect(c.members).toEqual(members);
    expect(seen(reloaded)).toEqual([['12', { text: 'Seen by 1 · User 3', title: 'Seen by User 3' }]]);
    // Forward only: an older answer does not set a pointer back; a hidden one (null) takes nothing away.
    const moved = applyEvent(reloaded, { type: 'read.updated', conversationId: '10', userId: '2', upTo: '12' }).state;
    readUpTo['2'] = '11';
    readUpTo['3'] = null;
    const again = conversationLoaded(deepFreeze(moved), '10', detail(['1', '2', '3']), page);
    expect(again.conversations['10']!.readBy).toEqual({ '2': '12', '3': '12' });
    // A member gone from the detail (left while we were away) no longer counts as a reader.
    expect(conversationLoaded(deepFreeze(moved), '10', detail(['1', '2']), page).conversations['10']!.readBy).toEqual({ '2': '12' });
  });
});

describe('unread landing', () => {
  const page = Array.from({ length: 10 }, (_, i) => msg(String(20 + i), '2', i === 7 ? { mentions: ['1'] } : {}));

  test('opening marks nothing read; the pointer follows what came on screen, and the counts with it', () => {
    let s: ChatState = deepFreeze({ ...group(page, '21', 8), activeId: '10', atBottom: false });
    s = { ...s, conversations: { '10': { ...s.conversations['10']!, summary: { ...s.conversations['10']!.summary, mentions: 1 } } } };
    expect(readIfSeen(s).upTo).toBeNull();
    const part = readIfSeen(deepFreeze({ ...s, seenUpTo: '25' }));
    expect(part.upTo).toBe('25');
    expect(part.state.conversations['10']!.summary).toMatchObject({ unread: 4, mentions: 1, lastReadMessageId: '25' });
    const all = readIfSeen(deepFreeze({ ...part.state, seenUpTo: '29' }));
    expect(all.state.conversations['10']!.summary).toMatchObject({ unread: 0, mentions: 0 });
    // Hidden tab: nothing moves.
    expect(readIfSeen(deepFreeze({ ...s, seenUpTo: '25', visible: false })).upTo).toBeNull();
  });

  test('a window around the pointer stops short of the present: live messages are counted, not inserted, until it reaches it', () => {
    let s: ChatState = group([], '21', 150);
    const c0 = s.conversations['10']!;
    // The newest message is far past the window.
    s = { ...s, conversations: { '10': { ...c0, summary: { ...c0.summary, lastMessage: msg('200', '2') } } } };
    s = aroundLoaded(s, '10', { messages: page, events: [], hasBefore: true, hasAfter: true });
    expect(s.conversations['10']).toMatchObject({ hasOlder: true, hasNewer: true });
    s = { ...s, activeId: '10', seenUpTo: '29', atBottom: true };
    const r = readIfSeen(deepFreeze(s));
    // 8 of the window's messages after the pointer were read: 142 left.
    expect(r.state.conversations['10']!.summary.unread).toBe(142);
    const live = applyEvent(deepFreeze(r.state), { type: 'message.created', message: msg('300', '3') });
    expect(live.state.conversations['10']!.messages).toHaveLength(10);
    expect(live.state.conversations['10']!.summary.unread).toBe(143);
    const newer = newerLoaded(live.state, '10', {
      messages: [msg('30', '2'), msg('300', '3')],
      events: [],
      hasBefore: true,
      hasAfter: false,
    });
    expect(newer.conversations['10']!.hasNewer).toBe(false);
    expect(newer.conversations['10']!.messages.map((m) => m.id).slice(-2)).toEqual(['30', '300']);
  });
});
