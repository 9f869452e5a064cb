import { describe, expect, it } from 'vitest';
import { documentTerms, firstLink, indexTerms, matchesQuery, parseQuery, snippet } from '../../src/domain/search-text.js';

const terms = (body: string) => indexTerms(body).split(' ');
/** Whether a body is found by a query: every query term indexed, every CJK run adjacent. */
const finds = (body: string, query: string) => {
  const q = parseQuery(query);
  const indexed = new Set(terms(body));
  return q.terms.length > 0 && q.terms.every((t) => indexed.has(t)) && matchesQuery(body, q);
};
/** The highlighted text of a snippet. */
const marked = (s: { snippet: string; highlights: Array<[number, number]> }) => s.highlights.map(([a, b]) => s.snippet.slice(a, b));

describe('indexTerms / parseQuery: what finds what', () => {
  it('finds a Chinese word inside a sentence with no spaces, and single characters', () => {
    expect(finds('这是一条消息', '消息')).toBe(true);
    expect(finds('这是一条消息', '一条消息')).toBe(true);
    expect(finds('这是一条消息', '消')).toBe(true);
    expect(finds('这是一条消息', '新闻')).toBe(false);
    expect(terms('消息')).toEqual(expect.arrayContaining(['消', '息', '消息']));
  });

  it('requires the characters of a CJK query to be adjacent, not merely present', () => {
    // 一条 and 条消 both occur, but never as 一条消
    expect(finds('一条新闻和条消', '一条消')).toBe(false);
    expect(finds('这是一条消息', '一条消')).toBe(true);
  });

  it('finds Japanese katakana and hiragana', () => {
    expect(finds('新しいカタカナのテスト', 'カタカナ')).toBe(true);
    expect(finds('ひらがなでかいたぶん', 'ひらがな')).toBe(true);
    expect(finds('ひらがなでかいたぶん', 'カタカナ')).toBe(false);
    // half-width katakana is the same word (NFKC)
    expect(finds('ｶﾀｶﾅ', 'カタカナ')).toBe(true);
  });

  it('matches English by stem', () => {
    expect(finds('She was running late', 'run')).toBe(true);
    expect(finds('he runs every day', 'running')).toBe(true);
    expect(finds('three new messages', 'message')).toBe(true);
    expect(finds('one message', 'messages')).toBe(true);
    expect(finds('one message', 'massage')).toBe(false);
  });

  it('matches all terms (AND), in any order', () => {
    expect(finds('deploy the server tonight', 'tonight server')).toBe(true);
    expect(finds('deploy the server tonight', 'server tomorrow')).toBe(false);
  });

  it('handles mixed Latin and CJK text', () => {
    expect(finds('hubbub的消息很快', '消息')).toBe(true);
    expect(finds('hubbub的消息很快', 'hubbub')).toBe(true);
    expect(finds('hubbub的消息很快', 'hubbub 消息')).toBe(true);
    expect(finds('hubbub的消息很快', 'hubbub的消息')).toBe(true);
  });

  it('folds case, full-width forms (NFKC) and diacritics', () => {
    expect(finds('ＡＢＣ report', 'abc')).toBe(true);
    expect(finds('abc report', 'ＡＢＣ')).toBe(true);
    expect(finds('HELLO World', 'hello world')).toBe(true);
    expect(finds('un café', 'cafe')).toBe(true);
    expect(finds('un cafe\u0301', 'café')).toBe(true);
  });

  it('ignores emoji and punctuation, and a query of only those has no terms', () => {
    expect(terms('hello, 🎉 world!!! 😀')).toEqual(['hello', 'world']);
    expect(finds('hello, 🎉 world!!!', 'world!')).toBe(true);
    expect(parseQuery('🎉 !!! ...').terms).toEqual([]);
  });

  it('indexes numbers as words', () => {
    expect(finds('release 2024 notes', '2024')).toBe(true);
    expect(finds('release 2024 notes', '2023')).toBe(false);
  });

  it('bounds long bodies: 4,000 characters index without error, every term short, no duplicates', () => {
    const body = `${'这是一条很长的消息'.repeat(300)} ${'word '.repeat(200)}${'x'.repeat(1000)}`.slice(0, 4000);
    const list = terms(body);
    expect(new Set(list).size).toBe(list.length);
    expect(Math.max(...list.map((t) => t.length))).toBeLessThanOrEqual(64);
    expect(finds(body, '消息')).toBe(true);
    expect(finds(body, 'x'.repeat(1000))).toBe(true); // truncated on both sides alike
  });

  it('an empty or blank body has no terms', () => {
    expect(indexTerms('')).toBe('');
    expect(indexTerms('  \n ')).toBe('');
  });

  it('documentTerms adds markers no typed word can produce', () => {
    const doc = documentTerms({ body: 'see https://example.com c1', conversationId: '1', senderId: '2', hasFile: true }).split(' ');
    const q = parseQuery('c1');
    expect(doc).toEqual(expect.arrayContaining(q.terms));
    // the markers for conversation 1, sender 2, a file and a link are present, and differ from every text term
    const markers = doc.filter((t) => !terms('see https://example.com c1').includes(t));
    expect(markers).toHaveLength(4);
    for (const m of markers) expect(parseQuery(m).terms).not.toContain(m);
  });
});

describe('snippet', () => {
  it('highlights the hit in a short body, whole body kept', () => {
    const s = snippet('这是一条消息', '消息');
    expect(s.snippet).toBe('这是一条消息');
    expect(s.highlights).toEqual([[4, 6]]);
  });

  it('highlights whole words that share the stem, with offsets in the original text', () => {
    const s = snippet('Running late: RUNS again', 'run');
    expect(marked(s)).toEqual(['Running', 'RUNS']);
  });

  it('maps full-width text back to its original characters', () => {
    const s = snippet('see ＡＢＣ now', 'abc');
    expect(marked(s)).toEqual(['ＡＢＣ']);
  });

  it('cuts a long body around the first hit, at most 200 characters with ellipses', () => {
    const body = `${'a'.repeat(500)} needle ${'b'.repeat(500)}`;
    const s = snippet(body, 'needle');
    expect(s.snippet.length).toBeLessThanOrEqual(200);
    expect(s.snippet.startsWith('…')).toBe(true);
    expect(s.snippet.endsWith('…')).toBe(true);
    expect(marked(s)).toEqual(['needle']);
  });

  it('never splits a surrogate pair', () => {
    const body = `${'😀'.repeat(150)} needle ${'😀'.repeat(150)}`;
    const s = snippet(body, 'needle');
    expect(s.snippet.length).toBeLessThanOrEqual(200);
    expect(s.snippet).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    expect(marked(s)).toEqual(['needle']);
  });

  it('with no hit (a filters-only search) shows the start of the body', () => {
    const s = snippet(`${'z'.repeat(300)}`, '');
    expect(s.snippet).toBe(`${'z'.repeat(199)}…`);
    expect(s.highlights).toEqual([]);
  });
});

describe('firstLink', () => {
  it('finds the first http(s) URL, trimming sentence punctuation', () => {
    expect(firstLink('see https://example.com/a?b=1. and http://x.org')).toBe('https://example.com/a?b=1');
    expect(firstLink('(http://example.com/wiki/Foo_(bar))')).toBe('http://example.com/wiki/Foo_(bar)');
    expect(firstLink('消息https://example.com/路径')).toBe('https://example.com/%E8%B7%AF%E5%BE%84');
  });

  it('ignores other schemes and text without a link', () => {
    expect(firstLink('javascript:alert(1) ftp://x.org mailto:a@b.c')).toBeNull();
    expect(firstLink('no link here')).toBeNull();
    expect(firstLink('https:// broken then https://ok.example')).toBe('https://ok.example/');
  });
});
