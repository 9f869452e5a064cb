import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import { isId } from '../domain/ids.js';
import type { Attachment, User } from '../domain/types.js';
import type { BlobStore } from '../files/blob-store.js';
import { INLINE_IMAGE_TYPES, processUpload, THUMBNAIL_TYPE } from '../files/images.js';
import { sniffType, UNKNOWN_TYPE } from '../files/sniff.js';
import { BLOB_GRACE_MS, BlobSweep } from '../files/sweep.js';
import { attachmentOf } from '../store/message-rows.js';
import type { Store } from '../store/store.js';
import type { ChatService } from './chat.js';
import { WindowLimiter } from './typing.js';

/** Between sweeps of expired uploads and unreferenced blobs. */
const DEFAULT_SWEEP_MS = 10 * 60_000;

export interface AttachmentServiceOptions {
  /** Between sweeps; null: only when `sweep.run()` is called (tests). */
  sweepIntervalMs?: number | null;
  /** Wall clock, ms since the epoch. */
  now?: () => number;
}

/** Stored bytes someone may fetch, and how. */
export interface ServableBlob {
  key: string;
  /** The sniffed type as stored; the HTTP layer decides what it is served as. */
  type: string;
  /** The name offered for download. */
  name: string;
  /** Anyone may read it (a public room's file): shared caches may keep it. */
  public: boolean;
}

/**
 * Files in conversations: upload (sniff, re-encode images, thumbnail, bounds),
 * who may fetch what, and removing bytes nothing refers to any more (after a
 * delete, and by the sweep it runs).
 *
 * Who may fetch: a sent file, whoever may read its conversation now (anyone
 * for a room; current members otherwise); an upload not yet sent, its
 * uploader alone. Unsent uploads of others answer ATTACHMENT_NOT_FOUND, as
 * ids that do not exist do.
 */
export class AttachmentService {
  readonly sweep: BlobSweep;
  private readonly uploadsPerUser: WindowLimiter;
  private readonly now: () => number;
  /** Uploads refused by the per-user rate (for metrics). */
  rateLimitHits = 0;
  /** Told of a sweep that failed (a database outage); the next one tries again. */
  onSweepError: (err: unknown) => void = () => undefined;

  constructor(
    protected readonly store: Store,
    protected readonly blobs: BlobStore,
    protected readonly chat: ChatService,
    protected readonly config: Readonly<Config>,
    opts: AttachmentServiceOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.uploadsPerUser = new WindowLimiter(config.rateLimits.uploads, 60_000);
    this.sweep = new BlobSweep(store, blobs, {
      unsentUploadHours: config.unsentUploadHours,
      intervalMs: opts.sweepIntervalMs === undefined ? DEFAULT_SWEEP_MS : opts.sweepIntervalMs,
      now: this.now,
      onError: (err) => this.onSweepError(err),
    });
    this.sweep.start();
  }

  /**
   * What is decided before the body is read, so a refused upload costs
   * neither bandwidth nor memory: the per-user rate (RATE_LIMITED), then
   * whether the caller may post here (CONVERSATION_NOT_FOUND, NOT_A_MEMBER,
   * FRIENDSHIP_REQUIRED: a file goes where its sender may post).
   */
  async admit(me: User, conversationId: string): Promise<void> {
    if (!this.uploadsPerUser.take(me.id)) {
      this.rateLimitHits++;
      throw new AppError('RATE_LIMITED', 'Too many uploads from this account; slow down.');
    }
    await this.chat.mayPost(me, conversationId);
  }

  /**
   * Stores an upload (after admit): processUpload (FILE_EMPTY,
   * IMAGE_UNREADABLE, IMAGE_TOO_LARGE), the bytes and thumbnail, then the
   * row, which the store refuses past the quota or the node's total
   * (UPLOAD_QUOTA_EXCEEDED, FILE_STORAGE_FULL). Whatever refuses it, nothing
   * is left: the bytes stored for it are deleted again, unless the same
   * bytes were put again meanwhile (another upload is about to use them).
   */
  async upload(me: User, conversationId: string, file: { bytes: Buffer; name: string }): Promise<Attachment> {
    const processed = await processUpload(file.bytes, file.name, { maxPixels: this.config.maxImagePixels });
    const since = this.now();
    const keys: string[] = [];
    try {
      keys.push(await this.blobs.put(processed.bytes));
      if (processed.thumb) keys.push(await this.blobs.put(processed.thumb));
      const stored = await this.store.createAttachment({
        conversationId,
        uploaderId: me.id,
        name: processed.name,
        type: processed.type,
        size: processed.bytes.length,
        width: processed.width,
        height: processed.height,
        blobKey: keys[0]!,
        thumbKey: keys[1] ?? null,
        thumbSize: processed.thumb?.length ?? 0,
        now: new Date(this.now()).toISOString(),
        quotaBytes: this.config.uploadQuotaBytes,
        totalBytes: this.config.filesTotalBytes,
      });
      return attachmentOf(stored);
    } catch (err) {
      // If this fails too, the sweep removes the bytes within the hour.
      await this.blobs.delete(keys, { exceptPutAgainSince: since }).catch(() => undefined);
      throw err;
    }
  }

  /** A file, or its thumbnail, for `viewer` (null: logged out). */
  async file(viewer: User | null, attachmentId: string, which: 'file' | 'thumbnail'): Promise<ServableBlob> {
    const a = isId(attachmentId) ? await this.store.getAttachment(attachmentId) : null;
    if (!a) throw new AppError('ATTACHMENT_NOT_FOUND');
    let isPublic = false;
    if (a.messageId === null) {
      if (!viewer) throw new AppError('AUTH_REQUIRED');
      if (viewer.id !== a.uploaderId) throw new AppError('ATTACHMENT_NOT_FOUND');
    } else {
      isPublic = (await this.chat.readableKind(viewer, a.conversationId)) === 'room';
    }
    if (which === 'file') return { key: a.blobKey, type: a.type, name: a.name, public: isPublic };
    if (!a.thumbKey) throw new AppError('ATTACHMENT_NOT_FOUND', 'This file has no thumbnail (only images do).');
    return { key: a.thumbKey, type: THUMBNAIL_TYPE, name: `${a.name.replace(/\.[^.]*$/, '')}-thumbnail.webp`, public: isPublic };
  }

  /** The stored image of a message's link preview, readable as the message's conversation is. */
  async previewImage(viewer: User | null, messageId: string): Promise<ServableBlob> {
    const m = isId(messageId) ? await this.store.getMessage(messageId) : null;
    if (!m || m.deleted) throw new AppError('MESSAGE_NOT_FOUND');
    const isPublic = (await this.chat.readableKind(viewer, m.conversationId)) === 'room';
    const key = await this.store.linkPreviewImage(messageId);
    const head = key ? await this.blobs.read(key, { start: 0, end: 63 }) : null;
    if (!key || !head) throw new AppError('NOT_FOUND', 'This message has no preview image.');
    // Stored by reencodeImage (JPEG or PNG); the bytes say which.
    const sniffed = (await sniffType(head))?.mime ?? UNKNOWN_TYPE;
    const type = INLINE_IMAGE_TYPES.has(sniffed) ? sniffed : UNKNOWN_TYPE;
    return { key, type, name: `preview-${messageId}.${type === 'image/png' ? 'png' : 'jpg'}`, public: isPublic };
  }

  /** The size of stored bytes someone was allowed to fetch (file, thumbnail), or null when gone. */
  blobSize(key: string): Promise<number | null> {
    return this.blobs.size(key);
  }

  /** Stored bytes someone was allowed to fetch, whole or a range, or null when gone. */
  readBlob(key: string, range?: { start: number; end: number }): Promise<Buffer | null> {
    return this.blobs.read(key, range);
  }

  /**
   * Deletes the bytes a message delete left unreferenced (the store's
   * releasedBlobs), keeping any put again within the sweep's grace: an
   * upload of the same bytes may be about to refer to it. Never throws: what
   * is missed here, the sweep removes.
   */
  async release(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.blobs.delete(keys, { exceptPutAgainSince: this.now() - BLOB_GRACE_MS }).catch(() => undefined);
  }

  /** Stops the sweep of unsent uploads and unreferenced blobs. */
  async close(): Promise<void> {
    await this.sweep.stop();
  }
}
