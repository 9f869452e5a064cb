import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(new URL('../..', import.meta.url).pathname);
const CHROMIUM = '/usr/bin/chromium';

/** Newest modification time under a path (files only). */
function newest(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const e of fs.readdirSync(p)) {
    if (e === 'node_modules' || e === 'dist') continue;
    max = Math.max(max, newest(path.join(p, e)));
  }
  return max;
}

/**
 * Once per run: the browser must be there (scripts/setup-browser.sh installs
 * Debian's chromium), and web/dist must be at least as new as its sources
 * (web/src, web/index.html, web/public, the Vite config and the SDK in client/).
 */
export default function setup(): void {
  if (!fs.existsSync(CHROMIUM)) {
    execFileSync('bash', [path.join(root, 'scripts/setup-browser.sh')], { stdio: 'inherit' });
  }
  const built = Math.min(newest(path.join(root, 'web/dist/index.html')), newest(path.join(root, 'web/dist-ssr/entry-server.js')));
  const sources = Math.max(
    newest(path.join(root, 'web/src')),
    newest(path.join(root, 'web/index.html')),
    newest(path.join(root, 'web/public')),
    newest(path.join(root, 'web/vite.config.ts')),
    newest(path.join(root, 'client')),
  );
  if (built < sources) {
    execFileSync('npm', ['run', '--silent', 'build:web'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  fs.mkdirSync(path.join(root, 'test-results/screenshots'), { recursive: true });
}
