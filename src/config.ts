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
  /** scrypt cost N (tests lower it). */
  scryptCost: number;
  /** Serve the built web app from this folder when it exists. */
  webDir: string;
  /** SQLite synchronous mode: NORMAL survives process crashes, FULL also power loss. */
  sqliteSynchronous: 'NORMAL' | 'FULL';
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
  maxWaitSeconds: 55,
  bodyLimit: 64 * 1024,
  loginMaxDelaySeconds: 60,
  rateLimits: { login: 10, loginPerIp: 60, loginFailuresPerAccount: 10, register: 20, send: 100, typing: 20, friendRequests: 60, sendPerIp: 1000, typingPerIp: 200, friendRequestsPerIp: 300 },
  maxConnections: 100_000,
  maxConnectionsPerUser: 32,
  scryptCost: 1 << 15,
  webDir: path.resolve(path.dirname(new URL(import.meta.url).pathname), '../web/dist'),
  sqliteSynchronous: 'NORMAL',
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

export function makeConfig(input: ConfigInput = {}): Readonly<Config> {
  const c: Config = { ...DEFAULTS, ...input, rateLimits: { ...DEFAULTS.rateLimits, ...input.rateLimits } };
  if (input.maxConnections === undefined) c.maxConnections = defaultMaxConnections();
  const fail = (msg: string): never => {
    throw new Error(`Invalid configuration: ${msg}`);
  };
  if (!Number.isInteger(c.port) || c.port < 0 || c.port > 65535) fail(`port must be 0–65535, got ${c.port}`);
  if (c.databaseUrl && !/^postgres(ql)?:\/\//.test(c.databaseUrl)) fail('databaseUrl must start with postgres://');
  if (c.redisUrl && !/^rediss?:\/\//.test(c.redisUrl)) fail('redisUrl must start with redis://');
  if (c.redisUrl && !c.databaseUrl) fail('a Redis bus joins several nodes, which need a shared PostgreSQL database (set databaseUrl too)');
  if (c.databaseSchema && !/^[a-z_][a-z0-9_]{0,62}$/.test(c.databaseSchema)) fail('databaseSchema must be a lower-case SQL identifier');
  if (c.maxWaitSeconds < 1 || c.maxWaitSeconds > 55) fail('maxWaitSeconds must be 1–55 (below common proxy timeouts)');
  if (!Number.isInteger(c.maxConnections) || c.maxConnections < 1) fail('maxConnections must be a positive integer');
  if (!Number.isInteger(c.maxConnectionsPerUser) || c.maxConnectionsPerUser < 1 || c.maxConnectionsPerUser > c.maxConnections) fail('maxConnectionsPerUser must be 1–maxConnections');
  if (c.logCapacity < 100) fail('logCapacity must be at least 100');
  for (const [k, v] of Object.entries(c.rateLimits)) if (!Number.isInteger(v) || v < 1) fail(`rateLimits.${k} must be a positive integer`);
  return Object.freeze({ ...c, rateLimits: Object.freeze(c.rateLimits), allowedOrigins: Object.freeze([...c.allowedOrigins]) as string[] });
}

/** Reads HUBBUB_* environment variables (flags override them in the CLI). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ConfigInput {
  const out: ConfigInput = {};
  if (env.HUBBUB_HOST) out.host = env.HUBBUB_HOST;
  if (env.HUBBUB_PORT) out.port = Number(env.HUBBUB_PORT);
  if (env.HUBBUB_DATA_DIR) out.dataDir = env.HUBBUB_DATA_DIR;
  if (env.HUBBUB_DATABASE_URL) out.databaseUrl = env.HUBBUB_DATABASE_URL;
  if (env.HUBBUB_REDIS_URL) out.redisUrl = env.HUBBUB_REDIS_URL;
  if (env.HUBBUB_DATABASE_SCHEMA) out.databaseSchema = env.HUBBUB_DATABASE_SCHEMA;
  if (env.HUBBUB_BUS_PREFIX) out.busPrefix = env.HUBBUB_BUS_PREFIX;
  if (env.HUBBUB_ALLOWED_ORIGINS) out.allowedOrigins = env.HUBBUB_ALLOWED_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean);
  if (env.HUBBUB_TRUST_PROXY) {
    const v = env.HUBBUB_TRUST_PROXY;
    out.trustProxy = v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v;
  }
  if (env.HUBBUB_SECURE_COOKIES) out.secureCookies = env.HUBBUB_SECURE_COOKIES === '1' || env.HUBBUB_SECURE_COOKIES === 'true';
  if (env.HUBBUB_LOG_LEVEL) out.logLevel = env.HUBBUB_LOG_LEVEL as Config['logLevel'];
  if (env.HUBBUB_NODE_ID) out.nodeId = env.HUBBUB_NODE_ID;
  return out;
}
