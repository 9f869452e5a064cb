import type { LinkPreview, Message, StoredEvent } from '../domain/types.js';

/**
 * The Store's part for files and search (issue 14), apart so that store.ts
 * stays one screen of the core: the records that refer to file bytes (the
 * bytes themselves are src/files/'s), link previews, and the search index.
 * The same invariants hold (see Store): a write that returns events has
 * committed them; a refused write changes nothing.
 */
/** An uploaded file's record; its bytes live in the file store (src/files/) under `blobKey`. */
export interface StoredAttachment {
  id: string;
  conversationId: string;
  uploaderId: string;
  /** Null until a message carries it. */
  messageId: string | null;
  name: string;
  type: string;
  size: number;
  width: number | null;
  height: number | null;
  /** Content address (sha256 hex) of the stored bytes; of the thumbnail for images. */
  blobKey: string;
  thumbKey: string | null;
  /** Bytes of the thumbnail (counted against quotas with `size`). */
  thumbSize: number;
  createdAt: string;
}

/** A search over the messages one user can read (Store.searchMessages). */
export interface SearchQuery {
  userId: string;
  /** The user's words as typed; the store indexes and matches through src/domain/search-text.ts. '' = filters only. */
  text: string;
  conversationId?: string | null;
  senderId?: string | null;
  /** ISO instants bounding createdAt (exclusive). */
  before?: string | null;
  after?: string | null;
  has?: 'file' | 'link' | null;
  /** Paging: only messages with an id below this one. */
  beforeId?: string | null;
  limit: number;
}

export interface FileRecords {
  // ── files ──────────────────────────────────────────────────────────────
  /**
   * Records an uploaded file whose bytes are already in the file store.
   * Decided in the write's transaction against the sums of stored sizes (so
   * concurrent uploads cannot overshoot): UPLOAD_QUOTA_EXCEEDED when the
   * uploader's files would pass `quotaBytes`, FILE_STORAGE_FULL when all files
   * would pass `totalBytes`. No event: nobody learns of a file before it is sent.
   */
  createAttachment(input: {
    conversationId: string;
    uploaderId: string;
    name: string;
    type: string;
    size: number;
    width: number | null;
    height: number | null;
    blobKey: string;
    thumbKey: string | null;
    thumbSize: number;
    now: string;
    quotaBytes: number;
    totalBytes: number;
  }): Promise<StoredAttachment>;
  getAttachment(id: string): Promise<StoredAttachment | null>;
  /** Removes files never sent, uploaded before `before` (ISO); returns the blob keys no attachment refers to any more. */
  deleteUnsentAttachments(before: string): Promise<string[]>;
  /** Of these blob keys, those that some attachment or link preview still refers to (the file store's sweep keeps them). */
  blobsInUse(keys: readonly string[]): Promise<Set<string>>;
  /**
   * Stores the preview of a message's first link and writes `message.updated`,
   * unless the message is deleted or its first link is no longer `preview.url`
   * (edited meanwhile): then nothing (no event). `imageKey` is the blob of the
   * preview's image, kept while the message refers to it.
   */
  setLinkPreview(input: { messageId: string; preview: LinkPreview; imageKey: string | null; now: string }): Promise<StoredEvent[]>;
  /** The blob key of a message's link-preview image, or null. */
  linkPreviewImage(messageId: string): Promise<string | null>;
}

export interface SearchIndex {
  /**
   * Messages the user can read — exactly those of their stream: sent while
   * they were a member (membership spans, by the message's position), not
   * deleted — matching the text and filters, newest first, at most `limit`.
   * Both dialects return the same messages for the same data (contract suite):
   * each indexes the terms src/domain/search-text.ts computes, in the same
   * transaction as the append, edit or delete. Text with no searchable term
   * (only emoji or punctuation) matches nothing; '' lists by the filters.
   */
  searchMessages(q: SearchQuery): Promise<Message[]>;
}
