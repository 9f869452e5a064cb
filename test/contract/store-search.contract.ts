import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { Message, User } from '../../src/domain/types.js';
import type { SearchQuery, Store } from '../../src/store/store.js';

/**
 * Search every Store keeps (issue 14), over one fixed corpus: Chinese inside
 * sentences with no spaces, Japanese, English stems, mixed text; exactly the
 * messages of the searcher's stream (someone who left sees nothing after,
 * someone who joined late nothing before); filters, paging, edits and deletes
 * in the index. Results are asserted as exact lists of corpus labels, newest
 * first, so both dialects must return the very same messages.
 */
const t = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString();

export function storeSearchContract(name: string, make: () => Promise<Store>, opts: { skip?: boolean } = {}): void {
  describe.skipIf(!!opts.skip)(name, () => {
    let store: Store;
    let a: User, b: User, c: User, d: User;
    let g: string, dm: string, room: string;
    /** Corpus label → message, and back. */
    const byLabel = new Map<string, Message>();
    const labelOf = (m: Message) => [...byLabel].find(([, x]) => x.id === m.id)?.[0] ?? `?${m.id}`;
    let minute = 0;
    const send = async (
      label: string,
      conv: string,
      from: User,
      body: string,
      extra: Partial<Parameters<Store['appendMessage']>[0]> = {},
    ) => {
      const r = await store.appendMessage({ conversationId: conv, senderId: from.id, body, clientMsgId: null, now: t(++minute), ...extra });
      byLabel.set(label, r.message);
      return r.message;
    };
    const search = async (who: User, text: string, q: Partial<SearchQuery> = {}) =>
      (await store.searchMessages({ userId: who.id, text, limit: 50, ...q })).map(labelOf);

    beforeAll(async () => {
      store = await make();
      await store.migrate();
      const mk = (n: string) => store.createUser({ username: n, displayName: n, passwordHash: 'h' });
      [a, b, c, d] = [await mk('alice'), await mk('bob'), await mk('carol'), await mk('dave')];
      g = (await store.createConversation({ kind: 'group', name: 'g', ownerId: a.id, memberIds: [b.id, c.id], now: t(0) })).conversation.id;
      await store.requestFriendship(a.id, b.id, t(0));
      await store.requestFriendship(b.id, a.id, t(0));
      dm = (await store.getOrCreateDirect(a.id, b.id, t(0))).conversation.id;
      room = (await store.createConversation({ kind: 'room', name: 'lobby', ownerId: b.id, memberIds: [], now: t(0) })).conversation.id;

      await send('zh', g, a, '这是一条消息');
      await send('en-run', g, b, 'The server is running fine');
      await send('mixed', g, c, 'hubbub的消息很快');
      await send('ja', g, a, 'カタカナのテスト and ひらがな');
      await send('en-msgs', g, b, 'three new messages arrived');
      await send('link', g, a, 'see https://example.com/docs for details');
      const photo = await store.createAttachment({
        conversationId: g,
        uploaderId: b.id,
        name: 'cat.png',
        type: 'image/png',
        size: 10,
        width: 1,
        height: 1,
        blobKey: 'k',
        thumbKey: null,
        thumbSize: 0,
        now: t(0),
        quotaBytes: 1e9,
        totalBytes: 1e9,
      });
      await send('file', g, b, 'a photo of the cat', { attachmentIds: [photo.id] });
      await send('decoy', g, a, '一条新闻和条消');
      await store.removeMember(g, c.id, c.id); // carol leaves
      await send('after-carol', g, a, '离开后的消息');
      await store.addMember(g, d.id, a.id); // dave joins late
      await send('welcome', g, b, 'welcome dave, 消息 for you 😀');
      await send('dm', dm, a, 'private 消息 between us');
      await send('room', room, b, '房间里的消息');
    });
    afterAll(async () => {
      await store.close();
    });

    it('finds Chinese words inside sentences, newest first, only what the searcher can read', async () => {
      expect(await search(a, '消息')).toEqual(['dm', 'welcome', 'after-carol', 'mixed', 'zh']);
      expect(await search(b, '消息')).toEqual(['room', 'dm', 'welcome', 'after-carol', 'mixed', 'zh']);
    });

    it('shows someone who left nothing sent after they left, and someone who joined late nothing from before', async () => {
      expect(await search(c, '消息')).toEqual(['mixed', 'zh']);
      expect(await search(d, '消息')).toEqual(['welcome']);
      expect(await search(d, '')).toEqual(['welcome']);
      expect(await search(c, '', { conversationId: g })).toEqual(['decoy', 'file', 'link', 'en-msgs', 'ja', 'mixed', 'en-run', 'zh']);
    });

    it('requires the characters of a longer CJK query to be adjacent', async () => {
      expect(await search(a, '一条消')).toEqual(['zh']);
      expect(await search(a, '一条')).toEqual(['decoy', 'zh']);
    });

    it('finds Japanese, English by stem, and mixed text', async () => {
      expect(await search(a, 'カタカナ')).toEqual(['ja']);
      expect(await search(a, 'ひらがな')).toEqual(['ja']);
      expect(await search(a, 'run')).toEqual(['en-run']);
      expect(await search(a, 'RUNS')).toEqual(['en-run']);
      expect(await search(a, 'message')).toEqual(['en-msgs']);
      expect(await search(a, 'hubbub 消息')).toEqual(['mixed']);
      expect(await search(a, 'hubbub的消息')).toEqual(['mixed']);
      expect(await search(a, 'server fine')).toEqual(['en-run']);
      expect(await search(a, 'server missing')).toEqual([]);
      expect(await search(a, '😀 !!')).toEqual([]);
    });

    it('filters by conversation, sender, file or link, and time', async () => {
      expect(await search(a, '消息', { conversationId: dm })).toEqual(['dm']);
      expect(await search(a, '', { conversationId: dm })).toEqual(['dm']);
      expect(await search(a, '消息', { conversationId: room })).toEqual([]); // not a member
      expect(await search(a, '', { senderId: b.id, conversationId: g })).toEqual(['welcome', 'file', 'en-msgs', 'en-run']);
      expect(await search(a, '消息', { senderId: a.id })).toEqual(['dm', 'after-carol', 'zh']);
      expect(await search(a, '', { has: 'file' })).toEqual(['file']);
      expect(await search(a, 'cat', { has: 'file' })).toEqual(['file']);
      expect(await search(a, '', { has: 'link' })).toEqual(['link']);
      const at = (label: string) => byLabel.get(label)!.createdAt;
      expect(await search(a, '消息', { before: at('welcome') })).toEqual(['after-carol', 'mixed', 'zh']);
      expect(await search(a, '消息', { after: at('mixed') })).toEqual(['dm', 'welcome', 'after-carol']);
      expect(await search(a, '消息', { after: at('zh'), before: at('dm') })).toEqual(['welcome', 'after-carol', 'mixed']);
    });

    it('pages with beforeId', async () => {
      const page = async (beforeId: string | null) => search(a, '消息', { limit: 2, beforeId });
      expect(await page(null)).toEqual(['dm', 'welcome']);
      expect(await page(byLabel.get('welcome')!.id)).toEqual(['after-carol', 'mixed']);
      expect(await page(byLabel.get('mixed')!.id)).toEqual(['zh']);
      expect(await page(byLabel.get('zh')!.id)).toEqual([]);
    });

    it('answers whole messages (with their files) and nothing for a user with no conversations', async () => {
      const [hit] = await store.searchMessages({ userId: a.id, text: 'cat', limit: 5 });
      expect(hit).toEqual(await store.getMessage(byLabel.get('file')!.id));
      expect(hit!.attachments).toHaveLength(1);
      const e = await store.createUser({ username: 'eve', displayName: 'eve', passwordHash: 'h' });
      expect(await search(e, '消息')).toEqual([]);
      expect(await search(e, '')).toEqual([]);
      expect(await store.searchMessages({ userId: 'nope', text: '消息', limit: 5 })).toEqual([]);
    });

    it('re-indexes an edit and drops a delete, in the same write', async () => {
      const m = byLabel.get('en-run')!;
      await store.editMessage({
        messageId: m.id,
        editorId: b.id,
        body: 'The server is down, see https://status.example',
        mentions: [],
        mentionsAll: false,
        now: t(100),
        windowSeconds: 0,
      });
      expect(await search(a, 'running')).toEqual([]);
      expect(await search(a, 'down')).toEqual(['en-run']);
      expect(await search(a, '', { has: 'link' })).toEqual(['link', 'en-run']);
      await store.deleteMessage({ messageId: byLabel.get('zh')!.id, actorId: a.id, now: t(101) });
      expect(await search(a, '消息')).toEqual(['dm', 'welcome', 'after-carol', 'mixed']);
      expect(await search(c, '')).not.toContain('zh');
      // a deleted account's messages leave the index too
      await store.removeMember(g, d.id, d.id);
      await store.deleteUser(d.id);
      expect(await search(a, '消息')).toEqual(['dm', 'welcome', 'after-carol', 'mixed']);
      await store.removeMember(room, b.id, b.id);
      await store.removeMember(g, b.id, b.id);
      await store.deleteUser(b.id);
      expect(await search(a, '消息')).toEqual(['dm', 'after-carol', 'mixed']);
    });
  });
}
