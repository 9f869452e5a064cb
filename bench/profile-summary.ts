/**
 * Summarizes a V8 .cpuprofile (from `npm run bench -- --profile`): the
 * functions with the most self time, and the heaviest call paths by total time
 * within src/.
 *
 *   node --import tsx bench/profile-summary.ts FILE.cpuprofile|DIR… [--top 25]
 *
 * A directory stands for its main-thread profile (thread id 0 in the name).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' } }, allowPositionals: true });
const top = Number(values.top);

const files = positionals.flatMap((f) => {
  if (!fs.statSync(f).isDirectory()) return [f];
  const all = fs.readdirSync(f).filter((x) => x.endsWith('.cpuprofile'));
  const main = all.filter((x) => x.split('.')[4] === '0');
  return (main.length ? main : all).map((x) => path.join(f, x));
});

for (const file of files) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Self time per node from samples and their time deltas (µs).
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = (p.endTime - p.startTime) / 1000;
  const where = (n: Node) => {
    const u = n.callFrame.url.replace(/^file:\/\//, '');
    const rel = u.includes('/node_modules/') ? u.slice(u.lastIndexOf('/node_modules/') + 14) : u ? path.relative(process.cwd(), u) : '';
    return `${n.callFrame.functionName || '(anonymous)'} ${rel ? `${rel}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
  };
  const selfBy = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const k = where(n);
    if (n.callFrame.functionName === '(idle)') idle += us;
    else busy += us;
    selfBy.set(k, (selfBy.get(k) ?? 0) + us);
  }
  // Inclusive time per src/ function (counted once per sample stack).
  const incl = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const seen = new Set<string>();
    for (let id: number | undefined = p.samples[i]; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)!;
      if (!n.callFrame.url.includes('/src/')) continue;
      const k = where(n);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + (p.timeDeltas[i] ?? 0));
    }
  }
  const ms = (us: number) => (us / 1000).toFixed(0).padStart(7) + ' ms';
  const pc = (us: number) => ((us / 1000 / total) * 100).toFixed(1).padStart(5) + '%';
  console.log(
    `\n## ${path.basename(file)}: ${total.toFixed(0)} ms profiled, busy ${ms(busy).trim()} (${pc(busy).trim()}), idle ${ms(idle).trim()}`,
  );
  console.log(`\nTop ${top} by self time:`);
  for (const [k, us] of [...selfBy].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${ms(us)} ${pc(us)}  ${k}`);
  console.log(`\nTop ${top} src/ functions by total (inclusive) time:`);
  for (const [k, us] of [...incl].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${ms(us)} ${pc(us)}  ${k}`);
}
