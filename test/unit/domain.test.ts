import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/domain/cursor.js';
import { ERRORS } from '../../src/domain/errors.js';
import { normalizeBody, normalizeUsername } from '../../src/domain/rules.js';
import { FD_RESERVE, defaultMaxConnections, makeConfig, openFileLimit } from '../../src/config.js';

describe('cursor', () => {
  test('round-trips positions and refuses anything else', () => {
    for (const n of [0, 1, 35, 36, 123456789, Number.MAX_SAFE_INTEGER]) expect(decodeCursor(encodeCursor(n))).toBe(n);
    for (const bad of ['', 'c', 'x1', 'c-1', 'c1.5', 'C1', 'c' + 'z'.repeat(12)]) expect(() => decodeCursor(bad)).toThrow(/cursor/);
  });
});

describe('rules', () => {
  test('usernames are normalized to lower case and checked', () => {
    expect(normalizeUsername('  Alice_1 ')).toBe('alice_1');
    for (const bad of ['ab', 'a'.repeat(33), 'al ice', 'al!ce', 'ålice']) expect(() => normalizeUsername(bad)).toThrow();
  });
  test('bodies are trimmed, 1–4000 code points', () => {
    expect(normalizeBody('  hi \n')).toBe('hi');
    expect(() => normalizeBody('   ')).toThrow(expect.objectContaining({ code: 'BODY_EMPTY' }));
    expect(() => normalizeBody('x'.repeat(4001))).toThrow(expect.objectContaining({ code: 'BODY_TOO_LONG' }));
    expect(normalizeBody('😀'.repeat(4000))).toHaveLength(8000);
  });
});

describe('error catalog', () => {
  test('every code is documented in docs/api.md with its status', () => {
    const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/api.md'), 'utf8');
    for (const [code, e] of Object.entries(ERRORS)) {
      expect(doc, code).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${e.status}\\s*\\|`));
    }
  });
  test('close codes sit in the documented ranges', () => {
    for (const e of Object.values(ERRORS) as Array<{ closeCode?: number }>) {
      if (e.closeCode !== undefined) expect(e.closeCode >= 4000 && e.closeCode <= 4999).toBe(true);
    }
  });
});

describe('config', () => {
  test('is frozen and refuses contradictions with a clear message', () => {
    const c = makeConfig({ port: 9000 });
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => makeConfig({ port: 70000 })).toThrow(/port/);
    expect(() => makeConfig({ redisUrl: 'redis://127.0.0.1:6379' })).toThrow(/PostgreSQL/);
    expect(() => makeConfig({ fileStore: 'postgres' })).toThrow(/fileStore postgres.*databaseUrl/);
    expect(makeConfig({ fileStore: 'postgres', databaseUrl: 'postgres://u@db.example/x' }).fileStore).toBe('postgres');
    expect(() => makeConfig({ maxWaitSeconds: 120 })).toThrow(/maxWaitSeconds/);
  });

  test('without a configured maxConnections, stays below the descriptor limit so a full node can still refuse', () => {
    expect(defaultMaxConnections(20_000)).toBe(20_000 - FD_RESERVE);
    expect(defaultMaxConnections(1_048_576)).toBe(100_000);
    expect(defaultMaxConnections(600)).toBe(100);
    expect(defaultMaxConnections(null)).toBe(100_000);
    const limit = openFileLimit();
    expect(makeConfig({}).maxConnections).toBe(defaultMaxConnections(limit));
    expect(makeConfig({ maxConnections: 7, maxConnectionsPerUser: 7 }).maxConnections).toBe(7);
  });
});

describe('password policy', () => {
  test('refuses short, common and username-containing passwords', async () => {
    const { checkPassword } = await import('../../src/domain/rules.js');
    expect(() => checkPassword('short')).toThrow(expect.objectContaining({ code: 'WEAK_PASSWORD' }));
    expect(() => checkPassword('Password')).toThrow(expect.objectContaining({ code: 'PASSWORD_TOO_COMMON' }));
    expect(() => checkPassword('qwertyuiop')).toThrow(expect.objectContaining({ code: 'PASSWORD_TOO_COMMON' }));
    expect(() => checkPassword('xx-alice-xx', 'alice')).toThrow(expect.objectContaining({ code: 'PASSWORD_CONTAINS_USERNAME' }));
    expect(() => checkPassword('x'.repeat(257))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => checkPassword('correct horse battery', 'alice')).not.toThrow();
  });
});
