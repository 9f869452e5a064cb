import { Backoff, sleep } from './backoff.js';
import type { UploadFile, UploadOptions } from './files.js';
import { newClientMsgId, retryDelay } from './requests.js';
import { StreamClient } from './stream.js';
import { HubbubError, type Attachment, type Message, type SearchPage, type SearchParams } from './types.js';

export type { ClientEvents, HubbubClientOptions } from './options.js';

/**
 * A hubbub connection: the REST API (`api`), the user's stream (see
 * StreamClient), and requests that ride the WebSocket when it is open and
 * HTTP otherwise, retried until the server answers. See docs/sdk.md.
 */
export class HubbubClient extends StreamClient {
  /**
   * Sends a message and resolves to it as stored. Retries — over the
   * WebSocket when it is open, otherwise by POST — with the same clientMsgId
   * until the server answers, so a message is stored exactly once however
   * often the connection drops. Rejects on a refusal (not a member, too long…).
   * `attachments`: ids from `upload()` (at most 10); with them the body may be ''.
   */
  send(
    conversationId: string,
    body: string,
    opts: { clientMsgId?: string; replyTo?: string | null; attachments?: string[] } = {},
  ): Promise<Message> {
    const clientMsgId = opts.clientMsgId ?? newClientMsgId();
    const replyTo = opts.replyTo ?? undefined;
    const attachments = opts.attachments?.length ? opts.attachments : undefined;
    return this.retrying(
      { type: 'send', conversationId, body, clientMsgId, ...(replyTo ? { replyTo } : {}), ...(attachments ? { attachments } : {}) },
      async () => (await this.api.sendMessage(conversationId, body, clientMsgId, replyTo, attachments)).message,
    );
  }

  /**
   * Uploads a file to a conversation, with progress (`onProgress(sent, total)`)
   * and cancelling (`signal`); resolves to the attachment to pass to `send`.
   * One attempt: a refusal (FILE_TOO_LARGE …) or a lost connection rejects.
   */
  upload(conversationId: string, file: UploadFile, opts: UploadOptions = {}): Promise<Attachment> {
    return this.api.upload(conversationId, file, opts);
  }

  /** Searches the messages you can read (see SearchParams); one attempt. */
  search(params: SearchParams, opts: { signal?: AbortSignal } = {}): Promise<SearchPage> {
    return this.api.search(params, opts);
  }

  /**
   * Edits one of your messages; resolves to it as it is now. An edit is
   * idempotent (the same body again changes nothing), so it is retried like
   * a send; refusals (NOT_YOUR_MESSAGE, MESSAGE_DELETED, EDIT_WINDOW_PASSED…) reject.
   */
  edit(messageId: string, body: string): Promise<Message> {
    return this.retrying({ type: 'edit', messageId, body }, () => this.api.editMessage(messageId, body));
  }

  /** Deletes a message for everyone; resolves to its tombstone. Deleting twice is not an error. */
  deleteMessage(messageId: string): Promise<Message> {
    return this.retrying({ type: 'delete', messageId }, () => this.api.deleteMessage(messageId));
  }

  /** Adds (`on` true) or removes your `emoji` reaction; resolves to the message with its reactions. */
  react(messageId: string, emoji: string, on = true): Promise<Message> {
    return this.retrying({ type: 'react', messageId, emoji, on }, () =>
      on ? this.api.addReaction(messageId, emoji) : this.api.removeReaction(messageId, emoji),
    );
  }

  /** Says "I am typing" in a conversation (best effort: rate limits and failures are ignored). */
  typing(conversationId: string): void {
    const ref = this.requests.nextRef();
    if (this.current?.request({ type: 'typing', ref, conversationId })) return;
    this.api.typing(conversationId).catch(() => undefined);
  }

  /** Moves the read pointer to message `upTo`. */
  async markRead(conversationId: string, upTo: string): Promise<void> {
    if (await this.requestOverWs({ type: 'read', conversationId, upTo })) return;
    await this.api.markRead(conversationId, upTo);
  }

  /**
   * One idempotent request, tried over the WebSocket when it is open and by
   * HTTP otherwise, again and again while the failure is retryable (network,
   * 5xx, RATE_LIMITED, a dropped socket), waiting at least any Retry-After.
   */
  private async retrying(frame: Record<string, unknown>, overHttp: () => Promise<Message>): Promise<Message> {
    const backoff = new Backoff({ baseMs: 200, maxMs: 5000 });
    for (;;) {
      try {
        const viaWs = await this.requestOverWs(frame);
        if (viaWs) return viaWs.message as Message;
        return await overHttp();
      } catch (err) {
        if (!(err instanceof HubbubError) || !err.retryable) throw err;
        await sleep(retryDelay(backoff, err));
      }
    }
  }
}
