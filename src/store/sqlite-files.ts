import { AppError } from '../domain/errors.js';
import { idOrNone } from '../domain/ids.js';
import { decideAttachments } from '../domain/messages.js';
import { MAX_ATTACHMENTS } from '../domain/rules.js';
import { firstLink } from '../domain/search-text.js';
import type { Message, StoredEvent } from '../domain/types.js';
import { type AttachmentRow, type MessageRow, linkPreviewJson, storedAttachmentOf } from './message-rows.js';
import { type Int, truthy } from './rows.js';
import type { SqliteDb } from './sqlite-db.js';
import type { Store, StoredAttachment } from './store.js';

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * The files part of SqliteStore: upload records, binding them to a message,
 * link previews, and which blob keys are still referenced. Functions over one
 * SqliteDb; the callers run them inside their transactions.
 */

/** Bytes (files and thumbnails) stored by one user, and by everyone. */
function usage(d: SqliteDb, uploaderId: string): { mine: number; all: number } {
  const mine = d.get<{ n: Int }>('SELECT coalesce(sum(size + thumb_size), 0) AS n FROM attachments WHERE uploader_id = ?', uploaderId)!;
  const all = d.get<{ n: Int }>('SELECT coalesce(sum(size + thumb_size), 0) AS n FROM attachments')!;
  return { mine: Number(mine.n), all: Number(all.n) };
}

export function createAttachment(d: SqliteDb, input: Parameters<Store['createAttachment']>[0]): Promise<StoredAttachment> {
  return d.tx(() => {
    const [conv, uploader] = [idOrNone(input.conversationId), idOrNone(input.uploaderId)];
    if (!d.exists('SELECT 1 FROM conversations WHERE id = ?', conv)) throw new AppError('CONVERSATION_NOT_FOUND');
    if (!d.exists('SELECT 1 FROM users WHERE id = ?', uploader)) throw new AppError('USER_NOT_FOUND');
    const adds = input.size + input.thumbSize;
    const used = usage(d, uploader);
    if (used.mine + adds > input.quotaBytes) throw new AppError('UPLOAD_QUOTA_EXCEEDED');
    if (used.all + adds > input.totalBytes) throw new AppError('FILE_STORAGE_FULL');
    const row = d.get<AttachmentRow>(
      `INSERT INTO attachments (conv_id, uploader_id, name, type, size, width, height, blob_key, thumb_key, thumb_size, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
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
    )!;
    return storedAttachmentOf(row);
  });
}

export function getAttachment(d: SqliteDb, id: string): StoredAttachment | null {
  const r = d.get<AttachmentRow>('SELECT * FROM attachments WHERE id = ?', idOrNone(id));
  return r ? storedAttachmentOf(r) : null;
}

/** Checks (decideAttachments) the uploads a send names; only inside the send's transaction, before the message is written. */
export function checkAttachments(d: SqliteDb, ids: readonly string[], send: { conversationId: string; senderId: string }): void {
  if (ids.length === 0) return;
  // Past the bound nothing is read: the decision refuses on the count alone.
  const found =
    ids.length > MAX_ATTACHMENTS
      ? []
      : d.all<AttachmentRow>(`SELECT * FROM attachments WHERE id IN (${marks(ids.length)})`, ...ids.map(idOrNone));
  decideAttachments(ids, found.map(storedAttachmentOf), send);
}

/** Binds checked uploads to their message, in the order given. */
export function bindAttachments(d: SqliteDb, ids: readonly string[], messageId: Int): void {
  for (const [position, id] of ids.entries())
    d.run('UPDATE attachments SET message_id = ?, position = ? WHERE id = ?', messageId, position, id);
}

/** Of these keys, those an attachment (file or thumbnail) or a link preview refers to. */
export function blobsInUse(d: SqliteDb, keys: readonly string[]): Set<string> {
  const used = new Set<string>();
  // Chunks keep each statement under SQLite's parameter limit and its cache of prepared statements small.
  for (let i = 0; i < keys.length; i += 100) {
    const chunk = keys.slice(i, i + 100);
    const m = marks(chunk.length);
    for (const r of d.all<{ k: string }>(
      `SELECT blob_key AS k FROM attachments WHERE blob_key IN (${m})
       UNION SELECT thumb_key FROM attachments WHERE thumb_key IN (${m})
       UNION SELECT link_preview_image FROM messages WHERE link_preview_image IN (${m})`,
      ...chunk,
      ...chunk,
      ...chunk,
    ))
      used.add(r.k);
  }
  return used;
}

/** Of these keys (duplicates and nulls allowed), those nothing refers to any more. */
export function unreferenced(d: SqliteDb, keys: ReadonlyArray<string | null>): string[] {
  const unique = [...new Set(keys.filter((k): k is string => k !== null))];
  const used = blobsInUse(d, unique);
  return unique.filter((k) => !used.has(k));
}

/** Removes a message's files and link preview (its delete); the blob keys nothing else refers to. Only inside its transaction. */
export function releaseMessageFiles(d: SqliteDb, messageId: Int): string[] {
  const keys = d
    .all<{ blob_key: string; thumb_key: string | null }>(
      'DELETE FROM attachments WHERE message_id = ? RETURNING blob_key, thumb_key',
      messageId,
    )
    .flatMap((r) => [r.blob_key, r.thumb_key]);
  const image = d.get<{ k: string | null }>('SELECT link_preview_image AS k FROM messages WHERE id = ?', messageId)?.k ?? null;
  d.run('UPDATE messages SET link_preview = NULL, link_preview_image = NULL WHERE id = ?', messageId);
  return unreferenced(d, [...keys, image]);
}

export function deleteUnsentAttachments(d: SqliteDb, before: string): Promise<string[]> {
  return d.tx(() => {
    const rows = d.all<{ blob_key: string; thumb_key: string | null }>(
      'DELETE FROM attachments WHERE message_id IS NULL AND created_at < ? RETURNING blob_key, thumb_key',
      before,
    );
    return unreferenced(
      d,
      rows.flatMap((r) => [r.blob_key, r.thumb_key]),
    );
  });
}

/**
 * Stores a link preview unless the message is deleted or its first link is
 * no longer the preview's; `hydrateOne` gives the message as it now is for
 * message.updated. The previous preview image is not released here: the
 * sweep removes it once nothing refers to it.
 */
export function setLinkPreview(
  d: SqliteDb,
  input: Parameters<Store['setLinkPreview']>[0],
  hydrateOne: (id: Int) => Message,
): Promise<StoredEvent[]> {
  return d.tx(() => {
    const id = idOrNone(input.messageId);
    const r = d.get<MessageRow>('SELECT * FROM messages WHERE id = ?', id);
    if (!r || truthy(r.deleted) || firstLink(r.body) !== input.preview.url) return [];
    d.run('UPDATE messages SET link_preview = ?, link_preview_image = ? WHERE id = ?', linkPreviewJson(input.preview), input.imageKey, id);
    const message = hydrateOne(id);
    return [d.insertEvent({ type: 'message.updated', message }, message.conversationId, [], input.now)];
  });
}

export function linkPreviewImage(d: SqliteDb, messageId: string): string | null {
  return d.get<{ k: string | null }>('SELECT link_preview_image AS k FROM messages WHERE id = ?', idOrNone(messageId))?.k ?? null;
}
