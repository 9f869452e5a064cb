import { Argument, Command, CommanderError, InvalidArgumentError } from 'commander';
import { makeConfig, type ConfigInput } from './config.js';
import { resolveConfigInput } from './config-sources.js';
import { openStore } from './server.js';
import { AuthService } from './services/auth.js';

/**
 * `hubbub` — serve, and the admin commands that work on the same data
 * directory or database. Configuration comes from flags, then HUBBUB_*
 * environment variables, then a JSON file (--config / HUBBUB_CONFIG), then
 * the defaults (docs/configuration.md); any key can be set with
 * `--set key=value`.
 */
const port = (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError('must be a port number 0–65535');
  return n;
};

function common(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'a JSON configuration file (env HUBBUB_CONFIG)')
    .option('--data-dir <dir>', 'where the SQLite database lives (env HUBBUB_DATA_DIR)')
    .option('--database-url <url>', 'postgres://… to use PostgreSQL (env HUBBUB_DATABASE_URL)')
    .option('--set <key=value...>', 'any configuration key, e.g. --set rateLimits.send=200 (see docs/configuration.md)');
}

/** Options whose name is a configuration key (commander camel-cases --max-connections-per-ip to maxConnectionsPerIp). */
const KEY_OPTIONS = [
  'host',
  'port',
  'dataDir',
  'databaseUrl',
  'redisUrl',
  'logLevel',
  'trustProxy',
  'nodeId',
  'maxConnections',
  'maxConnectionsPerUser',
  'maxConnectionsPerIp',
  'maxWaitSeconds',
  'bodyLimit',
  'logCapacity',
  'metricsHost',
  'metricsPort',
] as const;

function configFrom(opts: Record<string, unknown>): ConfigInput {
  const flags: Record<string, unknown> = {};
  for (const key of KEY_OPTIONS) if (opts[key] !== undefined) flags[key] = opts[key];
  if (opts.origin) flags.allowedOrigins = opts.origin;
  for (const pair of (opts.set as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new InvalidArgumentError(`--set takes key=value, got "${pair}"`);
    flags[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return resolveConfigInput({ file: opts.config as string | undefined, env: process.env, flags });
}

async function withAdmin<T>(
  opts: Record<string, unknown>,
  fn: (a: { auth: AuthService; store: Awaited<ReturnType<typeof openStore>> }) => Promise<T>,
): Promise<T> {
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

const program = new Command('hubbub').description('hubbub — a self-hosted real-time chat server').showHelpAfterError().exitOverride();

common(program.command('serve').description('start the server'))
  .option('--host <host>', 'address to listen on (env HUBBUB_HOST)')
  .option('--port <port>', 'port to listen on (env HUBBUB_PORT)', port)
  .option('--redis-url <url>', 'redis://… to join other nodes (env HUBBUB_REDIS_URL)')
  .option('--origin <origin...>', 'origins allowed to open WebSockets with a cookie (env HUBBUB_ALLOWED_ORIGINS)')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env HUBBUB_LOG_LEVEL)')
  .option('--trust-proxy <value>', 'trust X-Forwarded-For: true, a hop count or proxy addresses (env HUBBUB_TRUST_PROXY)')
  .option('--node-id <name>', "this node's name on the bus and in logs (env HUBBUB_NODE_ID)")
  .option('--max-connections <n>', 'live streams per node (env HUBBUB_MAX_CONNECTIONS)')
  .option('--max-connections-per-user <n>', 'live streams per user per node (env HUBBUB_MAX_CONNECTIONS_PER_USER)')
  .option('--max-connections-per-ip <n>', 'live streams per client IP per node (env HUBBUB_MAX_CONNECTIONS_PER_IP)')
  .option('--max-wait-seconds <n>', 'longest long-poll wait (env HUBBUB_MAX_WAIT_SECONDS)')
  .option('--body-limit <bytes>', 'largest request body (env HUBBUB_BODY_LIMIT)')
  .option('--log-capacity <n>', 'events kept in memory (env HUBBUB_LOG_CAPACITY)')
  .option('--metrics-host <host>', 'address of the /metrics listener (env HUBBUB_METRICS_HOST)')
  .option('--metrics-port <port>', 'port of the /metrics listener; 0 = none (env HUBBUB_METRICS_PORT)', port)
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
common(user.command('passwd <username>').description("set a user's password (from --password, HUBBUB_PASSWORD or stdin)"))
  .option('--password <password>', 'the new password')
  .action(async (username: string, opts) => {
    const password = await readPassword(opts.password);
    await withAdmin(opts, async ({ auth }) => {
      await auth.setPassword(username, password);
      console.log(`password changed for ${username}`);
    });
  });
common(
  user
    .command('role')
    .description('set a server role: an admin may delete any message anywhere')
    .argument('<username>')
    .addArgument(new Argument('<role>').choices(['admin', 'member'])),
).action(async (username: string, role: 'admin' | 'member', opts) => {
  await withAdmin(opts, async ({ store }) => {
    const { accountKey } = await import('./domain/rules.js');
    const found = await store.getUserByUsername(accountKey(username));
    const u = found && (await store.setUserRole(found.id, role));
    if (!u) throw Object.assign(new Error(`no user ${username}`), { code: 'USER_NOT_FOUND' });
    console.log(`${u.username} is now ${role === 'admin' ? 'an admin' : 'a member'}`);
  });
});
common(user.command('list').description('list users'))
  .option(
    '--limit <n>',
    'how many',
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
      return n;
    },
    100,
  )
  .action(async (opts) => {
    await withAdmin(opts, async ({ store }) => {
      for (const u of await store.listUsers(opts.limit, 0))
        console.log(`${u.id}\t${u.username}\t${u.displayName}\t${u.createdAt}\t${u.role}`);
    });
  });

const room = program.command('room').description('manage public rooms');
common(room.command('add <name>').description('create a public room')).action(async (name: string, opts) => {
  await withAdmin(opts, async ({ store }) => {
    const { normalizeRoomName } = await import('./domain/rules.js');
    const { conversation } = await store.createConversation({
      kind: 'room',
      name: normalizeRoomName(name),
      ownerId: null,
      memberIds: [],
      now: new Date().toISOString(),
    });
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
