/**
 * What the search index costs a send (issue 14's target: throughput no more
 * than 15 % lower with it than without).
 *
 *   npm run bench:send-index -- [--messages 1000000] [--count 20000] [--concurrency 16] [--runs 5] [--store both|sqlite|postgres]
 *
 * Store.appendMessage — the whole send's write: the decision, the message, its
 * event, its read pointer and (on) its search index row, in one transaction —
 * into a store that already holds the search benchmark's million messages
 * (bench/lib/search-seed.ts; a large index costs more to add to than an empty
 * one). SQLite: one append at a time (it has one writer). PostgreSQL:
 * `--concurrency` appends in flight (its group commit batches them).
 *
 * "Off" is the same build with the indexing cut out of the store modules as
 * they load (bench/lib/no-search-index-hooks.mjs), in a child process of its
 * own; production code has no such switch. On and off alternate, each run
 * on a fresh copy (SQLite) or with the appended rows deleted afterwards
 * (PostgreSQL). Each child checks that its last message is found by search
 * (on) or not (off), so a cut that stopped working cannot pass as "free".
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { Store } from '../src/store/store.js';
import { messageBody, prng } from './lib/search-corpus.js';
import { findPostgresUrl, type SeedShape, seedPostgres, seedSqlite } from './lib/search-seed.js';
import { pool } from './lib/util.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    count: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '16' },
    runs: { type: 'string', default: '5' },
    store: { type: 'string', default: 'both' },
    // Internal: one measurement in this process.
    child: { type: 'string' },
    file: { type: 'string' },
    url: { type: 'string' },
    schema: { type: 'string' },
  },
});
const shape: SeedShape = { messages: Number(values.messages), users: 2_000, conversations: 1_000, userConversations: 50 };
const COUNT = Number(values.count);
const CHECK_WORD = 'sendindexcheck';

interface Measured {
  variant: 'on' | 'off';
  perSecond: number;
  /** Whether search found the last message sent (must be true with the index, false without). */
  found: boolean;
}

/** One measurement: COUNT appends by user 1 into conversation 1 (one of its conversations). */
async function child(variant: 'on' | 'off', store: Store, concurrency: number): Promise<Measured> {
  const rand = prng(99);
  const bodies = Array.from({ length: COUNT }, () => messageBody(rand));
  bodies[COUNT - 1] += ` ${CHECK_WORD}`;
  const now = new Date().toISOString();
  // Warm-up: prepared statements, JIT, the page cache of the hot tables.
  for (let i = 0; i < 200; i++) await store.appendMessage({ conversationId: '1', senderId: '1', body: bodies[i]!, clientMsgId: null, now });
  const t = performance.now();
  await pool(bodies, concurrency, (body) => store.appendMessage({ conversationId: '1', senderId: '1', body, clientMsgId: null, now }));
  const seconds = (performance.now() - t) / 1000;
  const found = (await store.searchMessages({ userId: '1', text: CHECK_WORD, limit: 5 })).length > 0;
  return { variant, perSecond: COUNT / seconds, found };
}

async function pgClient(url: string, schema: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await c.connect();
  return c;
}

if (values.child) {
  const variant = values.child as 'on' | 'off';
  if (values.file) {
    const store = new SqliteStore(values.file);
    console.log(JSON.stringify(await child(variant, store, 1)));
    await store.close();
  } else {
    const url = values.url!;
    const schema = values.schema!;
    const db = await pgClient(url, schema);
    const base = (await db.query('SELECT (SELECT max(id) FROM messages) AS m, (SELECT coalesce(max(seq), 0) FROM events) AS e')).rows[0];
    const store = new PostgresStore(url, { schema });
    try {
      console.log(JSON.stringify(await child(variant, store, Number(values.concurrency))));
    } finally {
      await store.close();
      // Leave the seeded schema as it was for the next run and for bench/search.ts.
      await db.query('DELETE FROM messages WHERE id > $1', [base.m]);
      await db.query('DELETE FROM read_pointers WHERE message_id > $1', [base.m]);
      await db.query('DELETE FROM event_targets WHERE seq > $1', [base.e]);
      await db.query('DELETE FROM events WHERE seq > $1', [base.e]);
      await db.query('VACUUM ANALYZE messages, message_search, events');
      await db.end();
    }
  }
  process.exit(0);
}

function spawnChild(variant: 'on' | 'off', args: string[]): Measured {
  const hooks = variant === 'off' ? ['--import', './bench/lib/no-search-index.mjs'] : [];
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', ...hooks, 'bench/send-index.ts', '--child', variant, '--count', String(COUNT), ...args],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`child ${variant} failed (${r.status}): ${r.stdout}`);
  const m = JSON.parse(line) as Measured;
  if (m.found !== (variant === 'on'))
    throw new Error(`child ${variant}: search ${m.found ? 'found' : 'did not find'} the last message: the cut is wrong`);
  return m;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function report(name: string, runs: Measured[], extra: string): void {
  const on = median(runs.filter((r) => r.variant === 'on').map((r) => r.perSecond));
  const off = median(runs.filter((r) => r.variant === 'off').map((r) => r.perSecond));
  const lower = (1 - on / off) * 100;
  console.log(`\n${name} (${extra}; median of ${values.runs} runs each, over ${shape.messages.toLocaleString('en-US')} stored messages):`);
  for (const v of ['on', 'off'] as const) {
    const xs = runs.filter((r) => r.variant === v).map((r) => Math.round(r.perSecond));
    console.log(
      `  index ${v.padEnd(3)}: ${Math.round(v === 'on' ? on : off).toLocaleString('en-US')} messages/s   (runs: ${xs.join(', ')})`,
    );
  }
  console.log(`  with the index: ${lower.toFixed(1)} % lower`);
  console.log(
    JSON.stringify({
      bench: 'send-index',
      store: name,
      count: COUNT,
      on: Math.round(on),
      off: Math.round(off),
      lowerPercent: Number(lower.toFixed(1)),
    }),
  );
}

const RUNS = Number(values.runs);
const order = (r: number): Array<'on' | 'off'> => (r % 2 === 0 ? ['on', 'off'] : ['off', 'on']);

if (values.store === 'both' || values.store === 'sqlite') {
  const seeded = await seedSqlite(shape, false);
  const runs: Measured[] = [];
  for (let r = 0; r < RUNS; r++) {
    for (const variant of order(r)) {
      const copy = path.join(path.dirname(seeded), `send-index-${process.pid}.db`);
      fs.copyFileSync(seeded, copy);
      try {
        runs.push(spawnChild(variant, ['--file', copy]));
      } finally {
        for (const f of [copy, `${copy}-wal`, `${copy}-shm`]) fs.rmSync(f, { force: true });
      }
    }
  }
  report('SQLite', runs, `${COUNT.toLocaleString('en-US')} appends, one at a time`);
}
if (values.store === 'both' || values.store === 'postgres') {
  const url = await findPostgresUrl();
  if (!url) console.log('\nPostgreSQL: unreachable (set HUBBUB_BENCH_DATABASE_URL); skipped');
  else {
    const schema = await seedPostgres(shape, url, false);
    const runs: Measured[] = [];
    for (let r = 0; r < RUNS; r++) {
      for (const variant of order(r))
        runs.push(spawnChild(variant, ['--url', url, '--schema', schema, '--concurrency', values.concurrency!]));
    }
    report('PostgreSQL', runs, `${COUNT.toLocaleString('en-US')} appends, ${values.concurrency} in flight`);
  }
}
