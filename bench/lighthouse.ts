/**
 * Lighthouse scores of the web app against a local hubbub (npm run bench:lighthouse).
 *
 *   node --import tsx bench/lighthouse.ts [--runs 3] [--preset mobile|desktop] [--json FILE] [--reports DIR]
 *
 * Starts bench/server.ts on a temp data dir serving web/dist (build it first:
 * npm run build:web), seeds the lobby with 30 messages from two users, then
 * runs Lighthouse (performance, accessibility, best practices) in Debian's
 * /usr/bin/chromium, headless, for:
 * - `/` logged out: the server-rendered lobby, hydrated;
 * - `/` logged in: the whole app, the session cookie sent with every request
 *   (Lighthouse's extraHeaders), so the app boots straight into the lobby.
 * Each page is measured `--runs` times in a fresh Chromium; the median score is
 * printed with the run's LCP, TBT and the bytes of script transferred.
 * Lighthouse's default is a mid-range phone with simulated slow 4G and 4× CPU
 * slowdown (`mobile`); `desktop` is its desktop preset. `--reports DIR`
 * keeps each run's full Lighthouse report (JSON) to see where the time goes.
 */
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse, { desktopConfig, type Flags, type RunnerResult } from 'lighthouse';
import { startServer } from './lib/procs.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    preset: { type: 'string', default: 'mobile' },
    json: { type: 'string' },
    reports: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const CATEGORIES = ['performance', 'accessibility', 'best-practices'] as const;
const CHROME_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

interface Measure {
  page: string;
  scores: Record<(typeof CATEGORIES)[number], number>;
  lcpMs: number;
  tbtMs: number;
  scriptKB: number;
  failed: string[];
}

async function seed(base: URL): Promise<string> {
  const cookies: string[] = [];
  const tokens: string[] = [];
  for (const [username, displayName] of [
    ['ada', 'Ada Lovelace'],
    ['brook', 'Brook Chen'],
  ]) {
    const reg = await fetch(new URL('/api/v1/auth/register', base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'lighthouse-pass-4821', displayName }),
    });
    if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${await reg.text()}`);
    cookies.push(
      reg.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; '),
    );
    const tok = await fetch(new URL('/api/v1/tokens', base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'lighthouse-pass-4821' }),
    });
    tokens.push(((await tok.json()) as { token: string }).token);
  }
  const rooms = (await (await fetch(new URL('/api/v1/rooms', base))).json()) as { rooms: { id: string; name: string }[] };
  const lobby = rooms.rooms.find((r) => r.name === 'lobby');
  if (!lobby) throw new Error('no lobby');
  for (let i = 0; i < 30; i++) {
    const token = tokens[i % 2]!;
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    if (i < 2) await fetch(new URL(`/api/v1/conversations/${lobby.id}/join`, base), { method: 'POST', headers: auth, body: '{}' });
    const body = `Message ${i + 1}: a line about the release, with a few more words so it wraps like a real one on a phone.`;
    const r = await fetch(new URL(`/api/v1/conversations/${lobby.id}/messages`, base), {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ body }),
    });
    if (r.status !== 201) throw new Error(`send: ${r.status} ${await r.text()}`);
  }
  return cookies[0]!;
}

async function measure(url: string, page: string, cookie: string | null): Promise<Measure> {
  const chrome = await chromeLauncher.launch({ chromePath: '/usr/bin/chromium', chromeFlags: CHROME_FLAGS, logLevel: 'silent' });
  try {
    const flags: Flags = {
      port: chrome.port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: [...CATEGORIES],
      ...(cookie ? { extraHeaders: { Cookie: cookie } } : {}),
    };
    const result = (await lighthouse(url, flags, values.preset === 'desktop' ? desktopConfig : undefined)) as RunnerResult;
    const lhr = result.lhr;
    if (values.reports) {
      fs.mkdirSync(values.reports, { recursive: true });
      const name = `${page.replace(/[^a-z]+/gi, '-')}-${Date.now()}.json`;
      fs.writeFileSync(`${values.reports}/${name}`, JSON.stringify(lhr));
    }
    const score = (c: string) => Math.round((lhr.categories[c]?.score ?? 0) * 100);
    const items =
      (lhr.audits['resource-summary']?.details as { items?: { resourceType: string; transferSize: number }[] } | undefined)?.items ?? [];
    return {
      page,
      scores: { performance: score('performance'), accessibility: score('accessibility'), 'best-practices': score('best-practices') },
      lcpMs: Math.round(lhr.audits['largest-contentful-paint']?.numericValue ?? 0),
      tbtMs: Math.round(lhr.audits['total-blocking-time']?.numericValue ?? 0),
      scriptKB: Math.round((items.find((x) => x.resourceType === 'script')?.transferSize ?? 0) / 1024),
      // Audits that lost points in accessibility and best practices: what to fix.
      failed: [...(lhr.runtimeError ? [`runtime:${lhr.runtimeError.code}`] : [])].concat(
        CATEGORIES.filter((c) => c !== 'performance').flatMap((c) =>
          (lhr.categories[c]?.auditRefs ?? [])
            .filter((ref) => ref.weight > 0 && (lhr.audits[ref.id]?.score ?? 1) < 1)
            .map((ref) => `${c}:${ref.id}`),
        ),
      ),
    };
  } finally {
    chrome.kill();
  }
}

/** The median run by performance score; a run Lighthouse could not finish (no score: `failed` says why) is left out. */
function median(ms: Measure[]): Measure {
  const done = ms.filter((m) => !m.failed.some((f) => f.startsWith('runtime:')));
  const sorted = [...(done.length ? done : ms)].sort((a, b) => a.scores.performance - b.scores.performance);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const server = await startServer('hubbub', { cpu: null });
const out: Measure[] = [];
try {
  const cookie = await seed(server.base);
  for (const [page, withCookie] of [
    ['/ logged out', false],
    ['/ logged in (app)', true],
  ] as const) {
    const runs: Measure[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await measure(new URL('/', server.base).href, page, withCookie ? cookie : null));
    const m = median(runs);
    out.push(m);
    console.log(
      `${page.padEnd(20)} perf ${String(m.scores.performance).padStart(3)} (runs: ${runs.map((r) => (r.failed.some((f) => f.startsWith('runtime:')) ? 'failed' : r.scores.performance)).join(', ')})` +
        `  a11y ${m.scores.accessibility}  best ${m.scores['best-practices']}  LCP ${m.lcpMs} ms  TBT ${m.tbtMs} ms  script ${m.scriptKB} KB` +
        (m.failed.length ? `\n${''.padEnd(20)} lost points: ${m.failed.join(', ')}` : ''),
    );
  }
} finally {
  await server.stop();
}
if (values.json) fs.writeFileSync(values.json, `${JSON.stringify({ preset: values.preset, runs: RUNS, results: out }, null, 2)}\n`);
