import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { AuthService } from '../../src/services/auth.js';
import { SqliteStore } from '../../src/store/sqlite.js';

/**
 * The credential cache (issue 11, item 7): freshness on monotonic time, and a
 * cached caller kept through a short store outage, never past a revocation.
 */
describe('auth credential cache', () => {
  let dir: string;
  let store: SqliteStore;
  let auth: AuthService;
  let now: number;
  let down: boolean;
  let reads: number;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-auth-'));
    store = new SqliteStore(path.join(dir, 'db'));
    await store.migrate();
    now = 1_000;
    down = false;
    reads = 0;
    const real = store.getAuthToken.bind(store);
    store.getAuthToken = async (h: string) => {
      reads++;
      if (down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      return real(h);
    };
    auth = new AuthService(store, { sessionTtlMs: 86_400_000, tokenTtlMs: 86_400_000, scryptCost: 1 << 10, clock: () => now });
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function bearer(): Promise<string> {
    const user = await auth.register({ username: 'alice', password: 'zebra-lamp-91' });
    return auth.issueBearer(user);
  }

  test('freshness is monotonic: a wall-clock jump neither ends nor extends it', async () => {
    const t = await bearer();
    expect(await auth.resolve(t, 'bearer')).not.toBeNull();
    expect(reads).toBe(1);
    const wall = vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 3_600_000);
    try {
      now += 4_000;
      expect(await auth.resolve(t, 'bearer')).not.toBeNull();
      expect(reads).toBe(1); // still fresh: the hour the wall clock jumped does not count
    } finally {
      wall.mockRestore();
    }
    now += 1_001;
    expect(auth.cached(t, 'bearer')!.fresh).toBe(false);
    expect(await auth.resolve(t, 'bearer')).not.toBeNull();
    expect(reads).toBe(2);
  });

  test('through a store outage a known caller is served stale for up to 60 s past freshness, then the outage shows', async () => {
    const t = await bearer();
    const p = await auth.resolve(t, 'bearer');
    down = true;
    now += 5_001 + 59_000;
    expect(await auth.resolve(t, 'bearer')).toEqual(p);
    now += 1_000;
    await expect(auth.resolve(t, 'bearer')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  test('an unknown caller, or an error that is not an outage, is never answered from a stale entry', async () => {
    const t = await bearer();
    await auth.resolve(t, 'bearer');
    down = true;
    now += 6_000;
    await expect(auth.resolve('hb_unknown', 'bearer')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    down = false;
    store.getAuthToken = async () => {
      throw new TypeError('a bug');
    };
    await expect(auth.resolve(t, 'bearer')).rejects.toThrow('a bug');
  });

  test('revocation wins: a revoked credential is not served stale through an outage', async () => {
    const t = await bearer();
    const p = (await auth.resolve(t, 'bearer'))!;
    await auth.revoke(p.tokenHash, 'logout');
    expect(auth.cached(t, 'bearer')).toBeUndefined();
    down = true;
    now += 6_000;
    await expect(auth.resolve(t, 'bearer')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
