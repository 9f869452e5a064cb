import type { Config } from '../config.js';
import { firstLink } from '../domain/search-text.js';
import type { LinkPreview, Message } from '../domain/types.js';
import type { BlobStore } from '../files/blob-store.js';
import { reencodeImage } from '../files/images.js';
import type { Hub } from '../hub/hub.js';
import type { Store } from '../store/store.js';
import { guardedGet, readBounded } from './guarded-fetch.js';
import { BlockedError, NetGuard } from './net-guard.js';
import { headEnded, summarizePage } from './opengraph.js';

/** Redirects followed per fetch (each re-checked by the guard). */
const MAX_REDIRECTS = 3;
/** The longest side of a stored preview image: a card, not a photo viewer. */
const IMAGE_MAX_SIDE = 600;
const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

/** How one link ended (counted in `stats()`). */
type Outcome = 'stored' | 'none' | 'stale' | 'blocked' | 'failed';

export interface PreviewStats {
  inFlight: number;
  waiting: number;
  /** Previews written with their message.updated. */
  stored: number;
  /** Pages with nothing to show: not HTML, not 2xx, no title. */
  none: number;
  /** Fetched, but the message was deleted or its link edited meanwhile: nothing written. */
  stale: number;
  /** Refused by the SSRF guard before any connection. */
  blocked: number;
  /** Network errors, timeouts, bad redirects. */
  failed: number;
  /** Links skipped because the queue was full. */
  dropped: number;
}

/** The logger's one method used here (Fastify's logger fits). */
export interface PreviewLog {
  debug(obj: object, msg: string): void;
}

/**
 * OpenGraph previews of the first link of a message, fetched by the server
 * (never by clients, who would tell every linked site who reads the chat)
 * behind the SSRF guard (net-guard.ts), stored with the message.
 *
 * Bounded everywhere: `linkPreviewConcurrency` fetches at once and as many
 * waiting, further links dropped (counted); one deadline
 * (`linkPreviewTimeoutMs`) for the page, its redirects and its image;
 * `linkPreviewMaxBytes` read of each. A preview never blocks or fails a send:
 * it arrives later as `message.updated`, or not at all (logged at debug).
 */
export class LinkPreviewer {
  /** Where skipped previews are told (the server sets its logger; silent until then). */
  log: PreviewLog = { debug: () => undefined };
  private readonly guard: NetGuard;
  private readonly waiting: Array<{ messageId: string; url: string }> = [];
  /** `messageId url` of every link fetching or waiting: an edit that keeps the link does not fetch it twice. */
  private readonly pending = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly closing = new AbortController();
  private readonly counts: Record<Outcome | 'dropped', number> = { stored: 0, none: 0, stale: 0, blocked: 0, failed: 0, dropped: 0 };

  constructor(
    protected readonly store: Store,
    protected readonly blobs: BlobStore,
    protected readonly hub: Hub,
    protected readonly config: Readonly<Config>,
  ) {
    this.guard = new NetGuard({ allowPrivate: config.linkPreviewAllowPrivate });
  }

  /** Called after a message is stored or edited; never blocks the send. */
  schedule(message: Message): void {
    if (!this.config.linkPreviews || this.closing.signal.aborted || message.deleted) return;
    const url = firstLink(message.body);
    const key = `${message.id} ${url}`;
    if (this.pending.has(key)) return;
    this.forgetWaiting(message.id); // edited: the link it had before is not worth fetching any more
    if (!url || message.linkPreview?.url === url) return;
    const job = { messageId: message.id, url };
    if (this.running.size < this.config.linkPreviewConcurrency) this.start(job);
    else if (this.waiting.length < this.config.linkPreviewConcurrency) this.waiting.push(job);
    else return void this.counts.dropped++;
    this.pending.add(key);
  }

  private forgetWaiting(messageId: string): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const job = this.waiting[i]!;
      if (job.messageId !== messageId) continue;
      this.waiting.splice(i, 1);
      this.pending.delete(`${job.messageId} ${job.url}`);
    }
  }

  stats(): PreviewStats {
    return { inFlight: this.running.size, waiting: this.waiting.length, ...this.counts };
  }

  /** Aborts fetches in flight, forgets the waiting ones, and resolves once nothing runs. */
  async close(): Promise<void> {
    this.closing.abort();
    for (const job of this.waiting.splice(0)) this.pending.delete(`${job.messageId} ${job.url}`);
    await Promise.allSettled([...this.running]);
  }

  private start(job: { messageId: string; url: string }): void {
    const signal = AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.config.linkPreviewTimeoutMs)]);
    const run: Promise<void> = this.preview(job, signal)
      .catch((err: unknown): Outcome => {
        this.log.debug({ err, messageId: job.messageId, url: job.url }, 'link preview skipped');
        return err instanceof BlockedError ? 'blocked' : 'failed';
      })
      .then((outcome) => {
        this.counts[outcome]++;
        this.running.delete(run);
        this.pending.delete(`${job.messageId} ${job.url}`);
        const next = this.waiting.shift();
        if (next && !this.closing.signal.aborted) this.start(next);
      });
    this.running.add(run);
  }

  private async preview(job: { messageId: string; url: string }, signal: AbortSignal): Promise<Outcome> {
    const page = await guardedGet(job.url, {
      guard: this.guard,
      signal,
      accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1',
      maxRedirects: MAX_REDIRECTS,
    });
    if (page.status < 200 || page.status > 299 || !HTML_TYPES.has(page.type)) {
      page.body.destroy();
      return 'none';
    }
    const { bytes } = await readBounded(page.body, this.config.linkPreviewMaxBytes, headEnded);
    const summary = summarizePage(bytes, page.charset, page.url);
    if (!summary.title) return 'none';
    const imageKey = summary.image ? await this.storeImage(summary.image, signal, job.messageId) : null;
    const preview: LinkPreview = {
      url: job.url,
      title: summary.title,
      description: summary.description,
      siteName: summary.siteName,
      imageUrl: imageKey ? `/api/v1/messages/${job.messageId}/preview-image` : null,
    };
    // Closing: the store may be closing too; the link is simply not previewed. (A deadline that passed while
    // fetching the image still leaves the text worth storing.)
    this.closing.signal.throwIfAborted();
    const events = await this.store.setLinkPreview({ messageId: job.messageId, preview, imageKey, now: new Date().toISOString() });
    // An image stored for a preview that was not written is referred to by nothing: the file sweep removes it.
    if (events.length === 0) return 'stale';
    await this.hub.committed(events);
    return 'stored';
  }

  /** The page's image, fetched through the same guard, re-encoded (no metadata, bounded size) and stored; null when that fails. */
  private async storeImage(url: string, signal: AbortSignal, messageId: string): Promise<string | null> {
    try {
      const res = await guardedGet(url, { guard: this.guard, signal, accept: 'image/*', maxRedirects: MAX_REDIRECTS });
      if (res.status < 200 || res.status > 299) {
        res.body.destroy();
        return null;
      }
      const { bytes, truncated } = await readBounded(res.body, this.config.linkPreviewMaxBytes);
      if (truncated) return null;
      const image = await reencodeImage(bytes, { maxPixels: this.config.maxImagePixels, maxSide: IMAGE_MAX_SIDE });
      return await this.blobs.put(image.bytes);
    } catch (err) {
      if (this.closing.signal.aborted) throw err;
      this.log.debug({ err, messageId, url }, 'link preview image skipped');
      return null;
    }
  }
}
