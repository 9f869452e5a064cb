/**
 * Load-generator setup: users via POST /api/v1/auth/register + POST
 * /api/v1/tokens (bearer), rooms via POST /api/v1/conversations and
 * /conversations/:id/join — all through the public API, in parallel batches.
 *
 * The seeded data dir is made once per (users, senders, rooms, schema) and
 * copied for every scenario, so each scenario starts a fresh server process
 * on the same data without paying for 15,000 registrations again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './procs.js';
import { CountingAgent, now, pool, request } from './util.js';

export interface Account {
  username: string;
  token: string;
  id: string;
}
export interface Seed {
  users: Account[];
  senders: Account[];
  /** room size → conversation id; the room holds users[0..size) and every sender. */
  rooms: Record<string, string>;
  seconds: { users: number; rooms: number };
}

const PASSWORD = 'bench-password-1';

/**
 * The cache key is the seed's shape only: a copied data dir is migrated by the
 * server on start like any old database, so schema changes need no reseed.
 * (Bump SEED_VERSION when the seeding itself changes; --no-seed-cache forces it.)
 */
const SEED_VERSION = 3;
export function seedKey(spec: { users: number; senders: number; roomSizes: number[] }): string {
  const sizes = [...new Set(spec.roomSizes)].sort((a, b) => a - b);
  return createHash('sha256')
    .update(JSON.stringify({ u: spec.users, s: spec.senders, r: sizes, v: SEED_VERSION }))
    .digest('hex')
    .slice(0, 16);
}

export async function seedData(
  root: string,
  spec: { users: number; senders: number; roomSizes: number[] },
  log: (s: string) => void,
  reuse = true,
): Promise<{ dir: string; seed: Seed }> {
  const sizes = [...new Set(spec.roomSizes)].sort((a, b) => a - b);
  const key = seedKey(spec);
  void root;
  const dir = path.join(os.tmpdir(), `hubbub-bench-seed-${key}`);
  const seedFile = path.join(dir, 'seed.json');
  if (reuse && fs.existsSync(seedFile)) {
    log(`seed: reusing ${dir}`);
    return { dir, seed: JSON.parse(fs.readFileSync(seedFile, 'utf8')) as Seed };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  // Setup is not measured: the seeding server may use every core (scrypt runs on libuv's pool).
  const srv = await startServer('hubbub', { cpu: 'all', dataDir: dir });
  try {
    const agent = new CountingAgent();
    const base = srv.base;
    const t0 = now();
    const make = async (username: string): Promise<Account> => {
      for (let attempt = 0; ; attempt++) {
        try {
          const reg = await request(agent, base, 'POST', '/api/v1/auth/register', {
            body: { username, password: PASSWORD },
            timeoutMs: 60_000,
          });
          if (reg.status !== 201 && !(reg.status === 409 && attempt > 0))
            throw new Error(`register ${username}: ${reg.status} ${reg.text.slice(0, 200)}`);
          const tok = await request(agent, base, 'POST', '/api/v1/tokens', { body: { username, password: PASSWORD }, timeoutMs: 60_000 });
          if (tok.status !== 201) throw new Error(`token ${username}: ${tok.status} ${tok.text.slice(0, 200)}`);
          return { username, token: tok.body.token, id: String(tok.body.user?.id ?? reg.body?.user?.id) };
        } catch (err) {
          if (attempt >= 3) throw err;
        }
      }
    };
    const names = Array.from({ length: spec.users }, (_, i) => `bu${String(i).padStart(6, '0')}`);
    const senderNames = Array.from({ length: spec.senders }, (_, i) => `bs${String(i).padStart(3, '0')}`);
    let done = 0;
    const progress = setInterval(() => log(`seed: ${done}/${spec.users + spec.senders} users`), 5000);
    const senders = await pool(senderNames, 64, async (n) => {
      const a = await make(n);
      done++;
      return a;
    });
    const users = await pool(names, 64, async (n) => {
      const a = await make(n);
      done++;
      return a;
    });
    clearInterval(progress);
    const tUsers = (now() - t0) / 1000;
    log(`seed: ${users.length + senders.length} users with tokens in ${tUsers.toFixed(1)} s`);

    const t1 = now();
    const rooms: Record<string, string> = {};
    const owner = senders[0]!;
    for (const size of sizes) {
      const r = await request(agent, base, 'POST', '/api/v1/conversations', {
        token: owner.token,
        body: { kind: 'room', name: `bench-${size}-${key.slice(0, 6)}` },
      });
      if (r.status !== 201) throw new Error(`create room: ${r.status} ${r.text}`);
      const id = String(r.body.conversation.id);
      rooms[size] = id;
      const members = [...senders, ...users.slice(0, size)];
      let joined = 0;
      const p = setInterval(() => log(`seed: room ${size}: ${joined}/${members.length} joined`), 5000);
      await pool(members, 16, async (a) => {
        const j = await request(agent, base, 'POST', `/api/v1/conversations/${id}/join`, { token: a.token, timeoutMs: 120_000 });
        if (j.status !== 200 && j.body?.error?.code !== 'ALREADY_MEMBER') throw new Error(`join ${a.username}: ${j.status} ${j.text}`);
        joined++;
      });
      clearInterval(p);
    }
    const tRooms = (now() - t1) / 1000;
    log(`seed: rooms ${sizes.join(', ')} filled in ${tRooms.toFixed(1)} s`);
    agent.destroy();
    const seed: Seed = { users, senders, rooms, seconds: { users: tUsers, rooms: tRooms } };
    await srv.stop();
    fs.writeFileSync(seedFile, JSON.stringify(seed));
    return { dir, seed };
  } catch (err) {
    await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A private copy of the seeded data dir for one server run. */
export function copySeed(dir: string): string {
  const to = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-bench-run-'));
  for (const f of fs.readdirSync(dir)) if (f.startsWith('hubbub.db')) fs.copyFileSync(path.join(dir, f), path.join(to, f));
  return to;
}
