import type { Attachment } from '../types';

/**
 * The files waiting in a composer, as chips: each uploads on its own as soon
 * as it is picked, pasted or dropped, and is sent with the next message once
 * uploaded. Pure functions over a list (the input is never changed), so the
 * rules — at most 10, what Send waits for, how a refusal reads — are tested
 * in Node (test/unit/web-uploads.test.ts); state/upload-queue.ts runs them.
 */

/** A message carries at most this many files (the server's TOO_MANY_ATTACHMENTS). */
export const MAX_FILES = 10;

export interface PendingUpload {
  /** Local id of the chip. */
  key: string;
  name: string;
  size: number;
  type: string;
  /** Bytes of the request sent and its total (the multipart body: a little more than the file). */
  sent: number;
  total: number;
  status: 'uploading' | 'done' | 'failed';
  attachment: Attachment | null;
  code: string | null;
  /** What the chip says when the upload failed. */
  error: string | null;
}

export interface FileInfo {
  name: string;
  size: number;
  type: string;
}

/** Files appended as uploading chips, up to MAX_FILES in all; `refused` = how many did not fit. */
export function added(
  list: readonly PendingUpload[],
  files: readonly FileInfo[],
  keys: readonly string[],
): { list: PendingUpload[]; refused: number } {
  const room = Math.max(0, MAX_FILES - list.length);
  const taken = files.slice(0, room).map(
    (f, i): PendingUpload => ({
      key: keys[i]!,
      name: f.name || 'file',
      size: f.size,
      type: f.type,
      sent: 0,
      total: f.size,
      status: 'uploading',
      attachment: null,
      code: null,
      error: null,
    }),
  );
  return { list: [...list, ...taken], refused: files.length - taken.length };
}

function changed(list: readonly PendingUpload[], key: string, patch: (u: PendingUpload) => Partial<PendingUpload>): PendingUpload[] {
  return list.map((u) => (u.key === key ? { ...u, ...patch(u) } : u));
}

export function progressed(list: readonly PendingUpload[], key: string, sent: number, total: number): PendingUpload[] {
  return changed(list, key, (u) => (u.status === 'uploading' ? { sent, total } : {}));
}

export function uploaded(list: readonly PendingUpload[], key: string, attachment: Attachment): PendingUpload[] {
  return changed(list, key, (u) => ({ status: 'done', attachment, sent: u.total }));
}

export function uploadFailed(list: readonly PendingUpload[], key: string, code: string, message: string): PendingUpload[] {
  return changed(list, key, () => ({ status: 'failed', code, error: uploadErrorText(code, message) }));
}

export function removed(list: readonly PendingUpload[], key: string): PendingUpload[] {
  return list.filter((u) => u.key !== key);
}

/** Whole percent for the progress bar (the multipart total may undercount: capped at 100). */
export function percent(u: PendingUpload): number {
  if (u.status === 'done') return 100;
  if (u.total <= 0) return 0;
  return Math.min(100, Math.floor((u.sent / u.total) * 100));
}

export function uploading(list: readonly PendingUpload[]): boolean {
  return list.some((u) => u.status === 'uploading');
}

/** The uploaded files, in the order they were added: what the next message carries. */
export function readyAttachments(list: readonly PendingUpload[]): Attachment[] {
  return list.filter((u) => u.status === 'done' && u.attachment).map((u) => u.attachment!);
}

/** Send is possible with text or an uploaded file, once nothing is still uploading (failed chips are left out). */
export function canSend(text: string, list: readonly PendingUpload[]): boolean {
  if (uploading(list)) return false;
  return text.trim() !== '' || readyAttachments(list).length > 0;
}

/** Short chip texts for the refusals a person can act on (docs/api.md has the full catalog). */
const REFUSALS: Record<string, string> = {
  FILE_TOO_LARGE: 'Too large for this server',
  FILE_EMPTY: 'The file is empty',
  IMAGE_UNREADABLE: 'Not a readable image',
  IMAGE_TOO_LARGE: 'The image has too many pixels',
  UPLOAD_QUOTA_EXCEEDED: 'Your file quota is full',
  FILE_STORAGE_FULL: 'The server has no room for files',
  RATE_LIMITED: 'Too many uploads: wait a moment',
  NOT_A_MEMBER: 'You are not a member here',
  NETWORK: 'No connection: remove and try again',
  ABORTED: 'Cancelled',
};

export function uploadErrorText(code: string, message: string): string {
  return REFUSALS[code] ?? message;
}
