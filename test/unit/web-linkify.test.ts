import { describe, expect, test } from 'vitest';
import { LINK_REL, safeHref, tokenize, type Token } from '../../web/src/linkify.js';

const links = (ts: Token[]) => ts.filter((t) => t.kind === 'link');
const joined = (ts: Token[]) => ts.map((t) => t.text).join('');

describe('linkify', () => {
  test('http, https, www and mailto become links; the text around them stays, in order', () => {
    const body = 'see https://example.com/a?b=1#c, then www.example.org. or mail mailto:bob@example.com!';
    const ts = tokenize(body);
    expect(links(ts)).toEqual([
      { kind: 'link', text: 'https://example.com/a?b=1#c', href: 'https://example.com/a?b=1#c' },
      { kind: 'link', text: 'www.example.org', href: 'https://www.example.org/' },
      { kind: 'link', text: 'mailto:bob@example.com', href: 'mailto:bob@example.com' },
    ]);
    // Nothing lost or added: the tokens spell the body.
    expect(joined(ts)).toBe(body);
  });

  test('a closing parenthesis belongs to the URL only when it opened one', () => {
    expect(links(tokenize('(https://en.wikipedia.org/wiki/Foo_(bar))'))[0]!.text).toBe('https://en.wikipedia.org/wiki/Foo_(bar)');
    expect(links(tokenize('(see https://x.example/a)'))[0]!.text).toBe('https://x.example/a');
  });

  test.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'http://',
    'https:///nohost',
  ])('hostile or unsafe %j is never a link', (body) => {
    const ts = tokenize(body);
    expect(links(ts)).toEqual([]);
    expect(joined(ts)).toBe(body);
  });

  test('markup and quotes end a URL, and reach the view only as text', () => {
    const body = 'https://a.example/"onmouseover="alert(1) <img src=x onerror=alert(1)> https://b.example/<script>';
    const ts = tokenize(body);
    expect(links(ts).map((t) => t.kind === 'link' && t.href)).toEqual(['https://a.example/', 'https://b.example/']);
    expect(joined(ts)).toBe(body);
    // A scheme hidden behind an allowed-looking prefix is not smuggled through.
    expect(links(tokenize('https://javascript:alert(1)@'))).toEqual([]);
  });

  test('safeHref normalises through the URL parser and refuses every other scheme', () => {
    expect(safeHref('HTTPS://Example.COM')).toBe('https://example.com/');
    expect(safeHref('javascript://example.com/%0Aalert(1)')).toBeNull();
    expect(safeHref('mailto:x@y.example')).toBe('mailto:x@y.example');
    expect(LINK_REL).toBe('noopener noreferrer nofollow ugc');
  });

  test('@mentions: only names the server resolved are marked, mine stand out, @room only when honoured', () => {
    const ctx = { names: new Set(['alice', 'bob']), all: false, me: 'bob' };
    const ts = tokenize('hi @alice and @bob. and @carol, @room', ctx);
    expect(ts.filter((t) => t.kind === 'mention')).toEqual([
      { kind: 'mention', text: '@alice', me: false },
      { kind: 'mention', text: '@bob', me: true },
    ]);
    expect(joined(ts)).toBe('hi @alice and @bob. and @carol, @room');
    const all = tokenize('@everyone look', { ...ctx, all: true });
    expect(all[0]).toEqual({ kind: 'mention', text: '@everyone', me: true });
    // An address names nobody.
    expect(tokenize('mail bob@alice.example', ctx).every((t) => t.kind !== 'mention')).toBe(true);
  });

  test('a huge hostile body is cut into few tokens quickly', () => {
    const body = 'https://a.example/ '.repeat(2000) + '@x'.repeat(5000);
    const t0 = performance.now();
    const ts = tokenize(body);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(joined(ts)).toBe(body);
    expect(links(ts).length).toBeLessThanOrEqual(500);
  });
});
