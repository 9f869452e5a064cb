import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './process.js';

/**
 * A PostgreSQL server of the test's own — initdb into a temp directory, a
 * free port — for tests that stop and start the database. The machine's
 * shared PostgreSQL (:5432) is never touched. PostgreSQL refuses to run as
 * root, so as root the server runs as the `postgres` user.
 */
export class PgInstance {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** The PostgreSQL binaries, or null (with the places looked) when none is installed. */
  static findBin(): { bin: string | null; tried: string } {
    const candidates: string[] = [];
    try {
      candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
    } catch {
      // no pg_config on PATH
    }
    const root = '/usr/lib/postgresql';
    if (fs.existsSync(root))
      for (const v of fs.readdirSync(root).sort((a, b) => Number(b) - Number(a))) candidates.push(path.join(root, v, 'bin'));
    const bin = candidates.find((d) => fs.existsSync(path.join(d, 'initdb')) && fs.existsSync(path.join(d, 'pg_ctl'))) ?? null;
    return { bin, tried: candidates.join(', ') || 'pg_config --bindir, /usr/lib/postgresql/*/bin' };
  }

  static async create(bin: string): Promise<PgInstance> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubbub-pg-'));
    const asRoot = process.getuid?.() === 0;
    if (asRoot) execFileSync('chown', ['postgres', dir]);
    const pg = new PgInstance(bin, dir, await freePort());
    // fsync off: the data is thrown away; what is tested is the server going away and coming back.
    pg.run('initdb', ['-D', pg.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    return pg;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private get data(): string {
    return path.join(this.dir, 'data');
  }

  private run(tool: string, args: string[]): void {
    const exe = path.join(this.bin, tool);
    const [cmd, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
    execFileSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  }

  /** Starts the server and returns once it accepts connections. */
  start(): void {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
    this.run('pg_ctl', ['-D', this.data, '-o', opts, '-l', path.join(this.dir, 'log'), '-w', 'start']);
  }

  /** A fast shutdown: sessions are ended with 57P01 (admin_shutdown), new connections refused. */
  stop(): void {
    this.run('pg_ctl', ['-D', this.data, '-m', 'fast', '-w', 'stop']);
  }

  destroy(): void {
    try {
      this.stop();
    } catch {
      // already stopped
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
