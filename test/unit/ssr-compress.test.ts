import { describe, expect, test } from 'vitest';
import { pickEncoding } from '../../src/ssr/compress.js';

describe('pickEncoding', () => {
  test.each([
    [undefined, null],
    ['', null],
    ['identity', null],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['BR;Q=0.5, gzip;q=1', 'br'],
    ['gzip;q=0', null],
    ['*', 'br'],
    ['*;q=0, gzip', 'gzip'],
    ['br;q=0, *', 'gzip'],
  ] as const)('%s → %s', (header, want) => {
    expect(pickEncoding(header)).toBe(want);
  });
});
