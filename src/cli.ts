import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { configFromEnv, makeConfig, type ConfigInput } from './config.js';
import { openStore } from './server.js';
import { AuthService } from './services/auth.js';

/**
 * `hubbub` — serve, and the admin commands that work on the same data
 * directory or database. Flags override HUBBUB_* environment variables.
 */
const port = (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError('must be a port number 0–65535');
  return n;
};

function common(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'where the SQLite database lives (env HUBBUB_DATA_DIR)')
    .option('--database-url <url>', 'postgres://… to use PostgreSQL (env HUBBUB_DATABASE_URL)');
}

function configFrom(opts: Record<string, unknown>): ConfigInput {
  const c: ConfigInput = configFromEnv();
  if (opts.host) c.host = String(opts.host);
  if (opts.port !== undefined) c.port = Number(opts.port);
  if (opts.dataDir) c.dataDir = String(opts.dataDir);
  if (opts.databaseUrl) c.databaseUrl = String(opts.databaseUrl);
  if (opts.redisUrl) c.redisUrl = String(opts.redisUrl);
  if (opts.logLevel) c.logLevel = opts.logLevel as ConfigInput['logLevel'];
  if (opts.origin) c.allowedOrigins = opts.origin as string[];
  return c;
}

async function withAdmin<T>(opts: Record<string, unknown>, fn: (a: { auth: AuthService; store: Awaited<ReturnType<typeof openStore>> }) => Promise<T>): Promise<T> {
  const config = makeConfig(configFrom(opts));
  const store = await openStore(config);
  await store.migrate();
  try {
    return await fn({ auth: new AuthService(store, { sessionTtlMs: 0, tokenTtlMs: 0, scryptCost: config.scryptCost }), store });
  } finally {
    await store.close();
  }
}

async function readPassword(given: string | undefined): Promise<string> {
  if (given) return given;
  if (process.env.HUBBUB_PASSWORD) return process.env.HUBBUB_PASSWORD;
  if (process.stdin.isTTY) throw new Error('give --password or set HUBBUB_PASSWORD');
  let data = '';
  for await (const chunk of process.stdin) data += chunk;
  return data.replace(/\r?\n$/, '');
}

const program = new Command('hubbub')
  .description('hubbub — a self-hosted real-time chat server')
  .showHelpAfterError()
  .exitOverride();

common(program.command('serve').description('start the server'))
  .option('--host <host>', 'address to listen on (env HUBBUB_HOST)')
  .option('--port <port>', 'port to listen on (env HUBBUB_PORT)', port)
  .option('--redis-url <url>', 'redis://… to join other nodes (env HUBBUB_REDIS_URL)')
  .option('--origin <origin...>', 'origins allowed to open WebSockets with a cookie (env HUBBUB_ALLOWED_ORIGINS)')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env HUBBUB_LOG_LEVEL)')
  .action(async (opts) => {
    const { serve } = await import('./serve.js');
    await serve(configFrom(opts));
  });

const user = program.command('user').description('manage users');
common(user.command('add <username>').description('create a user (password from --password, HUBBUB_PASSWORD or stdin)'))
  .option('--password <password>', 'the password')
  .option('--display-name <name>', 'the display name')
  .action(async (username: string, opts) => {
    const password = await readPassword(opts.password);
    await withAdmin(opts, async ({ auth }) => {
      const u = await auth.register({ username, password, displayName: opts.displayName });
      console.log(`created user ${u.username} (id ${u.id})`);
    });
  });
common(user.command('passwd <username>').description('set a user\'s password (from --password, HUBBUB_PASSWORD or stdin)'))
  .option('--password <password>', 'the new password')
  .action(async (username: string, opts) => {
    const password = await readPassword(opts.password);
    await withAdmin(opts, async ({ auth }) => {
      await auth.setPassword(username, password);
      console.log(`password changed for ${username}`);
    });
  });
common(user.command('list').description('list users'))
  .option('--limit <n>', 'how many', (v) => { const n = Number(v); if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer'); return n; }, 100)
  .action(async (opts) => {
    await withAdmin(opts, async ({ store }) => {
      for (const u of await store.listUsers(opts.limit, 0)) console.log(`${u.id}\t${u.username}\t${u.displayName}\t${u.createdAt}`);
    });
  });

const room = program.command('room').description('manage public rooms');
common(room.command('add <name>').description('create a public room'))
  .action(async (name: string, opts) => {
    await withAdmin(opts, async ({ store }) => {
      const { normalizeRoomName } = await import('./domain/rules.js');
      const { conversation } = await store.createConversation({ kind: 'room', name: normalizeRoomName(name), ownerId: null, memberIds: [], now: new Date().toISOString() });
      console.log(`created room ${conversation.name} (id ${conversation.id})`);
    });
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else {
    const e = err as { code?: string; message?: string };
    console.error(`hubbub: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`);
    process.exitCode = 1;
  }
}
