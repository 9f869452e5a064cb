import { describe, expect, test } from 'vitest';
import type { Attachment, Message } from '../../client/index.js';
import { humanSize, messagePreview, quoteText } from '../../web/src/format.js';
import { fileKind, imageBox, typeLabel } from '../../web/src/files.js';
import {
  added,
  canSend,
  MAX_FILES,
  percent,
  progressed,
  readyAttachments,
  removed,
  uploaded,
  uploadErrorText,
  uploadFailed,
  uploading,
  type PendingUpload,
} from '../../web/src/state/uploads.js';

const att = (id: string, extra: Partial<Attachment> = {}): Attachment => ({
  id,
  name: `f${id}.pdf`,
  size: 10,
  type: 'application/pdf',
  url: `/api/v1/files/${id}`,
  ...extra,
});
const file = (name: string, size = 100, type = 'application/pdf') => ({ name, size, type });

describe('the composer’s pending files (state/uploads.ts, pure)', () => {
  test('files are added in order, each uploading at 0 %; past 10 the rest are refused', () => {
    const r = added([], [file('a.pdf'), file('b.png', 5, 'image/png')], ['k1', 'k2']);
    expect(r.refused).toBe(0);
    expect(r.list.map((u) => [u.key, u.name, u.size, u.status, percent(u)])).toEqual([
      ['k1', 'a.pdf', 100, 'uploading', 0],
      ['k2', 'b.png', 5, 'uploading', 0],
    ]);
    const many = Array.from({ length: 12 }, (_, i) => file(`${i}.txt`));
    const r2 = added(
      r.list,
      many,
      many.map((_, i) => `m${i}`),
    );
    expect(r2.list).toHaveLength(MAX_FILES);
    expect(r2.refused).toBe(4);
  });

  test('progress, done and failed move one chip; the input list is never changed', () => {
    const start = Object.freeze(added([], [file('a.pdf'), file('b.pdf')], ['k1', 'k2']).list) as PendingUpload[];
    let l = progressed(start, 'k1', 50, 200);
    expect(percent(l[0]!)).toBe(25);
    expect(l[1]).toBe(start[1]);
    l = progressed(l, 'k1', 300, 200); // a total that undercounts never shows more than 100 %
    expect(percent(l[0]!)).toBe(100);
    l = uploaded(l, 'k1', att('7'));
    expect(l[0]).toMatchObject({ status: 'done', attachment: att('7') });
    l = uploadFailed(l, 'k2', 'FILE_TOO_LARGE', 'The file is larger than this server accepts.');
    expect(l[1]).toMatchObject({ status: 'failed', code: 'FILE_TOO_LARGE' });
    expect(start.map((u) => u.status)).toEqual(['uploading', 'uploading']);
    // An answer for a chip already removed changes nothing.
    expect(uploaded(removed(l, 'k1'), 'k1', att('8'))).toEqual(removed(l, 'k1'));
  });

  test('Send: text or at least one uploaded file, and nothing still uploading; failed chips neither block nor go', () => {
    const two = added([], [file('a.pdf'), file('b.pdf')], ['k1', 'k2']).list;
    expect(canSend('', [])).toBe(false);
    expect(canSend('  ', [])).toBe(false);
    expect(canSend('hi', [])).toBe(true);
    expect(canSend('hi', two)).toBe(false);
    expect(uploading(two)).toBe(true);
    const one = uploaded(two, 'k1', att('7'));
    expect(canSend('', one)).toBe(false);
    const failed = uploadFailed(one, 'k2', 'FILE_EMPTY', 'The file is empty.');
    expect(canSend('', failed)).toBe(true);
    expect(readyAttachments(failed)).toEqual([att('7')]);
    expect(
      canSend(
        '',
        uploadFailed(two, 'k1', 'FILE_EMPTY', '').filter((u) => u.key === 'k1'),
      ),
    ).toBe(false);
  });

  test('a refusal reads by its code; an unknown code shows the server’s own message', () => {
    expect(uploadErrorText('FILE_TOO_LARGE', 'x')).toBe('Too large for this server');
    expect(uploadErrorText('UPLOAD_QUOTA_EXCEEDED', 'x')).toMatch(/quota/);
    expect(uploadErrorText('NETWORK', 'x')).toMatch(/connection/i);
    expect(uploadErrorText('SOMETHING_NEW', 'The server says no.')).toBe('The server says no.');
  });
});

describe('showing files', () => {
  test('human sizes', () => {
    expect(humanSize(0)).toBe('0 B');
    expect(humanSize(1023)).toBe('1023 B');
    expect(humanSize(1024)).toBe('1 KB');
    expect(humanSize(1536)).toBe('1.5 KB');
    expect(humanSize(25 * 1024 * 1024)).toBe('25 MB');
    expect(humanSize(10.44 * 1024 * 1024)).toBe('10.4 MB');
    expect(humanSize(3 * 1024 ** 3)).toBe('3 GB');
  });

  test('a kind (for the card’s icon) from the sniffed type', () => {
    expect(fileKind('application/pdf')).toBe('pdf');
    expect(fileKind('image/png')).toBe('image');
    expect(fileKind('video/mp4')).toBe('video');
    expect(fileKind('audio/mpeg')).toBe('audio');
    expect(fileKind('application/zip')).toBe('archive');
    expect(fileKind('text/plain')).toBe('text');
    expect(fileKind('application/octet-stream')).toBe('file');
    expect(typeLabel('application/pdf', 'a.pdf')).toBe('PDF');
    expect(typeLabel('image/svg+xml', 'a.svg')).toBe('SVG image');
    expect(typeLabel('application/octet-stream', 'report.docx')).toBe('DOCX file');
    expect(typeLabel('application/octet-stream', 'noext')).toBe('File');
  });

  test('an image’s box: its ratio kept, never larger than the bounds, never upscaled; unknown size → a square', () => {
    expect(imageBox(4000, 3000, 320, 320)).toEqual({ width: 320, height: 240 });
    expect(imageBox(1000, 4000, 320, 320)).toEqual({ width: 80, height: 320 });
    expect(imageBox(100, 50, 320, 320)).toEqual({ width: 100, height: 50 });
    expect(imageBox(undefined, undefined, 320, 320)).toEqual({ width: 200, height: 200 });
    expect(imageBox(5000, 1, 320, 320)).toEqual({ width: 320, height: 1 });
  });

  test('a message’s one-line preview names its files when it has no text', () => {
    const m = (body: string, attachments: Attachment[]) => ({ body, attachments }) as Pick<Message, 'body' | 'attachments'>;
    expect(messagePreview(m('hello\nthere', []), 60)).toBe('hello there');
    expect(messagePreview(m('', [att('1', { type: 'image/png', name: 'cat.png' })]), 60)).toBe('🖼 Photo');
    expect(messagePreview(m('', [att('1', { name: 'plan.pdf' })]), 60)).toBe('📎 plan.pdf');
    expect(messagePreview(m('', [att('1'), att('2')]), 60)).toBe('📎 2 files');
    expect(messagePreview(m('see this', [att('1')]), 60)).toBe('📎 see this');
    expect(quoteText('')).toBe('📎 Files');
    expect(quoteText('hello')).toBe('hello');
  });
});
