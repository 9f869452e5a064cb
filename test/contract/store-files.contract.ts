import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message, StoredEvent, User } from '../../src/domain/types.js';
import type { Store, StoredAttachment } from '../../src/store/store.js';

/**
 * Files and link previews every Store keeps (issue 14): upload records
 * decided against quota and total in their transaction, binding to one
 * message in order, a delete that releases exactly the blob keys nothing
 * else refers to, the sweeping helpers, link previews that follow the body.
 * A refusal writes nothing. Run against each implementation like
 * store.contract.ts.
 */
const t = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString();
const payload = (e: StoredEvent) => JSON.parse(e.payload);
const rejectsWith = (p: Promise<unknown>, code: string) => expect(p).rejects.toMatchObject({ code });
const BIG = 1_000_000_000;

export function storeFilesContract(name: string, make: () => Promise<Store>, opts: { skip?: boolean } = {}): void {
  describe.skipIf(!!opts.skip)(name, () => {
    let store: Store;
    const users = async (...names: string[]) => {
      const list: User[] = [];
      for (const n of names) list.push(await store.createUser({ username: n, displayName: n.toUpperCase(), passwordHash: 'h' }));
      return list;
    };
    const setup = async () => {
      const [a, b, c] = await users('alice', 'bob', 'carol');
      const { conversation: g } = await store.createConversation({
        kind: 'group',
        name: 'g',
        ownerId: a!.id,
        memberIds: [b!.id],
        now: t(0),
      });
      const { conversation: h } = await store.createConversation({ kind: 'group', name: 'h', ownerId: a!.id, memberIds: [], now: t(0) });
      return { a: a!, b: b!, c: c!, g, h };
    };
    const upload = (convId: string, by: User, over: Partial<Parameters<Store['createAttachment']>[0]> = {}) =>
      store.createAttachment({
        conversationId: convId,
        uploaderId: by.id,
        name: 'report.pdf',
        type: 'application/pdf',
        size: 100,
        width: null,
        height: null,
        blobKey: 'a'.repeat(64),
        thumbKey: null,
        thumbSize: 0,
        now: t(1),
        quotaBytes: BIG,
        totalBytes: BIG,
        ...over,
      });
    const image = (convId: string, by: User, key: string, over: Partial<Parameters<Store['createAttachment']>[0]> = {}) =>
      upload(convId, by, {
        name: 'cat.png',
        type: 'image/png',
        width: 640,
        height: 480,
        blobKey: key,
        thumbKey: `${key}-t`,
        thumbSize: 10,
        ...over,
      });
    const send = async (convId: string, from: User, body: string, extra: Partial<Parameters<Store['appendMessage']>[0]> = {}) =>
      store.appendMessage({ conversationId: convId, senderId: from.id, body, clientMsgId: null, now: t(2), ...extra });
    const del = (m: Message, by: User) => store.deleteMessage({ messageId: m.id, actorId: by.id, now: t(3) });

    beforeEach(async () => {
      store = await make();
      await store.migrate();
    });
    afterEach(async () => {
      await store.close();
    });

    it('records an upload, unsent, and finds it by id', async () => {
      const { a, g } = await setup();
      const f = await upload(g.id, a, { name: 'r.pdf', size: 123 });
      expect(f).toEqual({
        id: f.id,
        conversationId: g.id,
        uploaderId: a.id,
        messageId: null,
        name: 'r.pdf',
        type: 'application/pdf',
        size: 123,
        width: null,
        height: null,
        blobKey: 'a'.repeat(64),
        thumbKey: null,
        thumbSize: 0,
        createdAt: t(1),
      } satisfies StoredAttachment);
      expect(await store.getAttachment(f.id)).toEqual(f);
      expect(await store.getAttachment('999999')).toBeNull();
      expect(await store.getAttachment('x')).toBeNull();
    });

    it('refuses an upload past the uploader’s quota or the total (thumbnails count), storing nothing', async () => {
      const { a, b, g } = await setup();
      await image(g.id, a, 'k1', { size: 50, thumbSize: 10, quotaBytes: 100 }); // a: 60
      await rejectsWith(upload(g.id, a, { size: 41, quotaBytes: 100 }), 'UPLOAD_QUOTA_EXCEEDED');
      await rejectsWith(image(g.id, a, 'k2', { size: 31, thumbSize: 10, quotaBytes: 100 }), 'UPLOAD_QUOTA_EXCEEDED');
      // the refused ones took no room: exactly what is left still fits
      const fits = await upload(g.id, a, { size: 40, quotaBytes: 100 });
      expect(await store.getAttachment(fits.id)).toEqual(fits);
      // bob has his own quota, but all files together are bounded
      await upload(g.id, b, { size: 50, quotaBytes: 1000, totalBytes: 200 }); // all: 150
      await rejectsWith(upload(g.id, b, { size: 51, quotaBytes: 1000, totalBytes: 200 }), 'FILE_STORAGE_FULL');
      await upload(g.id, b, { size: 50, quotaBytes: 1000, totalBytes: 200 });
      await rejectsWith(upload(g.id, a, { size: 1, quotaBytes: 100 }), 'UPLOAD_QUOTA_EXCEEDED');
    });

    it('concurrent uploads cannot pass the quota together', async () => {
      const { a, g } = await setup();
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => upload(g.id, a, { size: 40, quotaBytes: 100 })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
      for (const r of results.filter((r) => r.status === 'rejected')) expect(r.reason).toMatchObject({ code: 'UPLOAD_QUOTA_EXCEEDED' });
    });

    it('a message carries its uploads in the order given: images with size and thumbnail, other files as files', async () => {
      const { a, b, g } = await setup();
      const pdf = await upload(g.id, b);
      const png = await image(g.id, b, 'k1');
      const r = await send(g.id, b, '', { attachmentIds: [png.id, pdf.id] });
      const expected = [
        {
          id: png.id,
          name: 'cat.png',
          size: 100,
          type: 'image/png',
          url: `/api/v1/files/${png.id}`,
          width: 640,
          height: 480,
          thumbnailUrl: `/api/v1/files/${png.id}/thumbnail`,
        },
        { id: pdf.id, name: 'report.pdf', size: 100, type: 'application/pdf', url: `/api/v1/files/${pdf.id}` },
      ];
      expect(r.message.attachments).toEqual(expected);
      expect(r.message.body).toBe('');
      expect(payload(r.events[0]!).message.attachments).toEqual(expected);
      expect((await store.getMessage(r.message.id))!.attachments).toEqual(expected);
      expect((await store.listMessages(g.id, null, 10))[0]!.attachments).toEqual(expected);
      expect((await store.listConversationsOf(a.id))[0]!.lastMessage!.attachments).toEqual(expected);
      expect(await store.getAttachment(png.id)).toMatchObject({ messageId: r.message.id });
      // a page of messages each with its own files
      const other = await upload(g.id, a);
      const r2 = await send(g.id, a, 'second', { attachmentIds: [other.id] });
      const page = await store.listMessages(g.id, null, 10);
      expect(page.map((m) => m.attachments.map((x) => x.id))).toEqual([[png.id, pdf.id], [other.id]]);
      expect(r2.message.attachments.map((x) => x.id)).toEqual([other.id]);
    });

    it('refuses files not the sender’s, of another conversation, already sent, unknown or too many; a refusal writes nothing', async () => {
      const { a, b, g, h } = await setup();
      const mine = await upload(g.id, a);
      const bobs = await upload(g.id, b);
      const elsewhere = await upload(h.id, a);
      const head = await store.headSeq();
      await rejectsWith(send(g.id, a, 'x', { attachmentIds: [mine.id, bobs.id] }), 'ATTACHMENT_NOT_FOUND');
      await rejectsWith(send(g.id, a, 'x', { attachmentIds: [elsewhere.id] }), 'ATTACHMENT_NOT_FOUND');
      await rejectsWith(send(g.id, a, 'x', { attachmentIds: ['999999'] }), 'ATTACHMENT_NOT_FOUND');
      await rejectsWith(send(g.id, a, 'x', { attachmentIds: ['nope'] }), 'ATTACHMENT_NOT_FOUND');
      await rejectsWith(send(g.id, a, 'x', { attachmentIds: [mine.id, mine.id] }), 'VALIDATION_FAILED');
      const eleven = [];
      for (let i = 0; i < 11; i++) eleven.push((await upload(g.id, a)).id);
      await rejectsWith(send(g.id, a, 'x', { attachmentIds: eleven }), 'TOO_MANY_ATTACHMENTS');
      expect(await store.headSeq()).toBe(head);
      expect(await store.listMessages(g.id, null, 10)).toEqual([]);
      expect(await store.getAttachment(mine.id)).toMatchObject({ messageId: null });

      const sent = await send(g.id, a, 'x', { attachmentIds: [mine.id] });
      await rejectsWith(send(g.id, a, 'again', { attachmentIds: [mine.id] }), 'ATTACHMENT_ALREADY_SENT');
      expect(await store.getAttachment(mine.id)).toMatchObject({ messageId: sent.message.id });
      // two sends racing for one file: exactly one carries it
      const racing = await upload(g.id, a);
      const both = await Promise.allSettled([
        send(g.id, a, '1', { attachmentIds: [racing.id] }),
        send(g.id, a, '2', { attachmentIds: [racing.id] }),
      ]);
      expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(both.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'ATTACHMENT_ALREADY_SENT' } });
    });

    it('a retried send (same clientMsgId) returns the original untouched and binds nothing new', async () => {
      const { a, g } = await setup();
      const f1 = await upload(g.id, a);
      const f2 = await upload(g.id, a);
      const first = await send(g.id, a, 'with file', { clientMsgId: 'k', attachmentIds: [f1.id] });
      const again = await send(g.id, a, 'with file', { clientMsgId: 'k', attachmentIds: [f2.id] });
      expect(again.duplicate).toBe(true);
      expect(again.events).toEqual([]);
      expect(again.message).toEqual(first.message);
      expect(await store.getAttachment(f2.id)).toMatchObject({ messageId: null });
      // the very same retry, with the file it already carries, too
      expect((await send(g.id, a, 'with file', { clientMsgId: 'k', attachmentIds: [f1.id] })).message).toEqual(first.message);
    });

    it('deleting a message removes its files and releases only the blob keys nothing else refers to', async () => {
      const { a, g } = await setup();
      // the same bytes uploaded twice share a key; thumbnails are keys too
      const one = await image(g.id, a, 'shared', { thumbKey: 'thumb-1' });
      const two = await image(g.id, a, 'shared', { thumbKey: 'thumb-2' });
      const m1 = (await send(g.id, a, 'one', { attachmentIds: [one.id] })).message;
      const m2 = (await send(g.id, a, 'two', { attachmentIds: [two.id] })).message;
      const r1 = await del(m1, a);
      expect(r1.releasedBlobs).toEqual(['thumb-1']);
      expect(r1.message.attachments).toEqual([]);
      expect(await store.getAttachment(one.id)).toBeNull();
      expect(JSON.stringify(await store.readEvents(0, 1000))).not.toContain(`/api/v1/files/${one.id}`);
      expect((await store.getMessage(m2.id))!.attachments).toHaveLength(1);
      expect((await del(m2, a)).releasedBlobs.sort()).toEqual(['shared', 'thumb-2']);
      expect((await del(m2, a)).releasedBlobs).toEqual([]); // deleting again: the tombstone, nothing more
      // an unsent upload with the key keeps it
      const kept = await upload(g.id, a, { blobKey: 'k3' });
      const m3 = (await send(g.id, a, 'three', { attachmentIds: [(await upload(g.id, a, { blobKey: 'k3' })).id] })).message;
      expect((await del(m3, a)).releasedBlobs).toEqual([]);
      expect(await store.getAttachment(kept.id)).not.toBeNull();
    });

    it('sweeps unsent uploads older than a time, returning the keys no longer referenced; blobsInUse tells the rest', async () => {
      const { a, g } = await setup();
      const old = await upload(g.id, a, { blobKey: 'old', now: t(1) });
      const oldShared = await upload(g.id, a, { blobKey: 'shared', now: t(1) });
      const sentShared = await upload(g.id, a, { blobKey: 'shared', now: t(1) });
      await send(g.id, a, 'keeps shared', { attachmentIds: [sentShared.id] });
      const fresh = await upload(g.id, a, { blobKey: 'fresh', now: t(10) });
      expect(await store.deleteUnsentAttachments(t(5))).toEqual(['old']);
      expect(await store.getAttachment(old.id)).toBeNull();
      expect(await store.getAttachment(oldShared.id)).toBeNull();
      expect(await store.getAttachment(sentShared.id)).not.toBeNull();
      expect(await store.getAttachment(fresh.id)).not.toBeNull();
      expect(await store.deleteUnsentAttachments(t(5))).toEqual([]);
      expect([...(await store.blobsInUse(['old', 'shared', 'fresh', 'never']))].sort()).toEqual(['fresh', 'shared']);
      expect(await store.blobsInUse([])).toEqual(new Set());
    });

    it('stores a link preview with message.updated while the body still starts with that link; the image key is referenced', async () => {
      const { a, g } = await setup();
      const m = (await send(g.id, a, 'look https://example.com/a and https://other.example')).message;
      const preview = { url: 'https://example.com/a', title: 'A', description: 'd', siteName: 'Ex', imageUrl: null };
      const events = await store.setLinkPreview({ messageId: m.id, preview, imageKey: 'img', now: t(4) });
      expect(events.map((e) => e.type)).toEqual(['message.updated']);
      const expected = { ...preview, imageUrl: `/api/v1/messages/${m.id}/preview-image` };
      expect(payload(events[0]!).message).toMatchObject({ id: m.id, linkPreview: expected, editedAt: null });
      expect((await store.getMessage(m.id))!.linkPreview).toEqual(expected);
      expect(await store.linkPreviewImage(m.id)).toBe('img');
      expect(await store.blobsInUse(['img'])).toEqual(new Set(['img']));
      // a preview of another link (the body was edited meanwhile) or of a deleted message is dropped
      const head = await store.headSeq();
      expect(
        await store.setLinkPreview({ messageId: m.id, preview: { ...preview, url: 'https://other.example/' }, imageKey: null, now: t(5) }),
      ).toEqual([]);
      expect(await store.setLinkPreview({ messageId: '999999', preview, imageKey: null, now: t(5) })).toEqual([]);
      expect(await store.headSeq()).toBe(head);
      // without an image
      const n = (await send(g.id, a, 'https://example.com/a')).message;
      await store.setLinkPreview({ messageId: n.id, preview, imageKey: null, now: t(4) });
      expect((await store.getMessage(n.id))!.linkPreview).toEqual(preview);
      expect(await store.linkPreviewImage(n.id)).toBeNull();
      // deleting releases the image
      expect((await del(m, a)).releasedBlobs).toEqual(['img']);
      expect(await store.linkPreviewImage(m.id)).toBeNull();
      expect(await store.setLinkPreview({ messageId: m.id, preview, imageKey: 'img', now: t(6) })).toEqual([]);
      expect((await store.getMessage(m.id))!.linkPreview).toBeNull();
    });

    it('an edit that changes the first link drops the old preview; one that keeps it keeps the preview', async () => {
      const { a, g } = await setup();
      const m = (await send(g.id, a, 'https://example.com/a')).message;
      const preview = { url: 'https://example.com/a', title: 'A', description: null, siteName: null, imageUrl: null };
      await store.setLinkPreview({ messageId: m.id, preview, imageKey: 'img', now: t(4) });
      const edit = (body: string) =>
        store.editMessage({ messageId: m.id, editorId: a.id, body, mentions: [], mentionsAll: false, now: t(5), windowSeconds: 0 });
      expect((await edit('https://example.com/a (fixed typo)')).message.linkPreview).toMatchObject({ url: preview.url });
      expect((await edit('now https://example.com/b')).message.linkPreview).toBeNull();
      expect(await store.linkPreviewImage(m.id)).toBeNull();
    });

    it('a deleted account’s uploads go with it', async () => {
      const { a, b, g } = await setup();
      const sent = await upload(g.id, b);
      const unsent = await upload(g.id, b);
      await send(g.id, b, 'x', { attachmentIds: [sent.id] });
      await store.removeMember(g.id, b.id, b.id);
      await store.deleteUser(b.id);
      expect(await store.getAttachment(sent.id)).toBeNull();
      expect(await store.getAttachment(unsent.id)).toBeNull();
      expect(await store.getAttachment((await upload(g.id, a)).id)).not.toBeNull();
    });
  });
}
