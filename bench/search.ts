/**
 * Search latency over a million stored messages (issue 14's target: p95 ≤ 50 ms
 * on SQLite, ≤ 100 ms on PostgreSQL, for a user in 50 conversations).
 *
 *   npm run bench:search -- [--messages 1000000] [--runs 3] [--repeat 10] [--store both|sqlite|postgres] [--fresh]
 *   npm run bench:search -- --clean      (removes every cached seed, SQLite files and PostgreSQL schemas)
 *
 * The data (bench/lib/search-seed.ts): 2,000 users, 1,000 group conversations
 * of 3–30 members, a million messages (45 % English, 35 % Chinese, 20 %
 * mixed; bench/lib/search-corpus.ts) spread over them. The searching user is
 * in 50 of them: 40 from the start, 5 left halfway, 5 joined halfway, so
 * about 45,000 messages are theirs to find. Query kinds: common words, rare
 * ones, Chinese, two words, filters only, and "elsewhere" — a word in a
 * tenth of the messages of the OTHER conversations and in none of the
 * user's (the worst case: every index hit is turned away). Seeded once and cached (a SQLite
 * file under $TMPDIR/hubbub-bench-search, a PostgreSQL schema); --fresh
 * seeds again.
 *
 * Each query goes through SearchService.search — what GET /api/v1/search
 * runs, snippets and highlights included, without HTTP — one at a time,
 * `--repeat` times per run; a run's p50/p95 are over all its queries, and the
 * figures printed are the medians over `--runs` runs.
 */
import { parseArgs } from 'node:util';
import { makeConfig } from '../src/config.js';
import type { User } from '../src/domain/types.js';
import { SearchService } from '../src/services/search.js';
import type { SearchParams } from '../src/services/search-params.js';
import { PostgresStore } from '../src/store/postgres.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { Store } from '../src/store/store.js';
import { RARE_EN, RARE_ZH } from './lib/search-corpus.js';
import { cleanSeeds, createdAt, ELSEWHERE_WORD, findPostgresUrl, type SeedShape, seedPostgres, seedSqlite } from './lib/search-seed.js';
import { fmtMs, pct } from './lib/util.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    repeat: { type: 'string', default: '10' },
    store: { type: 'string', default: 'both' },
    fresh: { type: 'boolean', default: false },
    clean: { type: 'boolean', default: false },
  },
});
const shape: SeedShape = { messages: Number(values.messages), users: 2_000, conversations: 1_000, userConversations: 50 };
const RUNS = Number(values.runs);
const REPEAT = Number(values.repeat);

/** The queries, by kind. Conversations 1 and 2 are the user's; `peer` is a member of conversation 1. */
function queries(peer: string): Array<{ kind: string; params: SearchParams }> {
  const q = (kind: string, params: SearchParams) => ({ kind, params });
  const midway = createdAt(Math.floor(shape.messages * 0.75));
  return [
    q('common', { q: 'meeting' }),
    q('common', { q: 'the' }),
    q('common', { q: 'messages' }),
    q('common', { q: 'running' }),
    q('common', { q: 'deploy' }),
    q('rare', { q: RARE_EN[0] }),
    q('rare', { q: RARE_EN[3] }),
    q('rare', { q: RARE_ZH[1] }),
    q('rare', { q: 'nonexistentword' }),
    q('rare', { q: 'invoice', in: '3' }),
    q('chinese', { q: '消息' }),
    q('chinese', { q: '数据库' }),
    q('chinese', { q: '会议' }),
    q('chinese', { q: '服务器上线' }),
    q('chinese', { q: '的消息' }),
    q('two-word', { q: 'project deadline' }),
    q('two-word', { q: 'server crash' }),
    q('two-word', { q: 'hubbub 消息' }),
    q('two-word', { q: '今天 meeting' }),
    q('two-word', { q: 'coffee tomorrow' }),
    q('filter-only', { in: '1' }),
    q('filter-only', { has: 'link' }),
    q('filter-only', { from: peer }),
    q('filter-only', { after: midway }),
    q('filter-only', { in: '2', has: 'link' }),
    // In ~95,000 messages, none of them the user's: the whole index is candidates, none is an answer.
    q('elsewhere', { q: ELSEWHERE_WORD }),
    q('elsewhere', { q: `${ELSEWHERE_WORD} meeting` }),
  ];
}

interface KindStats {
  p50: number;
  p95: number;
  max: number;
  /** Results of the first repeat of each query (a sanity check: common words fill a page). */
  found: number[];
}

async function measure(store: Store): Promise<Record<string, KindStats>> {
  const user = (await store.getUser('1')) as User;
  const service = new SearchService(store, makeConfig({ rateLimits: { search: 1e9 } }));
  const conv = await store.getConversation('1');
  const list = queries(conv!.members.find((m) => m.id !== '1')!.username);
  // Warm-up: every query once (page cache, prepared statements, JIT).
  for (const { params } of list) await service.search(user, params);
  const byKind = new Map<string, { times: number[]; found: number[] }>();
  const add = (kind: string, ms: number) => {
    const k = byKind.get(kind) ?? { times: [], found: [] };
    k.times.push(ms);
    byKind.set(kind, k);
  };
  for (let r = 0; r < REPEAT; r++) {
    for (const { kind, params } of list) {
      const t = performance.now();
      const page = await service.search(user, params);
      const ms = performance.now() - t;
      add(kind, ms);
      add('all', ms);
      if (r === 0) byKind.get(kind)!.found.push(page.results.length);
      // The second page of a common word: a cursor deep in the index.
      if (kind === 'common' && page.nextCursor) {
        const t2 = performance.now();
        await service.search(user, { ...params, cursor: page.nextCursor });
        const ms2 = performance.now() - t2;
        add('page 2', ms2);
        add('all', ms2);
      }
    }
  }
  const out: Record<string, KindStats> = {};
  for (const [kind, { times, found }] of byKind) {
    const sorted = Float64Array.from(times).sort();
    out[kind] = { p50: pct(sorted, 0.5), p95: pct(sorted, 0.95), max: sorted[sorted.length - 1]!, found };
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function bench(name: string, open: () => Promise<Store>): Promise<void> {
  const runs: Array<Record<string, KindStats>> = [];
  for (let r = 0; r < RUNS; r++) {
    const store = await open();
    try {
      runs.push(await measure(store));
    } finally {
      await store.close();
    }
  }
  console.log(
    `\n${name}: ${shape.messages.toLocaleString('en-US')} messages, user in ${shape.userConversations} conversations; median of ${RUNS} runs × ${REPEAT} repeats (ms)`,
  );
  console.log('  kind          p50      p95      max    results (first run)');
  for (const kind of Object.keys(runs[0]!)) {
    const p50 = median(runs.map((x) => x[kind]!.p50));
    const p95 = median(runs.map((x) => x[kind]!.p95));
    const max = median(runs.map((x) => x[kind]!.max));
    console.log(
      `  ${kind.padEnd(12)} ${fmtMs(p50).padStart(6)}   ${fmtMs(p95).padStart(6)}   ${fmtMs(max).padStart(6)}    ${runs[0]![kind]!.found.join(' ')}`,
    );
  }
  const all = { p50: median(runs.map((x) => x.all!.p50)), p95: median(runs.map((x) => x.all!.p95)) };
  console.log(JSON.stringify({ bench: 'search', store: name, messages: shape.messages, runs: RUNS, repeat: REPEAT, ...all }));
}

if (values.clean) {
  for (const what of await cleanSeeds(await findPostgresUrl())) console.log(`removed ${what}`);
  process.exit(0);
}

const which = values.store;
if (which === 'both' || which === 'sqlite') {
  const file = await seedSqlite(shape, values.fresh);
  await bench('SQLite', async () => new SqliteStore(file));
}
if (which === 'both' || which === 'postgres') {
  const url = await findPostgresUrl();
  if (!url) console.log('\nPostgreSQL: unreachable (set HUBBUB_BENCH_DATABASE_URL); skipped');
  else {
    const schema = await seedPostgres(shape, url, values.fresh);
    await bench('PostgreSQL', async () => new PostgresStore(url, { schema }));
  }
}
