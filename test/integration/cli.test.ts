import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

const bin = path.resolve(import.meta.dirname, '../../bin/hubbub.js');

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('hubbub CLI', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-cli-'));

  test('--help on each command', async () => {
    for (const args of [
      ['--help'],
      ['serve', '--help'],
      ['user', '--help'],
      ['user', 'add', '--help'],
      ['user', 'passwd', '--help'],
      ['user', 'list', '--help'],
      ['user', 'role', '--help'],
      ['room', 'add', '--help'],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(/Usage: hubbub/);
    }
  });

  test('a wrong flag gets a clear message and a non-zero exit', async () => {
    const r = await run(['serve', '--bogus']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
    const p = await run(['serve', '--port', 'eighty']);
    expect(p.code).not.toBe(0);
    expect(p.stderr).toMatch(/must be a port number/);
    const c = await run(['frobnicate']);
    expect(c.code).not.toBe(0);
  });

  test('user add, list, passwd and room add work on a data directory', async () => {
    const add = await run(['user', 'add', 'alice', '--data-dir', dir, '--display-name', 'Alice'], { HUBBUB_PASSWORD: 'hubbub-pass-4821' });
    expect(add.code, add.stderr).toBe(0);
    const dup = await run(['user', 'add', 'ALICE', '--data-dir', dir, '--password', 'hubbub-pass-4821']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/USERNAME_TAKEN/);
    const list = await run(['user', 'list'], { HUBBUB_DATA_DIR: dir });
    expect(list.stdout).toMatch(/^1\talice\tAlice\t/m);
    expect((await run(['user', 'passwd', 'alice', '--data-dir', dir, '--password', 'another-pass'])).code).toBe(0);
    expect((await run(['user', 'passwd', 'nobody', '--data-dir', dir, '--password', 'another-pass'])).code).toBe(1);
    const admin = await run(['user', 'role', 'Alice', 'admin', '--data-dir', dir]);
    expect(admin.code, admin.stderr).toBe(0);
    expect(admin.stdout).toMatch(/alice is now an admin/);
    expect((await run(['user', 'list', '--data-dir', dir])).stdout).toMatch(/^1\talice\tAlice\t.*\tadmin$/m);
    const bad = await run(['user', 'role', 'alice', 'root', '--data-dir', dir]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Allowed choices are admin, member/);
    const nobody = await run(['user', 'role', 'nobody', 'admin', '--data-dir', dir]);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/USER_NOT_FOUND/);
    expect((await run(['user', 'role', 'alice', 'member', '--data-dir', dir])).stdout).toMatch(/alice is now a member/);
    const room = await run(['room', 'add', 'Tech', '--data-dir', dir]);
    expect(room.stdout).toMatch(/created room tech/);
  });
});
