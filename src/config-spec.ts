import type { Config } from './config-types.js';

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
    uploads: positive,
    search: positive,
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
  // Up to a year; 0 = no limit.
  editWindowSeconds: int(0, 365 * 86_400),
  // Every distinct emoji is a chip every client draws and a row per reactor: a few hundred at most.
  maxReactionsPerMessage: int(1, 500),
  fileStore: { kind: 'enum', values: ['auto', 'disk', 'postgres'] },
  // A file travels in one request and is held in memory while an image is re-encoded: 1 GiB at most.
  maxFileBytes: int(1, 1024 * 1024 * 1024),
  uploadQuotaBytes: int(0),
  filesTotalBytes: int(0),
  maxImagePixels: int(1, 1_000_000_000),
  unsentUploadHours: int(1, 24 * 365),
  linkPreviews: { kind: 'bool' },
  linkPreviewAllowPrivate: { kind: 'bool' },
  linkPreviewTimeoutMs: int(100, 60_000),
  linkPreviewMaxBytes: int(16 * 1024, 64 * 1024 * 1024),
  linkPreviewConcurrency: int(1, 1000),
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
