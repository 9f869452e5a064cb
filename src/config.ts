import fs from 'node:fs';
import path from 'node:path';

/** The whole configuration, validated once at start and then frozen. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** postgres://… selects PostgreSQL; empty means SQLite in dataDir. */
  databaseUrl: string;
  /** redis://… selects the Redis bus; empty means the in-process bus. */
  redisUrl: string;
  /** PostgreSQL schema for hubbub's tables (default: the connection's search_path, normally "public"). */
  databaseSchema: string;
  /** Prefix of the Redis channel, so several hubbub clusters can share one Redis. */
  busPrefix: string;
  /** Origins allowed to open WebSockets with a cookie; empty = same host only. */
  allowedOrigins: string[];
  /**
   * Trust X-Forwarded-For from a reverse proxy (true, a hop count, or the
   * proxy's addresses), so per-IP limits see clients, not the proxy.
   */
  trustProxy: boolean | number | string;
  /** Mark cookies Secure (set when served over TLS). */
  secureCookies: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  nodeId: string;
  sessionTtlDays: number;
  tokenTtlDays: number;
  /** Recent events kept in memory for readers and fan-out. */
  logCapacity: number;
  /** Estimated bytes those events may take; the oldest go first past either bound. */
  logCapacityBytes: number;
  /** Longest long-poll wait a client may ask for, seconds. */
  maxWaitSeconds: number;
  /** Largest HTTP request body, bytes. */
  bodyLimit: number;
  rateLimits: {
    /** Login attempts (login and token creation together) per IP and account per minute. */
    login: number;
    /** Login attempts per IP address per minute, whatever the account (stops username spraying). */
    loginPerIp: number;
    /**
     * Failed logins an account may take (from any IP) within 15 minutes before
     * each further attempt must wait a growing delay (see loginMaxDelaySeconds).
     */
    loginFailuresPerAccount: number;
    /** Registrations per IP per hour. */
    register: number;
    /** Messages per user per 10 seconds. */
    send: number;
    /** Typing signals per user per 10 seconds. */
    typing: number;
    /** Friend requests per user per hour. */
    friendRequests: number;
    /** Messages per IP address per 10 seconds (all its users together). */
    sendPerIp: number;
    /** Typing signals per IP address per 10 seconds. */
    typingPerIp: number;
    /** Friend requests per IP address per hour. */
    friendRequestsPerIp: number;
  };
  /** The longest delay the per-account login throttle imposes, seconds (it doubles per failure up to this). */
  loginMaxDelaySeconds: number;
  /** Live streams (WebSocket, SSE, waiting long polls) one node accepts. */
  maxConnections: number;
  /** Live streams one user may hold on one node. */
  maxConnectionsPerUser: number;
  /** Live streams (WebSocket upgrades, SSE, waiting long polls) one client IP may hold on one node, whatever the accounts. */
  maxConnectionsPerIp: number;
  /** Waiting legacy long polls (the seeds' /updatemsg, /a/message/updates…) one client IP may hold on one node. */
  legacyLongPollsPerIp: number;
  /** Waiting legacy long polls one node holds in all, whatever the addresses. */
  legacyMaxLongPolls: number;
  /** Open legacy /msg WebSockets one node holds in all. */
  legacyMaxSockets: number;
  /** Open legacy /msg WebSockets one client IP may hold on one node. */
  legacySocketsPerIp: number;
  /** Largest WebSocket frame a client may send, bytes (v1 and /msg): larger ones close the connection with 1009. */
  wsMaxPayloadBytes: number;
  /** Malformed frames a v1 WebSocket may send within 10 seconds before it is closed with 1008. */
  wsBadFrameLimit: number;
  /** How long a resolved credential is trusted without reading the store, seconds. */
  authCacheSeconds: number;
  /** How long past freshness a cached credential is still accepted while the store is unreachable, seconds (0 = never). */
  authStaleGraceSeconds: number;
  /** Credentials the auth cache holds at most (the least recently resolved go first). */
  authCacheEntries: number;
  /** Keys each login-throttle table (per IP, per IP and account, per account) holds at most. */
  loginThrottleEntries: number;
  /**
   * How often the node reads the store's head for events it was not told of,
   * ms: with no bus, or a lost doorbell, it bounds how late another node's or
   * the CLI's writes (messages, revocations) are seen here.
   */
  headPollMs: number;
  /** Outbound queue bound per live session, bytes: past it the session is closed as a slow consumer (4001). */
  maxQueueBytes: number;
  /** Bytes written to a session's socket and not yet drained before further frames wait in its queue. */
  writeWindow: number;
  /** scrypt cost N (tests lower it). */
  scryptCost: number;
  /** Serve the built web app from this folder when it exists. */
  webDir: string;
  /** SQLite synchronous mode: NORMAL survives process crashes, FULL also power loss. */
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** Address of the separate /metrics listener (only when metricsPort is set). */
  metricsHost: string;
  /** Port of the separate /metrics listener; 0 = no separate listener. */
  metricsPort: number;
  /**
   * Bearer token /metrics requires; when set, /metrics is also served on the
   * app port to a request presenting it. Empty: never on the app port.
   */
  metricsToken: string;
  /** Seconds a client is told to wait (Retry-After) when the database is unreachable. */
  storeRetryAfterSeconds: number;
}

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
};

export type ConfigInput = Partial<Omit<Config, 'rateLimits'>> & { rateLimits?: Partial<Config['rateLimits']> };

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

// ── the shape of every key ─────────────────────────────────────────────────

export type Spec =
  | { kind: 'int'; min: number; max?: number }
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'list' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'trustProxy' };

const int = (min: number, max?: number): Spec => ({ kind: 'int', min, ...(max === undefined ? {} : { max }) });
const str: Spec = { kind: 'string' };
const positive = int(1);

/** Every key's type and hard range; cross-key rules are in makeConfig. A key missing here is a compile error. */
const SPEC: { [K in Exclude<keyof Config, 'rateLimits'>]: Spec } & { rateLimits: { [K in keyof Config['rateLimits']]: Spec } } = {
  host: str,
  port: int(0, 65535),
  dataDir: str,
  databaseUrl: str,
  redisUrl: str,
  databaseSchema: str,
  busPrefix: str,
  allowedOrigins: { kind: 'list' },
  trustProxy: { kind: 'trustProxy' },
  secureCookies: { kind: 'bool' },
  logLevel: { kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
  nodeId: str,
  sessionTtlDays: int(1, 3650),
  tokenTtlDays: int(1, 36500),
  logCapacity: int(100),
  maxWaitSeconds: int(1, 55),
  // Below 1 MiB a burst of large messages would push readers to the store almost at once.
  logCapacityBytes: int(1024 * 1024),
  bodyLimit: int(1024),
  rateLimits: {
    login: positive,
    loginPerIp: positive,
    loginFailuresPerAccount: positive,
    register: positive,
    send: positive,
    typing: positive,
    friendRequests: positive,
    sendPerIp: positive,
    typingPerIp: positive,
    friendRequestsPerIp: positive,
  },
  loginMaxDelaySeconds: int(1, 86_400),
  maxConnections: positive,
  maxConnectionsPerUser: positive,
  maxConnectionsPerIp: positive,
  legacyLongPollsPerIp: positive,
  legacyMaxLongPolls: positive,
  legacyMaxSockets: positive,
  legacySocketsPerIp: positive,
  // Below 32 KiB a valid 4000-character message (up to 4 bytes a character, with its envelope) might not fit in a frame.
  wsMaxPayloadBytes: int(32 * 1024, 64 * 1024 * 1024),
  wsBadFrameLimit: positive,
  authCacheSeconds: int(1, 3600),
  authStaleGraceSeconds: int(0, 86_400),
  authCacheEntries: int(100),
  loginThrottleEntries: int(100),
  // Below 100 ms the poll is a query per node a few times per event-loop stall, for latency the bus already gives.
  headPollMs: int(100, 60_000),
  maxQueueBytes: int(64 * 1024),
  writeWindow: int(1024),
  scryptCost: int(2, 1 << 20),
  webDir: str,
  sqliteSynchronous: { kind: 'enum', values: ['NORMAL', 'FULL'] },
  metricsHost: str,
  metricsPort: int(0, 65535),
  metricsToken: str,
  storeRetryAfterSeconds: int(1, 3600),
};

/** Keys whose value is an object of keys (flattened with a dot elsewhere). */
export const NESTED = ['rateLimits'] as const;
export const specOf = (key: string): Spec | undefined =>
  key
    .split('.')
    .reduce<unknown>((o, k) => (o && typeof o === 'object' && !('kind' in o) ? (o as Record<string, unknown>)[k] : undefined), SPEC) as
    | Spec
    | undefined;

/** Every key, nested ones flattened with a dot ("rateLimits.sendPerIp"). */
export function configKeys(): string[] {
  return Object.entries(SPEC).flatMap(([k, v]) => ('kind' in v ? [k] : Object.keys(v).map((n) => `${k}.${n}`)));
}

/** rateLimits.sendPerIp → HUBBUB_RATE_LIMITS_SEND_PER_IP. */
export function envName(key: string): string {
  return (
    'HUBBUB_' +
    key
      .split('.')
      .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
      .join('_')
  );
}

export const fail = (msg: string): never => {
  throw new Error(`Invalid configuration: ${msg}`);
};

/** Why `value` cannot be `key`'s value, or null when it can. */
function typeError(spec: Spec, value: unknown): string | null {
  switch (spec.kind) {
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) return 'must be an integer';
      if (value < spec.min || (spec.max !== undefined && value > spec.max)) return `must be ${spec.min}–${spec.max ?? '∞'}`;
      return null;
    case 'string':
      return typeof value === 'string' ? null : 'must be a string';
    case 'bool':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? null : 'must be a list of strings';
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value) ? null : `must be one of ${spec.values.join(', ')}`;
    case 'trustProxy':
      return ['boolean', 'string'].includes(typeof value) || (Number.isInteger(value) && (value as number) >= 0)
        ? null
        : 'must be true, false, a hop count or proxy addresses';
  }
}

/** Checks an input object key by key: unknown keys and wrong types are refused, naming the key and `where` it came from. */
export function checkInput(input: Record<string, unknown>, where: string, prefix = ''): void {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    fail(`${prefix ? prefix.slice(0, -1) : 'the configuration'}${where} must be an object`);
  for (const [k, v] of Object.entries(input)) {
    const key = prefix + k;
    if (v === undefined) continue;
    if (!prefix && (NESTED as readonly string[]).includes(k)) {
      checkInput(v as Record<string, unknown>, where, `${k}.`);
      continue;
    }
    const spec = specOf(key);
    if (!spec) fail(`unknown key ${key}${where}`);
    const why = typeError(spec!, v);
    if (why) fail(`${key}${where} ${why}, got ${JSON.stringify(v)}`);
  }
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
