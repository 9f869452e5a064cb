import type { Config } from '../config.js';
import type { BlobStore } from '../files/blob-store.js';
import type { Store } from '../store/store.js';
import type { ChatService } from './chat.js';

/**
 * Files in conversations: upload (sniff, re-encode images, thumbnail, bounds),
 * who may fetch what, and removing bytes nothing refers to any more.
 * SKELETON — issue 14's files helper fills this.
 */
export class AttachmentService {
  constructor(
    protected readonly store: Store,
    protected readonly blobs: BlobStore,
    protected readonly chat: ChatService,
    protected readonly config: Readonly<Config>,
  ) {}

  /** Stops the sweep of unsent uploads and unreferenced blobs. */
  async close(): Promise<void> {}
}
