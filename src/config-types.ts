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
    /** File uploads per user per minute. */
    uploads: number;
    /** Searches per user per minute. */
    search: number;
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
  /** Seconds after sending during which its sender may edit a message; 0 = no limit. */
  editWindowSeconds: number;
  /** Distinct emoji one message may carry as reactions. */
  maxReactionsPerMessage: number;
  /** Where uploaded files live: `disk` (under dataDir/files), `postgres` (every node serves every file), `auto` = postgres when databaseUrl is set. */
  fileStore: 'auto' | 'disk' | 'postgres';
  /** Largest file one upload may carry, bytes. */
  maxFileBytes: number;
  /** Bytes of files one user may have stored in all (sent or waiting to be sent). */
  uploadQuotaBytes: number;
  /** Bytes of files this installation stores in all; past it uploads are refused (FILE_STORAGE_FULL). */
  filesTotalBytes: number;
  /** Largest image an upload may decode, in pixels (width × height): guards against decompression bombs. */
  maxImagePixels: number;
  /** Hours an uploaded file waits to be sent with a message before it is removed. */
  unsentUploadHours: number;
  /** Whether the server fetches OpenGraph previews of the first link in a message. */
  linkPreviews: boolean;
  /** Let link previews fetch private, loopback and link-local addresses (tests only: the guard against SSRF). */
  linkPreviewAllowPrivate: boolean;
  /** How long one preview fetch (all redirects, body and image) may take, ms. */
  linkPreviewTimeoutMs: number;
  /** Bytes of a linked page (or its image) read at most. */
  linkPreviewMaxBytes: number;
  /** Previews being fetched at once on this node; further links wait in a queue of the same size, then are skipped. */
  linkPreviewConcurrency: number;
}

export type ConfigInput = Partial<Omit<Config, 'rateLimits'>> & { rateLimits?: Partial<Config['rateLimits']> };
