import { AppError } from '../domain/errors.js';
import { idOrNone } from '../domain/ids.js';
import { decideAttachments } from '../domain/messages.js';
import { MAX_ATTACHMENTS } from '../domain/rules.js';
import { firstLink } from '../domain/search-text.js';
import type { StoredEvent } from '../domain/types.js';
import { type AttachmentRow, type MessageRow, linkPreviewJson, storedAttachmentOf } from './message-rows.js';
import { type Db, type PgDb, all, exists, get } from './postgres-db.js';
import { hydrate } from './postgres-hydrate.js';
import { type Int, truthy } from './rows.js';
import type { Store, StoredAttachment } from './store.js';

/**
 * The files part of PostgresStore: upload records (decided under the files
 * lock, PgDb.filesTx), binding them to messages (in the append batch, under
 * the log lock), link previews, and which blob keys are still referenced.
 */

export function createAttachment(p: PgDb, input: Parameters<Store['createAttachment']>[0]): Promise<StoredAttachment> {
  return p.filesTx(async (db) => {
    const [conv, uploader] = [idOrNone(input.conversationId), idOrNone(input.uploaderId)];
    if (!(await exists(db, 'SELECT 1 FROM conversations WHERE id = $1', [conv]))) throw new AppError('CONVERSATION_NOT_FOUND');
    if (!(await exists(db, 'SELECT 1 FROM users WHERE id = $1', [uploader]))) throw new AppError('USER_NOT_FOUND');
    const used = (await get<{ mine: Int; all: Int }>(
      db,
      `SELECT (SELECT coalesce(sum(size + thumb_size), 0) FROM attachments WHERE uploader_id = $1) AS mine,
              (SELECT coalesce(sum(size + thumb_size), 0) FROM attachments) AS all`,
      [uploader],
    ))!;
    const adds = input.size + input.thumbSize;
    if (Number(used.mine) + adds > input.quotaBytes) throw new AppError('UPLOAD_QUOTA_EXCEEDED');
    if (Number(used.all) + adds > input.totalBytes) throw new AppError('FILE_STORAGE_FULL');
    const row = await get<AttachmentRow>(
      db,
      `INSERT INTO attachments (conv_id, uploader_id, name, type, size, width, height, blob_key, thumb_key, thumb_size, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
      [
        conv,
        uploader,
        input.name,
        input.type,
        input.size,
        input.width,
        input.height,
        input.blobKey,
        input.thumbKey,
        input.thumbSize,
        input.now,
      ],
    );
    return storedAttachmentOf(row!);
  });
}

export async function getAttachment(db: Db, id: string): Promise<StoredAttachment | null> {
  const r = await get<AttachmentRow>(db, 'SELECT * FROM attachments WHERE id = $1', [idOrNone(id)]);
  return r ? storedAttachmentOf(r) : null;
}

export interface FileSend {
  conversationId: string;
  senderId: string;
  attachmentIds: readonly string[];
}

/**
 * Decides (decideAttachments) the uploads of each send of an append batch,
 * under the log lock, with the rows locked until commit: the refusal of each
 * (null where it may go), and the rows by id. A file named by an earlier send
 * of the same batch counts as sent.
 */
export async function checkBatchAttachments(
  db: Db,
  sends: ReadonlyArray<FileSend | null>,
): Promise<{ refusals: Array<AppError | null>; rows: Map<string, StoredAttachment> }> {
  const wanted = [...new Set(sends.flatMap((s) => (s && s.attachmentIds.length <= MAX_ATTACHMENTS ? s.attachmentIds.map(idOrNone) : [])))];
  const found =
    wanted.length === 0
      ? []
      : (await all<AttachmentRow>(db, 'SELECT * FROM attachments WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [wanted])).map(
          storedAttachmentOf,
        );
  const rows = new Map(found.map((a) => [a.id, a]));
  const claimed = new Set<string>();
  const refusals = sends.map((s) => {
    if (!s || s.attachmentIds.length === 0) return null;
    try {
      const facts = s.attachmentIds.flatMap((id) => {
        const a = rows.get(id);
        return a ? [{ ...a, messageId: claimed.has(id) ? 'this batch' : a.messageId }] : [];
      });
      decideAttachments(s.attachmentIds, facts, s);
      for (const id of s.attachmentIds) claimed.add(id);
      return null;
    } catch (err) {
      if (err instanceof AppError) return err;
      throw err;
    }
  });
  return { refusals, rows };
}

/** Binds checked uploads to the messages that were stored, each in its message's order. */
export async function bindAttachments(
  db: Db,
  binds: ReadonlyArray<{ messageId: string; attachmentIds: readonly string[] }>,
): Promise<void> {
  const ids: string[] = [];
  const messages: string[] = [];
  const positions: number[] = [];
  for (const b of binds)
    b.attachmentIds.forEach((id, i) => {
      ids.push(id);
      messages.push(b.messageId);
      positions.push(i);
    });
  if (ids.length === 0) return;
  await db.query(
    `UPDATE attachments a SET message_id = x.m, position = x.p
     FROM unnest($1::bigint[], $2::bigint[], $3::int[]) AS x(id, m, p) WHERE a.id = x.id`,
    [ids, messages, positions],
  );
}

export async function blobsInUse(db: Db, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await all<{ k: string }>(
    db,
    `SELECT blob_key AS k FROM attachments WHERE blob_key = ANY($1::text[])
     UNION SELECT thumb_key FROM attachments WHERE thumb_key = ANY($1::text[])
     UNION SELECT link_preview_image FROM messages WHERE link_preview_image = ANY($1::text[])`,
    [[...keys]],
  );
  return new Set(rows.map((r) => r.k));
}

/** Of these keys (duplicates and nulls allowed), those nothing refers to any more. */
async function unreferenced(db: Db, keys: ReadonlyArray<string | null>): Promise<string[]> {
  const unique = [...new Set(keys.filter((k): k is string => k !== null))];
  const used = await blobsInUse(db, unique);
  return unique.filter((k) => !used.has(k));
}

/** Removes a message's files and link preview (its delete); the blob keys nothing else refers to. Only inside its transaction. */
export async function releaseMessageFiles(db: Db, messageId: Int): Promise<string[]> {
  const files = await all<{ blob_key: string; thumb_key: string | null }>(
    db,
    'DELETE FROM attachments WHERE message_id = $1 RETURNING blob_key, thumb_key',
    [messageId],
  );
  const image = await get<{ k: string | null }>(db, 'SELECT link_preview_image AS k FROM messages WHERE id = $1', [messageId]);
  await db.query('UPDATE messages SET link_preview = NULL, link_preview_image = NULL WHERE id = $1', [messageId]);
  return unreferenced(db, [...files.flatMap((r) => [r.blob_key, r.thumb_key]), image?.k ?? null]);
}

export function deleteUnsentAttachments(p: PgDb, before: string): Promise<string[]> {
  return p.tx(async (db) => {
    const rows = await all<{ blob_key: string; thumb_key: string | null }>(
      db,
      'DELETE FROM attachments WHERE message_id IS NULL AND created_at < $1 RETURNING blob_key, thumb_key',
      [before],
    );
    return unreferenced(
      db,
      rows.flatMap((r) => [r.blob_key, r.thumb_key]),
    );
  });
}

/** As sqlite-files.ts's: under the log lock, since it writes message.updated. */
export function setLinkPreview(p: PgDb, input: Parameters<Store['setLinkPreview']>[0]): Promise<StoredEvent[]> {
  return p.logTx(async (db) => {
    const id = idOrNone(input.messageId);
    const r = await get<MessageRow>(db, 'SELECT * FROM messages WHERE id = $1', [id]);
    if (!r || truthy(r.deleted) || firstLink(r.body) !== input.preview.url) return [];
    const updated = await get<MessageRow>(db, 'UPDATE messages SET link_preview = $1, link_preview_image = $2 WHERE id = $3 RETURNING *', [
      linkPreviewJson(input.preview),
      input.imageKey,
      id,
    ]);
    const [message] = await hydrate(db, [updated!]);
    return [await p.insertEvent(db, { type: 'message.updated', message: message! }, message!.conversationId, [], input.now)];
  });
}

export async function linkPreviewImage(db: Db, messageId: string): Promise<string | null> {
  return (
    (await get<{ k: string | null }>(db, 'SELECT link_preview_image AS k FROM messages WHERE id = $1', [idOrNone(messageId)]))?.k ?? null
  );
}
