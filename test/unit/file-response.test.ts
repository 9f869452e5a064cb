import { describe, expect, test } from 'vitest';
import { cacheControl, contentDisposition, dispositionOf, etagMatches, parseRange, servedType } from '../../src/edge/file-response.js';
import { parseClientFrame } from '../../src/transports/frames.js';

describe('how a file is answered', () => {
  test('only re-encoded image types and passive formats are served as themselves; the rest as octet-stream', () => {
    for (const t of ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/pdf', 'video/mp4', 'audio/mpeg', 'application/zip'])
      expect(servedType(t), t).toBe(t);
    expect(servedType('application/vnd.openxmlformats-officedocument.wordprocessingml.document')).toMatch(/wordprocessingml/);
    for (const t of [
      'image/svg+xml',
      'text/html',
      'application/xml',
      'application/xhtml+xml',
      'text/javascript',
      'application/x-shockwave-flash',
      'image/heic',
    ])
      expect(servedType(t), t).toBe('application/octet-stream');
  });

  test('inline only for images this server re-encoded, never with ?download=1', () => {
    expect(dispositionOf('image/png', false)).toBe('inline');
    expect(dispositionOf('image/png', true)).toBe('attachment');
    expect(dispositionOf('image/svg+xml', false)).toBe('attachment');
    expect(dispositionOf('application/pdf', false)).toBe('attachment');
  });

  test('Content-Disposition: a quoted ASCII fallback and RFC 5987 UTF-8', () => {
    expect(contentDisposition('attachment', "it's (1) *.pdf")).toBe(
      `attachment; filename="it's (1) *.pdf"; filename*=UTF-8''it%27s%20%281%29%20%2A.pdf`,
    );
    expect(contentDisposition('inline', '图片.png')).toBe(`inline; filename="__.png"; filename*=UTF-8''%E5%9B%BE%E7%89%87.png`);
    expect(contentDisposition('attachment', 'a"b\\c%d.txt')).toMatch(/^attachment; filename="a_b_c_d\.txt"; /);
  });

  test('cache: public only for a public room', () => {
    expect(cacheControl(true)).toMatch(/^public, max-age=\d+, immutable$/);
    expect(cacheControl(false)).toMatch(/^private, max-age=\d+, immutable$/);
  });

  test('Range: one range served, past the end unsatisfiable, everything else ignored', () => {
    expect(parseRange(undefined, 10)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-0', 10)).toEqual({ kind: 'partial', start: 0, end: 0 });
    expect(parseRange('bytes=3-', 10)).toEqual({ kind: 'partial', start: 3, end: 9 });
    expect(parseRange('bytes=-4', 10)).toEqual({ kind: 'partial', start: 6, end: 9 });
    expect(parseRange('bytes=-40', 10)).toEqual({ kind: 'partial', start: 0, end: 9 });
    expect(parseRange('bytes=8-100', 10)).toEqual({ kind: 'partial', start: 8, end: 9 });
    expect(parseRange('bytes=10-', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 10)).toEqual({ kind: 'unsatisfiable' });
    for (const h of ['bytes=5-1', 'bytes=1-2,4-5', 'items=1-2', 'bytes=', 'bytes=-', 'bytes=1234567890123456-', 'bytes=a-b'])
      expect(parseRange(h, 10), h).toEqual({ kind: 'full' });
  });

  test('If-None-Match: the ETag among others, weak or not, or *', () => {
    expect(etagMatches('"a", "b"', '"b"')).toBe(true);
    expect(etagMatches('W/"b"', '"b"')).toBe(true);
    expect(etagMatches('*', '"b"')).toBe(true);
    expect(etagMatches('"c"', '"b"')).toBe(false);
    expect(etagMatches(undefined, '"b"')).toBe(false);
  });
});

describe('the send frame with files', () => {
  const parse = (f: object) => parseClientFrame(JSON.stringify({ type: 'send', ref: 'r', conversationId: '1', ...f }), false);
  test('attachments: a list of ids; body optional only with it', () => {
    expect(parse({ attachments: ['1', '2'] })).toMatchObject({ ok: true });
    expect(parse({ body: 'hi', attachments: [] })).toMatchObject({ ok: true });
    expect(parse({ body: 'hi' })).toMatchObject({ ok: true });
    for (const bad of [
      {},
      { attachments: '1' },
      { attachments: [1] },
      { attachments: [''] },
      { attachments: Array(101).fill('1') },
      { body: 'x', attachments: null },
    ])
      expect(parse(bad), JSON.stringify(bad)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  });
});
