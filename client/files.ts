import { answerOf, type RestCore } from './rest-core.js';
import { HubbubError, type Attachment } from './types.js';

/** A file to upload: a browser `File`, or any `Blob` (Node 20 has both); the name comes from the file or `opts.name`. */
export type UploadFile = Blob & { name?: string };

export interface UploadOptions {
  /**
   * Bytes of the request sent so far and its total, as the upload goes. In
   * browsers (XMLHttpRequest) it is called many times; with fetch (Node),
   * which reports no upload progress, once at the start and once at the end.
   */
  onProgress?: (sent: number, total: number) => void;
  /** Aborting rejects with ABORTED; the server keeps nothing of a request it did not finish reading. */
  signal?: AbortSignal;
  /** The file name to give when `file` has none (a Blob). */
  name?: string;
}

interface RawAnswer {
  status: number;
  text: string;
  retryAfter: string | null;
}

type XhrCtor = new () => XMLHttpRequest;

/**
 * Uploads one file to a conversation (multipart/form-data, one part named
 * `file`) and resolves to the stored attachment, ready to be sent with a
 * message. Browsers upload through XMLHttpRequest, the only browser API that
 * reports upload progress; elsewhere through fetch. Refusals reject with the
 * server's code (FILE_TOO_LARGE, UPLOAD_QUOTA_EXCEEDED, IMAGE_UNREADABLE …).
 */
export async function uploadFile(core: RestCore, conversationId: string, file: UploadFile, opts: UploadOptions = {}): Promise<Attachment> {
  const path = `/api/v1/conversations/${encodeURIComponent(conversationId)}/attachments`;
  const form = new FormData();
  form.append('file', file, opts.name ?? file.name ?? 'file');
  const headers = core.headersFor('POST');
  const Xhr = (globalThis as { XMLHttpRequest?: XhrCtor }).XMLHttpRequest;
  const answer = Xhr ? await viaXhr(Xhr, core.url(path), headers, form, opts) : await viaFetch(core, path, headers, form, file.size, opts);
  return answerOf<{ attachment: Attachment }>(answer.status, answer.text, answer.retryAfter).attachment;
}

function viaXhr(Xhr: XhrCtor, url: string, headers: Record<string, string>, form: FormData, opts: UploadOptions): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(aborted());
    const xhr = new Xhr();
    xhr.open('POST', url);
    xhr.withCredentials = true;
    // A browser keeps its cookie itself (and refuses a `cookie` header): only the other headers go.
    for (const [k, v] of Object.entries(headers)) if (k !== 'cookie') xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) opts.onProgress?.(e.loaded, e.total);
    };
    const onAbort = () => xhr.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => opts.signal?.removeEventListener('abort', onAbort);
    xhr.onload = () => {
      done();
      resolve({ status: xhr.status, text: xhr.responseText, retryAfter: xhr.getResponseHeader('retry-after') });
    };
    xhr.onerror = () => {
      done();
      reject(new HubbubError('NETWORK', 'No answer from the server: the upload failed.'));
    };
    xhr.onabort = () => {
      done();
      reject(aborted());
    };
    xhr.send(form);
  });
}

async function viaFetch(
  core: RestCore,
  path: string,
  headers: Record<string, string>,
  form: FormData,
  size: number,
  opts: UploadOptions,
): Promise<RawAnswer> {
  opts.onProgress?.(0, size);
  const res = await core.fetchRaw('POST', path, { headers, body: form, signal: opts.signal });
  const text = await res.text().catch(() => '');
  if (res.ok) opts.onProgress?.(size, size);
  return { status: res.status, text, retryAfter: res.headers.get('retry-after') };
}

/**
 * A file's bytes (`Attachment.url`, `thumbnailUrl`, `LinkPreview.imageUrl`),
 * fetched with the client's credentials: what a bot or a token-authenticated
 * app needs, since an `<img src>` carries only a cookie. `range` asks for
 * part of a large file (`bytes=0-1023`: 206). Rejects on a refusal
 * (ATTACHMENT_NOT_FOUND, NOT_A_MEMBER …).
 */
export async function fetchFile(core: RestCore, url: string, opts: { signal?: AbortSignal; range?: string } = {}): Promise<Response> {
  const path = url.startsWith('/') ? url : pathOf(url);
  const headers = core.headersFor('GET');
  headers.accept = '*/*';
  if (opts.range) headers.range = opts.range;
  const res = await core.fetchRaw('GET', path, { headers, signal: opts.signal });
  if (res.ok) return res;
  const text = await res.text().catch(() => '');
  return answerOf<never>(res.status, text, res.headers.get('retry-after'));
}

function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}

function aborted(): HubbubError {
  return new HubbubError('ABORTED', 'The upload was aborted.');
}
