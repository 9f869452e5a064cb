import type { Config } from '../config.js';
import type { Message } from '../domain/types.js';
import type { BlobStore } from '../files/blob-store.js';
import type { Hub } from '../hub/hub.js';
import type { Store } from '../store/store.js';

/**
 * OpenGraph previews of the first link of a message, fetched by the server
 * (never by clients) behind an SSRF guard, stored with the message.
 * SKELETON — issue 14's link-preview helper fills this.
 */
export class LinkPreviewer {
  constructor(
    protected readonly store: Store,
    protected readonly blobs: BlobStore,
    protected readonly hub: Hub,
    protected readonly config: Readonly<Config>,
  ) {}

  /** Called after a message is stored or edited; never blocks the send. */
  schedule(_message: Message): void {}

  /** Aborts fetches in flight. */
  async close(): Promise<void> {}
}
