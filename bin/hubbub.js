#!/usr/bin/env node
// The hubbub CLI. Runs the compiled server (dist/, `npm run build`, which `npm start` does) when it is
// at least as new as every file and folder under src/; otherwise the TypeScript sources through tsx,
// so a checkout works before its first build and never runs code older than its sources.
// (scripts/build.sh rebuilds on the same rule.)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Newest modification time of a path and, for a folder, of everything in it (a deletion touches its folder). */
function newest(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const e of fs.readdirSync(p)) max = Math.max(max, newest(path.join(p, e)));
  return max;
}

function compiledIsCurrent() {
  try {
    const built = fs.statSync(path.join(root, 'dist/cli.js')).mtimeMs;
    const sources = ['src', 'tsconfig.json', 'tsconfig.build.json'].map((p) => newest(path.join(root, p)));
    return built >= Math.max(...sources);
  } catch {
    return false;
  }
}

if (compiledIsCurrent()) {
  process.setSourceMapsEnabled(true);
  await import('../dist/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
