import { describe, expect, it } from 'vitest';
import { clean, DESCRIPTION_MAX, headEnded, summarizePage, TITLE_MAX } from '../../src/services/opengraph.js';

const PAGE = new URL('https://example.com/articles/42?x=1');
const summary = (html: string, charset: string | null = 'utf-8', url = PAGE) => summarizePage(Buffer.from(html, 'utf8'), charset, url);

describe('summarizePage', () => {
  it('prefers OpenGraph tags, resolving a relative image against the page', () => {
    const s = summary(`<!doctype html><html><head>
      <title>Plain title</title>
      <meta name="description" content="plain description">
      <meta property="og:title" content="OG title">
      <meta property="og:description" content="OG description">
      <meta property="og:site_name" content="Example">
      <meta property="og:image" content="/img/cover.png">
      </head><body>hi</body></html>`);
    expect(s).toEqual({
      title: 'OG title',
      description: 'OG description',
      siteName: 'Example',
      image: 'https://example.com/img/cover.png',
    });
  });

  it('falls back to Twitter tags, then <title> and <meta name=description>', () => {
    expect(summary('<head><meta name="twitter:title" content="T title"><title>Plain</title></head>').title).toBe('T title');
    const s = summary('<head><title> Plain   title </title><meta name="Description" content="About it"></head>');
    expect(s).toEqual({ title: 'Plain title', description: 'About it', siteName: null, image: null });
  });

  it('takes the first of repeated tags', () => {
    const s = summary(
      '<head><meta property="og:image" content="https://a.example/1.png"><meta property="og:image" content="https://a.example/2.png"></head>',
    );
    expect(s.image).toBe('https://a.example/1.png');
  });

  it('reads nothing after the head ends', () => {
    const s = summary('<html><head><title>Head title</title></head><body><meta property="og:title" content="Body title"></body>');
    expect(s.title).toBe('Head title');
    const noHeadTag = summary('<title>T</title><body><meta property="og:description" content="from the body"></body>');
    expect(noHeadTag.description).toBeNull();
  });

  it('decodes entities', () => {
    const s = summary('<head><meta property="og:title" content="Fish &amp; Chips &#x4e2d;&#25991; &lt;b&gt;"></head>');
    expect(s.title).toBe('Fish & Chips 中文 <b>');
  });

  it('refuses an image that is not http(s)', () => {
    expect(summary('<head><meta property="og:image" content="javascript:alert(1)"></head>').image).toBeNull();
    expect(summary('<head><meta property="og:image" content="data:image/png;base64,AAAA"></head>').image).toBeNull();
    expect(summary('<head><meta property="og:image" content="file:///etc/passwd"></head>').image).toBeNull();
    expect(summary('<head><meta property="og:image" content="//cdn.example.net/a.jpg"></head>').image).toBe(
      'https://cdn.example.net/a.jpg',
    );
  });

  it('has no title when the page names none', () => {
    expect(summary('<head><meta name="description" content="only this"></head>').title).toBeNull();
    expect(summary('<head><title>   </title></head>').title).toBeNull();
  });

  it('decodes by the charset of the header', () => {
    // 中文 in GBK.
    const gbk = Buffer.concat([Buffer.from('<head><title>'), Buffer.from([0xd6, 0xd0, 0xce, 0xc4]), Buffer.from('</title></head>')]);
    expect(summarizePage(gbk, 'gbk', PAGE).title).toBe('中文');
  });

  it('decodes by the page’s own <meta charset> when the header names none', () => {
    // 日本 in Shift_JIS.
    const sjis = Buffer.concat([
      Buffer.from('<html><head><meta charset="Shift_JIS"><title>'),
      Buffer.from([0x93, 0xfa, 0x96, 0x7b]),
      Buffer.from('</title></head>'),
    ]);
    expect(summarizePage(sjis, null, PAGE).title).toBe('日本');
    const httpEquiv = Buffer.concat([
      Buffer.from('<head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>'),
      Buffer.from([0xd6, 0xd0, 0xce, 0xc4]),
      Buffer.from('</title></head>'),
    ]);
    expect(summarizePage(httpEquiv, null, PAGE).title).toBe('中文');
  });

  it('falls back to UTF-8 for a charset it does not know', () => {
    expect(summarizePage(Buffer.from('<head><title>héllo 消息</title></head>'), 'x-no-such-charset', PAGE).title).toBe('héllo 消息');
  });

  it('caps the title and the description', () => {
    const s = summary(
      `<head><meta property="og:title" content="${'t'.repeat(1000)}"><meta property="og:description" content="${'d'.repeat(5000)}"></head>`,
    );
    expect(Array.from(s.title!)).toHaveLength(TITLE_MAX);
    expect(s.title!.endsWith('…')).toBe(true);
    expect(Array.from(s.description!)).toHaveLength(DESCRIPTION_MAX);
  });

  it('reads a head cut short', () => {
    expect(summary('<html><head><title>Cut tit').title).toBe('Cut tit');
  });
});

describe('clean', () => {
  it('normalises to NFC and collapses whitespace', () => {
    expect(clean('  Cafe\u0301 \n\t au   lait ', 50)).toBe('Café au lait');
  });

  it('strips control characters and bidi overrides', () => {
    expect(clean('evil\u202Egnp.exe\u0000\u0007 \u2066x\u2069\u200F', 50)).toBe('evil gnp.exe x');
    expect(clean('\u0085next\u009Bline', 50)).toBe('next line');
  });

  it('cuts on code points, never inside a surrogate pair', () => {
    const s = clean('😀'.repeat(10), 5)!;
    expect(s).toBe('😀😀😀😀…');
    expect(s).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  it('is null for nothing', () => {
    expect(clean(null, 10)).toBeNull();
    expect(clean(' \u0000 \u202E ', 10)).toBeNull();
  });
});

describe('headEnded', () => {
  it('sees the end of the head or the start of the body, in any case', () => {
    expect(headEnded(Buffer.from('<meta x></HEAD>'))).toBe(true);
    expect(headEnded(Buffer.from('<Body class=x>'))).toBe(true);
    expect(headEnded(Buffer.from('<head><title>x</title><meta>'))).toBe(false);
  });
});
