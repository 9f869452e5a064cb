/**
 * hubbub benchmark driver — `npm run bench` (through bench/run.sh, which pins
 * this process to CPU 1 and raises the fd limit).
 *
 *   npm run bench                      every scenario, full size
 *   npm run bench -- --quick           every scenario, small (< 2 min)
 *   npm run bench -- --scenarios fanout,wire --transports ws,longpoll --fanout-sizes 5000
 *   npm run bench -- --repeat 3        the whole plan three times; tables show medians
 *
 * Servers (hubbub: bench/server.ts; raw ws: bench/baseline-ws.ts; naive long
 * poll, wire only: bench/baseline-longpoll.ts) run pinned to --server-cpu (0);
 * everything on 127.0.0.1. Prints markdown tables and appends one JSON line per
 * result (per run) to bench/results/results.jsonl.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { wsClient, type ClientKind, type Transport } from './lib/clients.js';
import { BENCH_DIR, ROOT_DIR, gitRev, hasTaskset } from './lib/procs.js';
import { connections, fanout, idle, resume, throughput, type Env, type Result, wire } from './lib/scenarios.js';
import { reactionStorm } from './lib/reactions.js';
import { seedData } from './lib/seed.js';
import { cpuBusy, fmtInt, fmtMs } from './lib/util.js';

const { values: a } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
    scenarios: { type: 'string', default: 'fanout,throughput,idle,connections,wire,resume,reactions' },
    transports: { type: 'string', default: 'ws,sse,longpoll' },
    baseline: { type: 'boolean', default: true },
    'no-baseline': { type: 'boolean', default: false },
    'fanout-sizes': { type: 'string' },
    'fanout-rate': { type: 'string' },
    'fanout-seconds': { type: 'string' },
    'body-size': { type: 'string' },
    'tp-subs': { type: 'string' },
    'tp-senders': { type: 'string' },
    'tp-window': { type: 'string' },
    'tp-seconds': { type: 'string' },
    'tp-transports': { type: 'string' },
    'idle-n': { type: 'string' },
    'conn-target': { type: 'string' },
    'conn-procs': { type: 'string' },
    'wire-msgs': { type: 'string' },
    'wire-body': { type: 'string' },
    'resume-n': { type: 'string' },
    'resume-rate': { type: 'string' },
    'reaction-members': { type: 'string' },
    'reaction-users': { type: 'string' },
    'reaction-seconds': { type: 'string' },
    deflate: { type: 'boolean', default: false },
    'ws-client': { type: 'string', default: 'lean' },
    profile: { type: 'boolean', default: false },
    'server-cpu': { type: 'string', default: '0' },
    'seed-cache': { type: 'boolean', default: true },
    'no-seed-cache': { type: 'boolean', default: false },
    'seed-only': { type: 'boolean', default: false },
    'scenario-timeout': { type: 'string', default: '60' },
    out: { type: 'string', default: path.join(BENCH_DIR, 'results', 'results.jsonl') },
    label: { type: 'string', default: '' },
    'sizing-mem-gib': { type: 'string', default: '4' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  allowPositionals: false,
});

if (a.help) {
  process.stdout.write(`npm run bench [-- options]   (docs/benchmarks.md explains every figure)
  --quick                      every scenario, small (< 2 min)
  --repeat N                   run the whole plan N times (a fresh server each time); tables show
                               the median of every figure, results.jsonl gets every run (default 1)
  --scenarios LIST             fanout,throughput,idle,connections,wire,resume,reactions
  --transports LIST            ws,sse,longpoll
  --no-baseline                skip the baselines (raw ws; naive long poll in wire, with longpoll)
  --fanout-sizes 1000,5000,15000  --fanout-rate 10  --fanout-seconds 10  --body-size 40
  --tp-subs 100  --tp-senders 10  --tp-window 8  --tp-seconds 10  --tp-transports ws
  --idle-n 10000               idle connections per transport
  --conn-target N              WebSockets to try to open (default: hard fd limit + 500)  --conn-procs 3
  --wire-msgs 1000  --wire-body 20
  --resume-n 1000  --resume-rate 20
  --reaction-members 1000  --reaction-users 100  --reaction-seconds 1
                               reaction storm: a room of M WebSocket subscribers, R of them react to one message within S s
  --deflate                    offer permessage-deflate like a browser (default off)
  --ws-client lean|ws          WebSocket subscribers on the lean client (bench/lib/lean-ws.ts, default) or on \`ws\`;
                               senders always use \`ws\`. --deflate needs ws.
  --profile                    write a V8 CPU profile of every server to bench/results/profiles/<run>/
  --no-seed-cache              register the users again instead of reusing the seeded data dir
  --seed-only                  only create (or find) the seeded data dir
  --scenario-timeout 60        seconds per scenario
  --out FILE                   JSON lines (default bench/results/results.jsonl)
  --label TEXT                 stored with each result
  --sizing-mem-gib 4           memory per node for the sizing table
`);
  process.exit(0);
}

const quick = a.quick!;
const repeats = Number(a.repeat);
if (!Number.isInteger(repeats) || repeats < 1) {
  process.stderr.write(`--repeat wants a whole number ≥ 1, got ${a.repeat}\n`);
  process.exit(2);
}
const num = (v: string | undefined, full: number, q: number) => (v !== undefined ? Number(v) : quick ? q : full);
const list = (v: string | undefined, full: number[], q: number[]) => (v !== undefined ? v.split(',').map(Number) : quick ? q : full);

const hardFd = Number(process.env.BENCH_FD_HARD ?? 0) || 20000;
const cfg = {
  scenarios: new Set(a.scenarios!.split(',').map((s) => s.trim())),
  transports: a.transports!.split(',').map((s) => s.trim()) as Transport[],
  baseline: a.baseline! && !a['no-baseline'],
  fanoutSizes: list(a['fanout-sizes'], [1000, 5000, 15000], [200]),
  fanoutRate: num(a['fanout-rate'], 10, 10),
  fanoutSeconds: num(a['fanout-seconds'], 10, 3),
  bodySize: num(a['body-size'], 40, 40),
  tpSubs: num(a['tp-subs'], 100, 20),
  tpSenders: num(a['tp-senders'], 10, 4),
  tpWindow: num(a['tp-window'], 8, 4),
  tpSeconds: num(a['tp-seconds'], 10, 3),
  tpTransports: (a['tp-transports'] ?? 'ws').split(',').map((s) => s.trim()) as Transport[],
  idleN: num(a['idle-n'], 10000, 300),
  connTarget: num(a['conn-target'], hardFd + 500, 1500),
  connProcs: num(a['conn-procs'], 3, 2),
  wireMsgs: num(a['wire-msgs'], 1000, 100),
  wireBody: num(a['wire-body'], 20, 20),
  resumeN: num(a['resume-n'], 1000, 100),
  resumeRate: num(a['resume-rate'], 20, 20),
  reactionMembers: num(a['reaction-members'], 1000, 200),
  reactionUsers: num(a['reaction-users'], 100, 20),
  reactionSeconds: num(a['reaction-seconds'], 1, 1),
};

const serverCpu = hasTaskset && Number(a['server-cpu']) >= 0 ? Number(a['server-cpu']) : null;
const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const runId = new Date().toISOString().replace(/[:.]/g, '-');

// ── plan ─────────────────────────────────────────────────────────────────────
// The seed covers every scenario of this size configuration (not only the
// selected ones), so partial runs share the cached data dir.
// Sizes given as flags are added to the mode's defaults, so the seed stays the same one.
const defaults = quick
  ? { fanout: [200], tpSubs: 20, resumeN: 100, idleN: 300, reactionMembers: 200 }
  : { fanout: [1000, 5000, 15000], tpSubs: 100, resumeN: 1000, idleN: 10000, reactionMembers: 1000 };
const users = Math.max(
  ...cfg.fanoutSizes,
  ...defaults.fanout,
  cfg.resumeN,
  defaults.resumeN,
  cfg.tpSubs,
  defaults.tpSubs,
  cfg.reactionMembers,
  Math.min(Math.max(cfg.idleN, defaults.idleN), 15000),
  10,
);
const roomSizes = [
  ...new Set([
    ...defaults.fanout,
    defaults.tpSubs,
    defaults.resumeN,
    defaults.reactionMembers,
    ...cfg.fanoutSizes,
    cfg.tpSubs,
    cfg.resumeN,
    cfg.reactionMembers,
    10,
  ]),
];

log(
  `run ${runId}: ${quick ? 'quick' : 'full'} mode; scenarios ${[...cfg.scenarios].join(', ')}; transports ${cfg.transports.join(', ')}${cfg.baseline ? ' + raw ws baseline' : ''}${repeats > 1 ? `; ${repeats} times` : ''}`,
);
if (serverCpu === null) log('taskset not found: server and load generator run UNPINNED (results are noisier)');
else log(`server pinned to CPU ${serverCpu}, load generator to the CPUs of this process`);

const seeded = await seedData(
  ROOT_DIR,
  { users, senders: Math.max(cfg.tpSenders, quick ? 4 : 10), roomSizes },
  log,
  a['seed-cache']! && !a['no-seed-cache'],
);
if (a['seed-only']) {
  log(`seeded ${seeded.dir}`);
  process.exit(0);
}
if (a['ws-client'] !== 'lean' && a['ws-client'] !== 'ws') {
  console.error('--ws-client must be lean or ws');
  process.exit(2);
}
// permessage-deflate is negotiated by the ws client only.
wsClient.lean = a['ws-client'] === 'lean' && !a.deflate;
const env: Env = {
  seed: seeded.seed,
  seedDir: seeded.dir,
  serverCpu,
  profileDir: a.profile ? path.join(BENCH_DIR, 'results', 'profiles', runId) : undefined,
  deflate: a.deflate!,
  log,
  scenarioTimeoutMs: Number(a['scenario-timeout']) * 1000,
};

const busyBefore = await cpuBusy(2000);
const machine = {
  busyBefore,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  node: process.version,
  taskset: hasTaskset,
  serverCpu,
  fdSoft: Number(process.env.BENCH_FD_SOFT ?? 0) || null,
  fdHard: hardFd,
  loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
};
const meta = {
  run: runId,
  at: new Date().toISOString(),
  rev: gitRev(),
  mode: quick ? 'quick' : 'full',
  label: a.label || undefined,
  machine,
};
fs.mkdirSync(path.dirname(a.out!), { recursive: true });

/** Every result of every run, in order; `repeat` is the run it belongs to (1 … repeats). */
const results: (Result & { repeat: number })[] = [];
let repeat = 1;
function record(r: Result): void {
  results.push({ ...r, repeat });
  fs.appendFileSync(a.out!, JSON.stringify({ ...meta, repeat, repeats, ...r }) + '\n');
  const m = r.metrics;
  const brief = r.error
    ? `ERROR ${r.error}`
    : r.scenario === 'fanout'
      ? `p50 ${m.latencyMs?.p50} p99 ${m.latencyMs?.p99} max ${m.latencyMs?.max} ms, lost ${m.lost}, dup ${m.dup}, cpu srv ${m.serverCpu} gen ${m.generatorCpu}`
      : r.scenario === 'throughput'
        ? `${m.storedPerSec} stored/s, ${m.deliveriesPerSec} deliveries/s, lost ${m.lost}, dup ${m.dup}`
        : r.scenario === 'idle'
          ? `${m.rssPerConnKiB} KiB/conn (${m.open} open)`
          : r.scenario === 'connections'
            ? `${m.open} open, ${m.failed} failed, alive ${m.serverAlive}`
            : r.scenario === 'wire'
              ? `${m.downBytesPerMsg} B/msg down (payload ${m.payloadBytes})`
              : r.scenario === 'reactions'
                ? `${m.reacted}/${m.reactors} reactions, ${m.delivered} delivered, lost ${m.lost}, dup ${m.dup}, p50 ${m.latencyMs?.p50} p99 ${m.latencyMs?.p99} ms, cpu srv ${m.serverCpu}`
                : `catch-up ${m.catchUpMs} ms, lost ${m.lost}, dup ${m.dup}`;
  log(`${repeats > 1 ? `[run ${repeat}/${repeats}] ` : ''}${r.scenario} ${r.server}/${r.transport} n=${r.n}: ${brief} (${r.seconds} s)`);
}

const withBaseline = (ts: ClientKind[]): ClientKind[] => (cfg.baseline ? ['baseline', ...ts] : ts);
// The naive long-poll chat (bench/baseline-longpoll.ts) is hubbub long poll's baseline in wire.
const wireKinds: ClientKind[] = [
  ...withBaseline(cfg.transports),
  ...(cfg.baseline && cfg.transports.includes('longpoll') ? ['naive-longpoll' as const] : []),
];
const t0 = Date.now();

for (; repeat <= repeats; repeat++) {
  if (repeats > 1) log(`── run ${repeat} of ${repeats} ──`);
  if (cfg.scenarios.has('fanout')) {
    for (const n of cfg.fanoutSizes) {
      for (const t of withBaseline(cfg.transports)) {
        record(await fanout(env, t, n, { rate: cfg.fanoutRate, seconds: cfg.fanoutSeconds, bodySize: cfg.bodySize, warmup: 5 }));
      }
    }
  }
  if (cfg.scenarios.has('throughput')) {
    for (const t of withBaseline(cfg.tpTransports)) {
      record(
        await throughput(env, t, {
          subs: cfg.tpSubs,
          senders: cfg.tpSenders,
          window: cfg.tpWindow,
          seconds: cfg.tpSeconds,
          bodySize: cfg.bodySize,
        }),
      );
    }
  }
  if (cfg.scenarios.has('idle')) {
    for (const t of withBaseline(cfg.transports)) record(await idle(env, t, cfg.idleN));
  }
  if (cfg.scenarios.has('connections')) {
    record(await connections(env, { target: cfg.connTarget, procs: cfg.connProcs, fdLimit: hardFd }));
  }
  if (cfg.scenarios.has('wire')) {
    for (const t of wireKinds) record(await wire(env, t, { msgs: cfg.wireMsgs, bodySize: cfg.wireBody }));
  }
  if (cfg.scenarios.has('resume')) {
    for (const t of cfg.transports)
      record(
        await resume(env, t, {
          n: cfg.resumeN,
          rate: cfg.resumeRate,
          before: quick ? 1 : 3,
          gap: quick ? 1 : 2,
          after: quick ? 1 : 3,
          bodySize: cfg.bodySize,
        }),
      );
  }
  if (cfg.scenarios.has('reactions')) {
    record(await reactionStorm(env, { members: cfg.reactionMembers, users: cfg.reactionUsers, seconds: cfg.reactionSeconds }));
  }
}

// ── medians over the runs ────────────────────────────────────────────────────
// One row per (scenario, server, transport, N): every number is the median over the runs that
// did not fail (the mean of the middle two for an even count), nested ones too (latency p99 =
// median of the runs' p99s); a flag is true only if it was true in every run; a text that differs
// between runs lists each distinct value. Notes seen in only some runs say which.
const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
function mergeValues(vals: unknown[]): unknown {
  const present = vals.filter((v) => v !== undefined);
  if (!present.length) return undefined;
  if (present.every((v) => typeof v === 'number' || v === null)) {
    const nums = present.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    return nums.length ? Math.round(median(nums) * 100) / 100 : present[0];
  }
  if (present.every((v) => typeof v === 'boolean')) return present.every(Boolean);
  if (present.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
    const keys = [...new Set(present.flatMap((v) => Object.keys(v as object)))];
    return Object.fromEntries(keys.map((k) => [k, mergeValues(present.map((v) => (v as Record<string, unknown>)[k]))]));
  }
  const distinct = [...new Set(present.map((v) => JSON.stringify(v)))];
  return distinct.length === 1 ? present[0] : distinct.map((d) => JSON.parse(d)).join(' / ');
}
type Row = Result & { runs: number };
function aggregate(rs: (Result & { repeat: number })[]): Row[] {
  const groups = new Map<string, (Result & { repeat: number })[]>();
  for (const r of rs) {
    const k = `${r.scenario}|${r.server}|${r.transport}|${r.n}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const { repeat: _, ...first } = g[0]!;
    if (g.length === 1) return { ...first, runs: 1 };
    const ok = g.filter((r) => !r.error);
    const notes: string[] = [];
    const noteRuns = new Map<string, number[]>();
    for (const r of g) for (const n of new Set(r.notes)) noteRuns.set(n, [...(noteRuns.get(n) ?? []), r.repeat]);
    for (const [n, runs] of noteRuns) notes.push(runs.length === g.length ? n : `run ${runs.join(', ')}: ${n}`);
    for (const r of g) if (r.error && ok.length) notes.push(`run ${r.repeat}: **error:** ${r.error}`);
    return {
      ...first,
      metrics: ok.length ? (mergeValues(ok.map((r) => r.metrics)) as Record<string, any>) : {},
      notes,
      error: ok.length ? undefined : `every run failed: ${g.map((r) => r.error).join(' | ')}`,
      seconds: median(g.map((r) => r.seconds)),
      runs: ok.length,
    };
  });
}
const rows = aggregate(results);

// ── report ───────────────────────────────────────────────────────────────────
const out: string[] = [];
const tbl = (head: string[], rows: string[][]) => {
  out.push(
    '| ' + head.join(' | ') + ' |',
    '|' + head.map((h, i) => (i === 0 || /server|transport|notes|result|target/i.test(h) ? '---' : '--:')).join('|') + '|',
  );
  for (const r of rows) out.push('| ' + r.join(' | ') + ' |');
  out.push('');
};
const label = (r: Result) =>
  r.server === 'baseline' ? 'raw ws' : r.server === 'naive-longpoll' ? 'naive long poll' : `hubbub ${r.transport}`;
const notes = (r: Result) => (r.error ? `**error:** ${r.error}` : r.notes.join('; '));
const by = (s: Result['scenario']) => rows.filter((r) => r.scenario === s);
/** Appended to every table's heading when the figures are medians. */
const med = repeats > 1 ? ` **Median of ${repeats} runs** (every run is in results.jsonl).` : '';

out.push(
  `### Run ${runId} (${meta.mode}${repeats > 1 ? `, median of ${repeats} runs` : ''}, rev ${meta.rev}, ${machine.cpus} CPUs${serverCpu !== null ? `, server on CPU ${serverCpu}, generator on the other` : ', unpinned'}, load avg at start ${machine.loadavg.join(' ')}, CPUs busy before start ${busyBefore.map((b) => Math.round(b * 100) + '%').join(' / ')})`,
  '',
);
const others = results.map((r) => r.metrics.otherCpu).filter((x): x is number => typeof x === 'number');
if (busyBefore.some((b) => b > 0.15) || others.some((w) => w > 0.15)) {
  const during = others.length
    ? `up to ${Math.max(0, ...others)} CPU during a scenario; "other CPU" column`
    : `the CPUs were ${busyBefore.map((b) => Math.round(b * 100) + '%').join(' / ')} busy before the start; these scenarios do not measure it while they run`;
  out.push(`> **Shared machine:** other processes were using the CPUs (${during}). Treat these figures as preliminary.`, '');
}
if (by('fanout').length) {
  out.push(
    `**Fanout** — one sender, ${cfg.fanoutRate} msg/s for ${cfg.fanoutSeconds} s, N subscribers in one room; latency send→receipt per delivery (ms).${med}`,
    '',
  );
  tbl(
    ['server', 'N', 'sender', 'p50', 'p95', 'p99', 'max', 'delivered', 'lost', 'dup', 'srv CPU', 'gen CPU', 'other CPU', 'notes'],
    by('fanout').map((r) => {
      const m = r.metrics;
      const l = m.latencyMs ?? {};
      const nCol = m.connected !== undefined && m.connected < r.n ? `${fmtInt(m.connected)} of ${fmtInt(r.n)}` : fmtInt(r.n);
      return [
        label(r),
        nCol,
        String(r.params.sender ?? ''),
        fmtMs(l.p50),
        fmtMs(l.p95),
        fmtMs(l.p99),
        fmtMs(l.max),
        fmtInt(m.delivered),
        fmtInt(m.lost),
        fmtInt(m.dup),
        m.serverCpu ?? '–',
        m.generatorCpu ?? '–',
        m.otherCpu ?? '–',
        notes(r),
      ];
    }),
  );
}
if (by('throughput').length) {
  out.push(
    `**Throughput** — ${cfg.tpSubs} subscribers, ${cfg.tpSenders} senders × ${cfg.tpWindow} in flight, ${cfg.tpSeconds} s.${med}`,
    '',
  );
  tbl(
    ['server', 'stored msg/s', 'deliveries/s', 'lost', 'dup', 'drain s', 'srv CPU', 'gen CPU', 'other CPU', 'notes'],
    by('throughput').map((r) => {
      const m = r.metrics;
      return [
        label(r),
        fmtInt(m.storedPerSec),
        fmtInt(m.deliveriesPerSec),
        fmtInt(m.lost),
        fmtInt(m.dup),
        String(m.drainSeconds ?? '–'),
        m.serverCpu ?? '–',
        m.generatorCpu ?? '–',
        m.otherCpu ?? '–',
        notes(r),
      ];
    }),
  );
}
if (by('idle').length) {
  out.push(`**Idle** — N idle connections; server VmRSS before/after (after GC), per connection.${med}`, '');
  tbl(
    ['server', 'open', 'RSS before MiB', 'RSS after MiB', 'KiB/conn (RSS)', 'KiB/conn (JS heap)', 'notes'],
    by('idle').map((r) => {
      const m = r.metrics;
      return [
        label(r),
        fmtInt(m.open),
        fmtInt(m.rssBeforeMiB),
        fmtInt(m.rssAfterMiB),
        String(m.rssPerConnKiB ?? '–'),
        String(m.heapPerConnKiB ?? '–'),
        notes(r),
      ];
    }),
  );
}
if (by('connections').length) {
  out.push(`**Connections** — open WebSockets until the fd limit or failure.${med}`, '');
  tbl(
    [
      'server',
      'attempted',
      'open',
      'failed',
      'opened/s',
      'fd limit',
      'KiB/conn (RSS, no GC)',
      'server alive',
      'healthz at limit',
      'healthz after close',
      'notes',
    ],
    by('connections').map((r) => {
      const m = r.metrics;
      return [
        label(r),
        fmtInt(m.attempted),
        fmtInt(m.open),
        fmtInt(m.failed),
        fmtInt(m.openPerSec),
        fmtInt(m.fdLimit),
        String(m.rssPerConnKiB ?? '–'),
        String(m.serverAlive ?? '–'),
        String(m.healthzAtLimit ?? '–'),
        String(m.healthzAfterClose ?? '–'),
        notes(r),
      ];
    }),
  );
}
if (by('wire').length) {
  const naive = by('wire').find((r) => r.server === 'naive-longpoll' && !r.error);
  const total = (r: Result) =>
    (r.metrics.totalBytesPerMsg ?? (r.metrics.downBytesPerMsg ?? NaN) + (r.metrics.upBytesPerMsg ?? NaN)) as number;
  out.push(
    `**Wire** — ${cfg.wireMsgs} messages with a ${cfg.wireBody}-byte body, one at a time; bytes counted at the client's socket.${naive ? ' "÷ naive" = down+up as a share of the naive long-poll chat\'s.' : ''}${med}`,
    '',
  );
  tbl(
    ['server', 'event payload B', 'down B/msg', 'framing B/msg', 'up B/msg', 'down+up B/msg', ...(naive ? ['÷ naive'] : []), 'notes'],
    by('wire').map((r) => {
      const m = r.metrics;
      const t = total(r);
      const ratio = naive && !r.error ? t / total(naive) : NaN;
      return [
        label(r),
        String(m.payloadBytes ?? '–'),
        String(m.downBytesPerMsg ?? '–'),
        m.framingBytesPerMsg == null ? '–' : String(m.framingBytesPerMsg),
        String(m.upBytesPerMsg ?? '–'),
        Number.isFinite(t) ? String(Math.round(t * 10) / 10) : '–',
        ...(naive ? [Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '–'] : []),
        notes(r),
      ];
    }),
  );
}
if (by('resume').length) {
  out.push(
    `**Resume** — ${cfg.resumeN} clients drop at once while ${cfg.resumeRate} msg/s continue, reconnect with their cursors.${med}`,
    '',
  );
  tbl(
    ['server', 'clients', 'missed while away', 'reconnect ms', 'caught up p50 ms', 'p99 ms', 'all caught up ms', 'lost', 'dup', 'notes'],
    by('resume').map((r) => {
      const m = r.metrics;
      return [
        label(r),
        fmtInt(r.n),
        fmtInt(m.missedWhileAway),
        fmtInt(m.reconnectMs),
        fmtMs(m.clientCatchUpMs?.p50),
        fmtMs(m.clientCatchUpMs?.p99),
        m.catchUpMs == null ? '–' : fmtInt(m.catchUpMs),
        fmtInt(m.lost),
        fmtInt(m.dup),
        notes(r),
      ];
    }),
  );
}
if (by('reactions').length) {
  out.push(
    `**Reaction storm** — ${cfg.reactionUsers} members react to one message (one \`react\` frame each, evenly over ${cfg.reactionSeconds} s) in a room of ${fmtInt(cfg.reactionMembers)} WebSocket subscribers; each must get every \`reaction.added\` once. Latency per copy (ms): from the \`react\` frame, and from its ack (negative: the copy came first).${med}`,
    '',
  );
  tbl(
    [
      'server',
      'N',
      'reactions',
      'delivered',
      'lost',
      'dup',
      'p50',
      'p99',
      'max',
      'after ack p50',
      'after ack p99',
      'last copy ms',
      'srv CPU',
      'gen CPU',
      'other CPU',
      'notes',
    ],
    by('reactions').map((r) => {
      const m = r.metrics;
      const l = m.latencyMs ?? {};
      const k = m.afterAckMs ?? {};
      return [
        label(r),
        fmtInt(r.n),
        `${fmtInt(m.reacted)} of ${fmtInt(m.reactors)}`,
        fmtInt(m.delivered),
        fmtInt(m.lost),
        fmtInt(m.dup),
        fmtMs(l.p50),
        fmtMs(l.p99),
        fmtMs(l.max),
        fmtMs(k.p50),
        fmtMs(k.p99),
        m.lastDeliveryMs == null ? '–' : fmtInt(m.lastDeliveryMs),
        m.serverCpu ?? '–',
        m.generatorCpu ?? '–',
        m.otherCpu ?? '–',
        notes(r),
      ];
    }),
  );
}

// Sizing: connections per node from the measured per-connection RSS.
const idles = by('idle').filter((r) => r.server === 'hubbub' && !r.error && r.metrics.rssPerConnKiB > 0);
if (idles.length) {
  const memGiB = Number(a['sizing-mem-gib']);
  out.push(
    `**Sizing** — memory-bound connections per node with ${memGiB} GiB for the process (base RSS as measured before the connections), one connection per online user; the fd limit (${fmtInt(hardFd)} here) must be raised to match.`,
    '',
  );
  const userCounts = [10_000, 100_000, 1_000_000];
  tbl(
    ['transport', 'KiB/conn', 'conns/node', ...userCounts.map((u) => `nodes for ${fmtInt(u)}`)],
    idles.map((r) => {
      const per = r.metrics.rssPerConnKiB * 1024;
      const perNode = Math.floor((memGiB * 1024 ** 3 - r.metrics.rssBeforeMiB * 1048576) / per);
      return [
        `hubbub ${r.transport}`,
        String(r.metrics.rssPerConnKiB),
        fmtInt(perNode),
        ...userCounts.map((u) => fmtInt(Math.ceil(u / perNode))),
      ];
    }),
  );
}

// Targets (issue 5).
const find = (s: Result['scenario'], server: string, t: string, n?: number) =>
  rows.find((r) => r.scenario === s && r.server === server && r.transport === t && (n === undefined || r.n === n) && !r.error);
const targets: string[][] = [];
const verdict = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'PASS' : 'FAIL');
const pickN = (want: number) =>
  cfg.fanoutSizes.includes(want) ? want : Math.max(...cfg.fanoutSizes.filter((x) => x <= want), cfg.fanoutSizes[0]!);
{
  const n = pickN(5000);
  const ws = find('fanout', 'hubbub', 'ws', n);
  const base = find('fanout', 'baseline', 'baseline', n);
  const ratio = ws && base ? ws.metrics.latencyMs.p99 / base.metrics.latencyMs.p99 : NaN;
  targets.push([
    `WS fanout ${fmtInt(n)}: p99 ≤ 1.3× raw ws p99`,
    ws && base ? `${fmtMs(ws.metrics.latencyMs.p99)} vs ${fmtMs(base.metrics.latencyMs.p99)} ms = ${ratio.toFixed(2)}×` : '–',
    verdict(ws && base ? ratio <= 1.3 : null),
  ]);
  const n2 = pickN(15000);
  const ws2 = find('fanout', 'hubbub', 'ws', n2);
  targets.push([
    `WS fanout ${fmtInt(n2)}: p99 ≤ 250 ms`,
    ws2 ? `${fmtMs(ws2.metrics.latencyMs.p99)} ms` : '–',
    verdict(ws2 ? ws2.metrics.latencyMs.p99 <= 250 : null),
  ]);
  const lp = find('fanout', 'hubbub', 'longpoll', n);
  targets.push([
    `Long-poll fanout ${fmtInt(n)}: p50 ≤ 100 ms, p99 ≤ 500 ms`,
    lp ? `p50 ${fmtMs(lp.metrics.latencyMs.p50)}, p99 ${fmtMs(lp.metrics.latencyMs.p99)} ms` : '–',
    verdict(lp ? lp.metrics.latencyMs.p50 <= 100 && lp.metrics.latencyMs.p99 <= 500 : null),
  ]);
  const tw = find('throughput', 'hubbub', 'ws');
  const tb = find('throughput', 'baseline', 'baseline');
  const tr = tw && tb ? tw.metrics.deliveriesPerSec / tb.metrics.deliveriesPerSec : NaN;
  targets.push([
    'Throughput: deliveries/s ≥ 0.75× raw ws',
    tw && tb ? `${fmtInt(tw.metrics.deliveriesPerSec)} vs ${fmtInt(tb.metrics.deliveriesPerSec)} = ${tr.toFixed(2)}×` : '–',
    verdict(tw && tb ? tr >= 0.75 : null),
  ]);
  const iw = find('idle', 'hubbub', 'ws');
  targets.push([
    'Idle WS ≤ 10 KiB/conn',
    iw ? `${iw.metrics.rssPerConnKiB} KiB` : '–',
    verdict(iw ? iw.metrics.rssPerConnKiB <= 10 : null),
  ]);
  const il = find('idle', 'hubbub', 'longpoll');
  targets.push([
    'Idle long poll ≤ 12 KiB/conn',
    il ? `${il.metrics.rssPerConnKiB} KiB` : '–',
    verdict(il ? il.metrics.rssPerConnKiB <= 12 : null),
  ]);
  const cn = find('connections', 'hubbub', 'ws');
  targets.push([
    `Connections ≥ 19,000${quick ? ' (quick mode stops early)' : ''}`,
    cn ? `${fmtInt(cn.metrics.open)} open` : '–',
    verdict(cn && !quick ? cn.metrics.open >= 19000 : null),
  ]);
  const ww = find('wire', 'hubbub', 'ws');
  targets.push([
    'Wire WS bytes/msg ≤ event JSON + 8',
    ww ? `${ww.metrics.downBytesPerMsg} vs ${ww.metrics.payloadBytes} + 8` : '–',
    verdict(ww ? ww.metrics.downBytesPerMsg <= ww.metrics.payloadBytes + 8 : null),
  ]);
  const wl = find('wire', 'hubbub', 'longpoll');
  const wn = find('wire', 'naive-longpoll', 'naive-longpoll');
  const wlr = wl && wn ? wl.metrics.totalBytesPerMsg / wn.metrics.totalBytesPerMsg : NaN;
  targets.push([
    'Wire long poll down+up B/msg ≤ 0.5× naive long-poll chat',
    wl && wn ? `${wl.metrics.totalBytesPerMsg} vs ${wn.metrics.totalBytesPerMsg} = ${wlr.toFixed(2)}×` : '–',
    verdict(wl && wn ? wlr <= 0.5 : null),
  ]);
  // Loss is judged on every run, not on medians: one lossy run fails the target.
  const hub = results.filter((r) => r.server === 'hubbub' && !r.error && r.metrics.lost !== undefined);
  // Outstanding deliveries when the drain period ran out are late, not proven lost.
  const lossy = hub.filter((r) => r.metrics.dup > 0 || (r.metrics.lost > 0 && r.metrics.complete !== false));
  const late = hub.filter((r) => r.metrics.lost > 0 && r.metrics.complete === false && r.metrics.dup === 0);
  const name = (r: Result & { repeat: number }) => `${r.scenario} ${r.transport} ${fmtInt(r.n)}${repeats > 1 ? ` (run ${r.repeat})` : ''}`;
  targets.push([
    `No loss, no duplicates (every hubbub scenario${repeats > 1 ? ', every run' : ''})`,
    `${hub.length - lossy.length - late.length}/${hub.length} complete and clean${lossy.length ? '; lost/dup: ' + lossy.map(name).join(', ') : ''}${late.length ? '; still delivering when the time limit ended: ' + late.map(name).join(', ') : ''}`,
    verdict(hub.length ? lossy.length === 0 : null),
  ]);
}
out.push(repeats > 1 ? `**Targets** — on the medians of ${repeats} runs (loss and duplicates: on every run)` : '**Targets**', '');
if (quick)
  out.push(
    '> Quick mode is a smoke test at small sizes. These verdicts are not the issue-5 figures: with 300 idle connections, one-time costs still dominate KiB/conn.',
    '',
  );
tbl(['target', 'measured', 'result'], targets);
const errors = results.filter((r) => r.error);
out.push(
  `${results.length} results${repeats > 1 ? ` (${repeats} runs)` : ''} (${errors.length} errors) in ${Math.round((Date.now() - t0) / 1000)} s; appended to ${path.relative(ROOT_DIR, a.out!)}.`,
);
process.stdout.write('\n' + out.join('\n') + '\n');
process.exit(0);
