import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { resolveConfigInput } from '../../src/config-sources.js';
import { DEFAULTS, configKeys, envName, makeConfig } from '../../src/config.js';
import type { Server } from '../../src/server.js';
import { testServer, userApi } from '../helpers/server.js';

/**
 * Operators tune every limit without touching code: a JSON file
 * (--config / HUBBUB_CONFIG), a HUBBUB_* variable for every key, and flags,
 * in that order of precedence; anything malformed is refused at start with a
 * message naming the key.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-config-'));
const writeJson = (name: string, value: unknown): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
};
const get = (obj: unknown, key: string): unknown => key.split('.').reduce<any>((o, k) => o?.[k], obj);

/** A valid value for `key` that differs from its default, as an environment string. */
function otherValue(key: string): string {
  const d = get(DEFAULTS, key);
  switch (key) {
    case 'logLevel':
      return 'debug';
    case 'sqliteSynchronous':
      return 'FULL';
    case 'trustProxy':
      return '2';
    case 'databaseUrl':
      return 'postgres://u@db.example/hubbub';
    case 'redisUrl':
      return 'redis://cache.example:6379';
    case 'databaseSchema':
      return 'chat_two';
    case 'allowedOrigins':
      return 'https://a.example,https://b.example';
    case 'port':
    case 'metricsPort':
      return '9999';
    case 'maxWaitSeconds':
      return '30';
    case 'writeWindow':
      return String(128 * 1024);
    case 'scryptCost':
      return String(1 << 14);
    case 'metricsToken':
      return 'x'.repeat(32);
    case 'fileStore':
      return 'disk';
  }
  if (typeof d === 'boolean') return String(!d);
  if (typeof d === 'number') return String(d + 1);
  if (typeof d === 'string') return `${d}-other`;
  throw new Error(`no sample for ${key}`);
}

describe('every key is settable and documented', () => {
  test('each key of DEFAULTS has a HUBBUB_* variable that sets it', () => {
    const keys = configKeys();
    expect(keys).toContain('rateLimits.sendPerIp');
    expect(envName('rateLimits.sendPerIp')).toBe('HUBBUB_RATE_LIMITS_SEND_PER_IP');
    for (const key of keys) {
      const raw = otherValue(key);
      const input = resolveConfigInput({ env: { [envName(key)]: raw } });
      const needsPg = key === 'redisUrl' ? { databaseUrl: 'postgres://u@db.example/x' } : {};
      const c = makeConfig({ ...input, ...needsPg });
      const want = get(c, key);
      if (key === 'allowedOrigins') expect(want).toEqual(raw.split(','));
      else expect(String(want), key).toBe(raw);
    }
  });

  test('docs/configuration.md names every key with its environment variable', () => {
    const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/configuration.md'), 'utf8');
    for (const key of configKeys()) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
      expect(row, `a table row for ${key}`).toBeDefined();
      expect(row, key).toContain(envName(key));
    }
  });
});

describe('sources and precedence: flags > environment > file > defaults', () => {
  const file = writeJson('layered.json', { rateLimits: { send: 50 }, maxConnectionsPerIp: 8, port: 7000 });

  test('each layer overrides the one below, key by key', () => {
    const env = { HUBBUB_RATE_LIMITS_SEND: '60', HUBBUB_PORT: '7001' };
    const all = makeConfig(resolveConfigInput({ file, env, flags: { 'rateLimits.send': '70' } }));
    expect(all.rateLimits.send).toBe(70);
    expect(all.port).toBe(7001);
    expect(all.maxConnectionsPerIp).toBe(8);
    expect(all.rateLimits.typing).toBe(DEFAULTS.rateLimits.typing);
    expect(makeConfig(resolveConfigInput({ file, env })).rateLimits.send).toBe(60);
    expect(makeConfig(resolveConfigInput({ file })).rateLimits.send).toBe(50);
    expect(makeConfig(resolveConfigInput({})).rateLimits.send).toBe(DEFAULTS.rateLimits.send);
  });

  test('HUBBUB_CONFIG names the file when no --config is given', () => {
    expect(makeConfig(resolveConfigInput({ env: { HUBBUB_CONFIG: file } })).maxConnectionsPerIp).toBe(8);
  });

  test('the result is frozen, nested objects too', () => {
    const c = makeConfig(resolveConfigInput({ file }));
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.rateLimits)).toBe(true);
    expect(Object.isFrozen(c.allowedOrigins)).toBe(true);
  });
});

describe('refused at start, naming the key', () => {
  test('an unknown key in the file', () => {
    const file = writeJson('unknown.json', { rateLimits: { sned: 5 } });
    expect(() => resolveConfigInput({ file })).toThrow(/rateLimits\.sned.*unknown|unknown.*rateLimits\.sned/);
    const top = writeJson('unknown-top.json', { maxConections: 5 });
    expect(() => resolveConfigInput({ file: top })).toThrow(/maxConections/);
  });

  test('a wrong type in the file', () => {
    const file = writeJson('type.json', { rateLimits: { send: '5' } });
    expect(() => resolveConfigInput({ file })).toThrow(/rateLimits\.send/);
    const flag = writeJson('bool.json', { secureCookies: 'yes' });
    expect(() => resolveConfigInput({ file: flag })).toThrow(/secureCookies/);
    const arr = writeJson('list.json', { allowedOrigins: 'https://a.example' });
    expect(() => resolveConfigInput({ file: arr })).toThrow(/allowedOrigins/);
  });

  test('a file that is not JSON, or not an object', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{ port: 1 ');
    expect(() => resolveConfigInput({ file: bad })).toThrow(/bad\.json/);
    expect(() => resolveConfigInput({ file: writeJson('array.json', [1]) })).toThrow(/object/);
    expect(() => resolveConfigInput({ file: path.join(dir, 'missing.json') })).toThrow(/missing\.json/);
  });

  test('a malformed environment value names the variable', () => {
    expect(() => resolveConfigInput({ env: { HUBBUB_RATE_LIMITS_SEND: 'lots' } })).toThrow(/HUBBUB_RATE_LIMITS_SEND/);
    expect(() => resolveConfigInput({ env: { HUBBUB_SECURE_COOKIES: 'perhaps' } })).toThrow(/HUBBUB_SECURE_COOKIES/);
    expect(() => resolveConfigInput({ env: { HUBBUB_LOG_LEVEL: 'loud' } })).toThrow(/HUBBUB_LOG_LEVEL/);
  });

  test('out-of-range and contradictory values', () => {
    expect(() => makeConfig({ rateLimits: { send: 0 } })).toThrow(/rateLimits\.send/);
    expect(() => makeConfig({ maxConnectionsPerIp: 0 })).toThrow(/maxConnectionsPerIp/);
    expect(() => makeConfig({ writeWindow: 8 << 20, maxQueueBytes: 4 << 20 })).toThrow(/writeWindow/);
    expect(() => makeConfig({ metricsToken: 'short' })).toThrow(/metricsToken/);
    expect(() => makeConfig({ legacySocketsPerIp: 11, legacyMaxSockets: 10 })).toThrow(/legacySocketsPerIp/);
    expect(() => makeConfig({ legacyMaxLongPolls: 10 })).toThrow(/legacyLongPollsPerIp/);
    expect(() => makeConfig({ headPollMs: 50 })).toThrow(/headPollMs/);
    expect(() => makeConfig({ wsMaxPayloadBytes: 1024 })).toThrow(/wsMaxPayloadBytes/);
    expect(() => makeConfig({ authStaleGraceSeconds: -1 })).toThrow(/authStaleGraceSeconds/);
    expect(() => makeConfig({ metricsPort: 8080, port: 8080, metricsHost: '127.0.0.1', host: '127.0.0.1' })).toThrow(/metricsPort/);
  });

  test('the CLI exits non-zero with the message', () => {
    const file = writeJson('cli-bad.json', { rateLimits: { sendPerIP: 5 } });
    const bin = path.resolve(import.meta.dirname, '../../bin/hubbub.js');
    const r = spawnSync(process.execPath, [bin, 'serve', '--config', file, '--port', '0'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, HUBBUB_DATA_DIR: dir },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/rateLimits\.sendPerIP/);
  });
});

describe('the values reach what they bound', () => {
  let server: Server | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  test('a file-configured send limit and queue bound are the ones the running node applies', async () => {
    const file = writeJson('live.json', { rateLimits: { send: 2 }, maxQueueBytes: 2 << 20, writeWindow: 64 * 1024 });
    const input = resolveConfigInput({ file });
    server = await testServer({ ...input, rateLimits: { ...input.rateLimits } });
    expect(server.hub.limits).toEqual({ maxBytes: 2 << 20, window: 64 * 1024 });
    const alice = await userApi(server, 'alice_cfg');
    const rooms = await alice.call('GET', '/api/v1/rooms');
    const lobby = rooms.body.rooms.find((r: { name: string }) => r.name === 'lobby');
    await alice.call('POST', `/api/v1/conversations/${lobby.id}/join`);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await alice.call('POST', `/api/v1/conversations/${lobby.id}/messages`, { body: `m${i}` })).status);
    expect(statuses).toEqual([201, 201, 429]);
  });
});
