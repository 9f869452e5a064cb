import { reactive } from 'vue';
import { errorInfo, sdk } from '../sdk';
import type { Attachment } from '../types';
import { toast } from './toasts';
import { added, MAX_FILES, progressed, readyAttachments, removed, uploaded, uploadFailed, type PendingUpload } from './uploads';

/**
 * The files waiting in each conversation's composer (kept per conversation,
 * like drafts): each starts uploading as soon as it is added, with its
 * progress, and can be removed (which cancels it). The rules are the pure
 * functions of uploads.ts; this module runs the uploads through the SDK.
 */
const pending = reactive<Record<string, PendingUpload[]>>({});
const controllers = new Map<string, AbortController>();
let counter = 0;

export function filesOf(conversationId: string): PendingUpload[] {
  return pending[conversationId] ?? [];
}

function update(conversationId: string, f: (list: PendingUpload[]) => PendingUpload[]): void {
  pending[conversationId] = f(filesOf(conversationId));
}

/** Picked, pasted or dropped files: a chip each, uploading at once; past MAX_FILES the rest are left out (said in a toast). */
export function attachFiles(conversationId: string, files: readonly File[]): void {
  if (!files.length) return;
  const keys = files.map(() => `u${++counter}`);
  const r = added(filesOf(conversationId), files, keys);
  pending[conversationId] = r.list;
  if (r.refused) toast(`A message carries at most ${MAX_FILES} files: ${r.refused} left out.`, 'error');
  files.slice(0, files.length - r.refused).forEach((f, i) => void upload(conversationId, keys[i]!, f));
}

async function upload(conversationId: string, key: string, file: File): Promise<void> {
  const ctl = new AbortController();
  controllers.set(key, ctl);
  try {
    const a = await sdk.upload(conversationId, file, {
      signal: ctl.signal,
      onProgress: (sent, total) => update(conversationId, (l) => progressed(l, key, sent, total)),
    });
    update(conversationId, (l) => uploaded(l, key, a));
  } catch (err) {
    const info = errorInfo(err);
    // Removed by the reader: the chip is gone already.
    if (!ctl.signal.aborted) update(conversationId, (l) => uploadFailed(l, key, info.code, info.message));
  } finally {
    controllers.delete(key);
  }
}

/** Takes a chip away, cancelling its upload (an upload never sent is deleted by the server after a while). */
export function removeUpload(conversationId: string, key: string): void {
  controllers.get(key)?.abort();
  update(conversationId, (l) => removed(l, key));
}

/** The uploaded files for the message being sent; their chips go, failed ones stay with their reason. */
export function takeReady(conversationId: string): Attachment[] {
  const list = filesOf(conversationId);
  pending[conversationId] = list.filter((u) => u.status !== 'done');
  return readyAttachments(list);
}
