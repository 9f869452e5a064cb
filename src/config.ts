import fs from 'node:fs';
import path from 'node:path';
import type { Config, ConfigInput } from './config-types.js';
import { checkInput, fail } from './config-spec.js';

export type { Config, ConfigInput } from './config-types.js';
export { checkInput, configKeys, envName, fail, NESTED, type Spec, specOf } from './config-spec.js';

export const DEFAULTS: Config = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  databaseUrl: '',
  redisUrl: '',
  databaseSchema: '',
  busPrefix: 'hubbub:',
  allowedOrigins: [],
  secureCookies: false,
  trustProxy: false,
  logLevel: 'info',
  nodeId: `node-${process.pid}`,
  sessionTtlDays: 30,
  tokenTtlDays: 365,
  logCapacity: 50_000,
  logCapacityBytes: 64 * 1024 * 1024,
  maxWaitSeconds: 55,
  bodyLimit: 64 * 1024,
  loginMaxDelaySeconds: 60,
  rateLimits: {
    login: 10,
    loginPerIp: 60,
    loginFailuresPerAccount: 10,
    register: 20,
    send: 100,
    typing: 20,
    friendRequests: 60,
    sendPerIp: 1000,
    typingPerIp: 200,
    friendRequestsPerIp: 300,
    uploads: 30,
    search: 120,
  },
  maxConnections: 100_000,
  maxConnectionsPerUser: 32,
  maxConnectionsPerIp: 256,
  legacyLongPollsPerIp: 20,
  legacyMaxLongPolls: 5000,
  legacyMaxSockets: 5000,
  legacySocketsPerIp: 50,
  wsMaxPayloadBytes: 64 * 1024,
  wsBadFrameLimit: 20,
  authCacheSeconds: 5,
  authStaleGraceSeconds: 60,
  authCacheEntries: 100_000,
  loginThrottleEntries: 100_000,
  headPollMs: 1000,
  maxQueueBytes: 4 * 1024 * 1024,
  writeWindow: 256 * 1024,
  scryptCost: 1 << 15,
  webDir: path.resolve(path.dirname(new URL(import.meta.url).pathname), '../web/dist'),
  sqliteSynchronous: 'NORMAL',
  metricsHost: '127.0.0.1',
  metricsPort: 0,
  metricsToken: '',
  storeRetryAfterSeconds: 5,
  editWindowSeconds: 0,
  maxReactionsPerMessage: 20,
  fileStore: 'auto',
  maxFileBytes: 25 * 1024 * 1024,
  uploadQuotaBytes: 1024 * 1024 * 1024,
  filesTotalBytes: 50 * 1024 * 1024 * 1024,
  maxImagePixels: 50_000_000,
  unsentUploadHours: 24,
  linkPreviews: true,
  linkPreviewAllowPrivate: false,
  linkPreviewTimeoutMs: 5000,
  linkPreviewMaxBytes: 1024 * 1024,
  linkPreviewConcurrency: 8,
};

/** Descriptors kept for everything that is not a stream: the database, logs, API requests, accepting to refuse. */
export const FD_RESERVE = 512;

/** The process's soft open-file limit (Linux /proc), or null where it cannot be read. */
export function openFileLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * maxConnections when none is configured: below the descriptor limit by a
 * reserve, so a full node still accepts a connection to refuse it with
 * SERVER_BUSY and still answers /healthz, instead of failing accept() (EMFILE).
 */
export function defaultMaxConnections(limit = openFileLimit()): number {
  if (limit === null) return DEFAULTS.maxConnections;
  return Math.min(DEFAULTS.maxConnections, Math.max(100, limit - FD_RESERVE));
}

/** The defaults with `input` laid over them, validated (types, ranges, contradictions), then frozen. */
export function makeConfig(input: ConfigInput = {}): Readonly<Config> {
  checkInput(input as Record<string, unknown>, '');
  const defined = <T extends object>(o: T | undefined): Partial<T> =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
  const c: Config = { ...DEFAULTS, ...defined(input), rateLimits: { ...DEFAULTS.rateLimits, ...defined(input.rateLimits) } } as Config;
  if (input.maxConnections === undefined) c.maxConnections = defaultMaxConnections();
  if (c.databaseUrl && !/^postgres(ql)?:\/\//.test(c.databaseUrl)) fail('databaseUrl must start with postgres://');
  if (c.redisUrl && !/^rediss?:\/\//.test(c.redisUrl)) fail('redisUrl must start with redis://');
  if (c.redisUrl && !c.databaseUrl) fail('a Redis bus joins several nodes, which need a shared PostgreSQL database (set databaseUrl too)');
  if (c.fileStore === 'postgres' && !c.databaseUrl) fail('fileStore postgres keeps files in the database: set databaseUrl too');
  if (c.databaseSchema && !/^[a-z_][a-z0-9_]{0,62}$/.test(c.databaseSchema)) fail('databaseSchema must be a lower-case SQL identifier');
  if (c.maxConnectionsPerUser > c.maxConnections) fail('maxConnectionsPerUser must be 1–maxConnections');
  if (c.legacyLongPollsPerIp > c.legacyMaxLongPolls)
    fail(`legacyLongPollsPerIp (${c.legacyLongPollsPerIp}) must not exceed legacyMaxLongPolls (${c.legacyMaxLongPolls})`);
  if (c.legacySocketsPerIp > c.legacyMaxSockets)
    fail(`legacySocketsPerIp (${c.legacySocketsPerIp}) must not exceed legacyMaxSockets (${c.legacyMaxSockets})`);
  if (c.writeWindow >= c.maxQueueBytes) fail(`writeWindow (${c.writeWindow}) must be below maxQueueBytes (${c.maxQueueBytes})`);
  if ((c.scryptCost & (c.scryptCost - 1)) !== 0) fail('scryptCost must be a power of two');
  if (c.metricsToken && c.metricsToken.length < 16) fail('metricsToken must be at least 16 characters (or empty)');
  if (c.metricsPort !== 0 && c.metricsPort === c.port && c.metricsHost === c.host)
    fail('metricsPort must differ from port (a separate listener)');
  return Object.freeze({ ...c, rateLimits: Object.freeze(c.rateLimits), allowedOrigins: Object.freeze([...c.allowedOrigins]) as string[] });
}
