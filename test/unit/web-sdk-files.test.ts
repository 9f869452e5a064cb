import { afterEach, describe, expect, test } from 'vitest';
import { HubbubClient, HubbubError, type Attachment } from '../../client/index.js';

/** The SDK's file and search calls, against a recorded fetch / a stand-in XMLHttpRequest (no server). */

const attachment: Attachment = { id: '7', name: 'cat.png', size: 3, type: 'image/png', url: '/api/v1/files/7', width: 2, height: 1 };

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

function recorder(answer: () => Response): { seen: Seen[]; fetch: typeof fetch } {
  const seen: Seen[] = [];
  const f = (async (url: string, init: RequestInit = {}) => {
    seen.push({ url, method: init.method ?? 'GET', headers: (init.headers ?? {}) as Record<string, string>, body: init.body });
    return answer();
  }) as unknown as typeof fetch;
  return { seen, fetch: f };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('upload over fetch (Node: no XMLHttpRequest)', () => {
  test('one multipart part named "file" with the file name, bearer auth, progress at start and end', async () => {
    const r = recorder(() => json(201, { attachment }));
    const c = new HubbubClient({ baseUrl: 'http://h', token: 'tok', fetch: r.fetch });
    const progress: Array<[number, number]> = [];
    const got = await c.upload('42', new File([new Uint8Array([1, 2, 3])], 'cat.png', { type: 'image/png' }), {
      onProgress: (s, t) => progress.push([s, t]),
    });
    expect(got).toEqual(attachment);
    expect(r.seen).toHaveLength(1);
    const req = r.seen[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('http://h/api/v1/conversations/42/attachments');
    expect(req.headers.authorization).toBe('Bearer tok');
    expect(req.headers['content-type']).toBeUndefined(); // fetch sets the multipart boundary itself
    const form = req.body as FormData;
    expect([...form.keys()]).toEqual(['file']);
    const part = form.get('file') as File;
    expect(part.name).toBe('cat.png');
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    expect(progress).toEqual([
      [0, 3],
      [3, 3],
    ]);
  });

  test('a Blob gets the name given; a refusal rejects with the server code and status, no end progress', async () => {
    const r = recorder(() => json(413, { error: { code: 'FILE_TOO_LARGE', message: 'The file is larger than this server accepts.' } }));
    const c = new HubbubClient({ baseUrl: 'http://h', token: 'tok', fetch: r.fetch });
    const progress: number[] = [];
    const err = await c.upload('42', new Blob(['x']), { name: 'notes.txt', onProgress: (s) => progress.push(s) }).catch((e) => e);
    expect(err).toBeInstanceOf(HubbubError);
    expect(err.code).toBe('FILE_TOO_LARGE');
    expect(err.status).toBe(413);
    expect(err.retryable).toBe(false);
    expect(((r.seen[0]!.body as FormData).get('file') as File).name).toBe('notes.txt');
    expect(progress).toEqual([0]);
  });
});

/** Just enough of XMLHttpRequest to watch what the SDK does with it. */
class FakeXhr {
  static last: FakeXhr | null = null;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  withCredentials = false;
  body: unknown = null;
  status = 0;
  responseText = '';
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string): void {
    this.headers[k] = v;
  }
  getResponseHeader(): string | null {
    return null;
  }
  send(body: unknown): void {
    this.body = body;
  }
  abort(): void {
    this.onabort?.();
  }
  answer(status: number, body: unknown): void {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

describe('upload over XMLHttpRequest (browsers: real progress)', () => {
  const g = globalThis as { XMLHttpRequest?: unknown };
  afterEach(() => {
    delete g.XMLHttpRequest;
    FakeXhr.last = null;
  });

  test('progress as the bytes go, the CSRF token of a cookie session, credentials included', async () => {
    g.XMLHttpRequest = FakeXhr;
    const c = new HubbubClient({ baseUrl: 'http://h', fetch: recorder(() => json(200, {})).fetch });
    c.api.csrfToken = 'csrf-1';
    const progress: Array<[number, number]> = [];
    const done = c.upload('5', new File(['abc'], 'a.txt'), { onProgress: (s, t) => progress.push([s, t]) });
    const x = FakeXhr.last!;
    expect(x.method).toBe('POST');
    expect(x.url).toBe('http://h/api/v1/conversations/5/attachments');
    expect(x.withCredentials).toBe(true);
    expect(x.headers['x-csrf-token']).toBe('csrf-1');
    expect((x.body as FormData).get('file')).toBeInstanceOf(File);
    x.upload.onprogress!({ lengthComputable: true, loaded: 100, total: 400 });
    x.upload.onprogress!({ lengthComputable: true, loaded: 400, total: 400 });
    x.answer(201, { attachment });
    expect(await done).toEqual(attachment);
    expect(progress).toEqual([
      [100, 400],
      [400, 400],
    ]);
  });

  test('aborting through the signal rejects with ABORTED; a refusal with its code', async () => {
    g.XMLHttpRequest = FakeXhr;
    const c = new HubbubClient({ baseUrl: 'http://h', token: 't', fetch: recorder(() => json(200, {})).fetch });
    const ctl = new AbortController();
    const done = c.upload('5', new File(['abc'], 'a.txt'), { signal: ctl.signal });
    expect(FakeXhr.last!.headers.authorization).toBe('Bearer t');
    ctl.abort();
    await expect(done).rejects.toMatchObject({ code: 'ABORTED' });

    const refused = c.upload('5', new File(['abc'], 'a.txt'));
    FakeXhr.last!.answer(403, { error: { code: 'UPLOAD_QUOTA_EXCEEDED', message: 'quota' } });
    await expect(refused).rejects.toMatchObject({ code: 'UPLOAD_QUOTA_EXCEEDED', status: 403 });
  });
});

describe('send with attachments, search, fetching a file', () => {
  test('sendMessage carries the attachment ids (and no empty list when there are none)', async () => {
    const r = recorder(() => json(201, { message: {}, duplicate: false }));
    const c = new HubbubClient({ baseUrl: 'http://h', token: 't', fetch: r.fetch });
    await c.api.sendMessage('9', '', 'cm1', undefined, ['7', '8']);
    await c.api.sendMessage('9', 'hi', 'cm2');
    expect(JSON.parse(r.seen[0]!.body as string)).toEqual({ body: '', clientMsgId: 'cm1', attachments: ['7', '8'] });
    expect(JSON.parse(r.seen[1]!.body as string)).toEqual({ body: 'hi', clientMsgId: 'cm2' });
  });

  test('search: every parameter in the query string, encoded; the page as answered', async () => {
    const page = { results: [{ message: { id: '3' }, snippet: '这是一条消息', highlights: [[4, 6]] }], nextCursor: 'abc' };
    const r = recorder(() => json(200, page));
    const c = new HubbubClient({ baseUrl: 'http://h', token: 't', fetch: r.fetch });
    const got = await c.search({ q: '消息 & more', in: '12', has: 'file', limit: 20, cursor: 'c/1' });
    expect(got).toEqual(page);
    const u = new URL(r.seen[0]!.url);
    expect(u.pathname).toBe('/api/v1/search');
    expect(Object.fromEntries(u.searchParams)).toEqual({ q: '消息 & more', in: '12', has: 'file', limit: '20', cursor: 'c/1' });
  });

  test('file(): the relative url with credentials and a Range; a refusal rejects with its code', async () => {
    let status = 206;
    const r = recorder(() =>
      status === 206 ? new Response('ab', { status: 206 }) : json(404, { error: { code: 'ATTACHMENT_NOT_FOUND', message: 'no' } }),
    );
    const c = new HubbubClient({ baseUrl: 'http://h/', token: 't', fetch: r.fetch });
    const res = await c.api.file('/api/v1/files/7', { range: 'bytes=0-1' });
    expect(await res.text()).toBe('ab');
    expect(r.seen[0]!.url).toBe('http://h/api/v1/files/7');
    expect(r.seen[0]!.headers).toMatchObject({ authorization: 'Bearer t', range: 'bytes=0-1' });
    status = 404;
    await expect(c.api.file('http://h/api/v1/files/8/thumbnail')).rejects.toMatchObject({ code: 'ATTACHMENT_NOT_FOUND', status: 404 });
    expect(r.seen[1]!.url).toBe('http://h/api/v1/files/8/thumbnail');
  });
});
