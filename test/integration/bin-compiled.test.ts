import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

/**
 * bin/hubbub.js runs the compiled server (dist/) while it is at least as new
 * as its sources, and the TypeScript sources through tsx otherwise — so
 * `npm start` (which builds first) runs compiled JavaScript, and a stale
 * build is never run. Checked on a copy of bin/ in a scratch tree whose
 * dist/cli.js and src/cli.ts each say which one ran.
 */
const repo = path.resolve(import.meta.dirname, '../..');

function scratchTree(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-bin-'));
  fs.mkdirSync(path.join(root, 'bin'));
  fs.copyFileSync(path.join(repo, 'bin/hubbub.js'), path.join(root, 'bin/hubbub.js'));
  fs.writeFileSync(path.join(root, 'package.json'), '{"type":"module"}\n');
  // tsx, for the fall-back, is found through node_modules like in the repository.
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
  fs.mkdirSync(path.join(root, 'src/sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'src/cli.ts'), "const ran: string = 'source';\nconsole.log(ran);\n");
  fs.writeFileSync(path.join(root, 'src/sub/other.ts'), 'export {};\n');
  for (const f of ['tsconfig.json', 'tsconfig.build.json']) fs.writeFileSync(path.join(root, f), '{}\n');
  fs.mkdirSync(path.join(root, 'dist'));
  fs.writeFileSync(path.join(root, 'dist/cli.js'), "console.log('compiled');\n");
  return root;
}

function ran(root: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(root, 'bin/hubbub.js')], (err, stdout, stderr) => {
      if (err) reject(new Error(stderr));
      else resolve(stdout.trim());
    });
  });
}

/** Sets a path's modification time `s` seconds from now. */
function age(p: string, s: number): void {
  const t = new Date(Date.now() + s * 1000);
  fs.utimesSync(p, t, t);
}

describe('bin/hubbub.js: compiled when current, sources otherwise', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  });
  const tree = () => {
    const r = scratchTree();
    roots.push(r);
    // Sources a minute old, the build just made.
    for (const p of ['src/cli.ts', 'src/sub/other.ts', 'src/sub', 'src', 'tsconfig.json', 'tsconfig.build.json']) age(path.join(r, p), -60);
    return r;
  };

  test('a build newer than every source runs', async () => {
    expect(await ran(tree())).toBe('compiled');
  });

  test('a source edited after the build (however deep) sends it back to the sources', async () => {
    const r = tree();
    age(path.join(r, 'src/sub/other.ts'), 5);
    expect(await ran(r)).toBe('source');
  });

  test('a source deleted after the build, or a changed tsconfig, does too', async () => {
    const r = tree();
    fs.rmSync(path.join(r, 'src/sub/other.ts'));
    age(path.join(r, 'src/sub'), 5);
    expect(await ran(r)).toBe('source');
    const t = tree();
    age(path.join(t, 'tsconfig.build.json'), 5);
    expect(await ran(t)).toBe('source');
  });

  test('no build at all runs the sources', async () => {
    const r = tree();
    fs.rmSync(path.join(r, 'dist'), { recursive: true });
    expect(await ran(r)).toBe('source');
  });
});
