import { describe, expect, test } from 'vitest';
import type { Message, SearchResult } from '../../client/index.js';
import { groupResults, highlightParts, searchParams, withPage } from '../../web/src/state/search.js';

const result = (id: string, conversationId: string, snippet = `m${id}`, highlights: Array<[number, number]> = []): SearchResult => ({
  message: { id, conversationId, body: snippet } as Message,
  snippet,
  highlights,
});

describe('highlights become text parts, never markup', () => {
  test('a Chinese hit inside a sentence', () => {
    expect(highlightParts('这是一条消息', [[4, 6]])).toEqual([
      { text: '这是一条', mark: false },
      { text: '消息', mark: true },
    ]);
  });

  test('several hits, given in any order, overlapping ones merged, at the edges too', () => {
    expect(
      highlightParts('run runner ran', [
        [11, 14],
        [0, 3],
        [4, 10],
        [5, 8],
      ]),
    ).toEqual([
      { text: 'run', mark: true },
      { text: ' ', mark: false },
      { text: 'runner', mark: true },
      { text: ' ', mark: false },
      { text: 'ran', mark: true },
    ]);
  });

  test('offsets out of range, reversed, empty or not numbers are clamped or ignored', () => {
    expect(
      highlightParts('abc', [
        [-5, 1],
        [2, 99],
        [2, 1],
        [1, 1],
        [Number.NaN, 2],
      ] as Array<[number, number]>),
    ).toEqual([
      { text: 'a', mark: true },
      { text: 'b', mark: false },
      { text: 'c', mark: true },
    ]);
    expect(highlightParts('', [[0, 3]])).toEqual([]);
    expect(highlightParts('plain', [])).toEqual([{ text: 'plain', mark: false }]);
  });

  test('a mark never splits a character outside the basic plane (UTF-16 pairs)', () => {
    // '😀' is two UTF-16 units: an offset between them widens the mark to the whole character.
    expect(highlightParts('a😀b', [[2, 3]])).toEqual([
      { text: 'a', mark: false },
      { text: '😀', mark: true },
      { text: 'b', mark: false },
    ]);
  });

  test('markup in a snippet stays text', () => {
    const parts = highlightParts('<img src=x onerror=alert(1)> hi', [[29, 31]]);
    expect(parts.map((p) => p.text).join('')).toBe('<img src=x onerror=alert(1)> hi');
    expect(parts[1]).toEqual({ text: 'hi', mark: true });
  });
});

describe('what is asked and how answers are shown', () => {
  test('parameters: trimmed words, this conversation, has file/link, the cursor; nothing to ask without words', () => {
    expect(searchParams('  消息 ', { here: false, has: null }, '12')).toEqual({ q: '消息' });
    expect(searchParams('plan', { here: true, has: 'file' }, '12', 'cur')).toEqual({ q: 'plan', in: '12', has: 'file', cursor: 'cur' });
    expect(searchParams('plan', { here: true, has: null }, null)).toEqual({ q: 'plan' });
    expect(searchParams('   ', { here: true, has: 'link' }, '12')).toBeNull();
    expect(searchParams('x'.repeat(300), { here: false, has: null }, null)!.q).toHaveLength(200);
  });

  test('grouped by conversation in the order of their newest result; each group newest first', () => {
    const rs = [result('9', 'a'), result('8', 'b'), result('7', 'a'), result('5', 'c'), result('4', 'b')];
    expect(groupResults(rs).map((g) => [g.conversationId, g.results.map((r) => r.message.id)])).toEqual([
      ['a', ['9', '7']],
      ['b', ['8', '4']],
      ['c', ['5']],
    ]);
  });

  test('a next page appends what is new, once', () => {
    const first = [result('9', 'a'), result('8', 'b')];
    expect(withPage(first, [result('8', 'b'), result('3', 'a')]).map((r) => r.message.id)).toEqual(['9', '8', '3']);
  });
});
