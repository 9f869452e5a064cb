import { describe, expect, test } from 'vitest';
import { PageCache } from '../../src/ssr/cache.js';

describe('PageCache (server-rendered public rooms)', () => {
  test('a page is reused only at the same head, with the same build, within its age', () => {
    let now = 1_000;
    const c = new PageCache(8, 10_000, () => now);
    c.set('lobby', 41, 'b1', '<p>41</p>');
    expect(c.get('lobby', 41, 'b1')).toBe('<p>41</p>');
    expect(c.get('lobby', 42, 'b1')).toBeNull();
    expect(c.get('lobby', 41, 'b2')).toBeNull();
    expect(c.get('design', 41, 'b1')).toBeNull();
    now += 10_001;
    expect(c.get('lobby', 41, 'b1')).toBeNull();
  });

  test('past its bound, the page used longest ago goes', () => {
    const c = new PageCache(2, 10_000, () => 0);
    c.set('a', 1, 'b', 'A');
    c.set('b', 1, 'b', 'B');
    expect(c.get('a', 1, 'b')).toBe('A');
    c.set('c', 1, 'b', 'C');
    expect(c.size).toBe(2);
    expect(c.get('b', 1, 'b')).toBeNull();
    expect(c.get('a', 1, 'b')).toBe('A');
    expect(c.get('c', 1, 'b')).toBe('C');
  });
});
