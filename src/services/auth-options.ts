import type { Config } from '../config.js';
import type { StoredEvent, User } from '../domain/types.js';
import type { LoginThrottleOptions } from './login-throttle.js';

/** What AuthService hands out and is built with: principals, session rows, its options and the cache's bounds. */

export interface Principal {
  user: User;
  via: 'session' | 'bearer';
  /** The session's CSRF token (cookie sessions only). */
  csrfToken: string | null;
  tokenHash: string;
}

/** Where a credential was made from, for the session list. */
export interface ClientInfo {
  userAgent?: string | null;
  ip?: string | null;
}

export interface SessionInfo {
  /** Names the session without revealing its token hash: sha256(tokenHash), 16 characters. */
  id: string;
  kind: 'session' | 'bearer';
  current: boolean;
  createdAt: number | null;
  lastUsedAt: number | null;
  userAgent: string | null;
  ip: string | null;
}

/** Entries as the hub hands them to observers (hub.onEntries): only the type and payload are read. */
type EntryFeed = (listener: (entries: ReadonlyArray<{ type: string; payload: string }>) => void) => () => void;

export interface AuthOptions {
  sessionTtlMs: number;
  tokenTtlMs: number;
  scryptCost?: number;
  /** Hands committed events to the node (hub.committed). Without it (the CLI), nodes learn from the log's head poll. */
  commit?: (events: StoredEvent[]) => Promise<void>;
  /** Every ingested log batch (hub.onEntries), so a revocation on any node drops this node's cache entries. */
  onEntries?: EntryFeed;
  /** Login throttling; without it (the CLI) password checks are not throttled. */
  throttle?: LoginThrottleOptions;
  /** Bounds of the credential cache; without it, the configuration defaults. */
  cache?: AuthCacheOptions;
  /** Monotonic milliseconds for the credential cache (tests move it). */
  clock?: () => number;
}

/** The credential cache's bounds (see AuthService.cache). */
export interface AuthCacheOptions {
  /** How long a resolved credential is served without reading the store (authCacheSeconds). */
  freshMs: number;
  /** How long past freshness it is still served while the store is unreachable (authStaleGraceSeconds). */
  staleGraceMs: number;
  /** Entries held at most; the least recently resolved go first (authCacheEntries). */
  maxEntries: number;
}

export function authCacheOptions(
  config: Pick<Config, 'authCacheSeconds' | 'authStaleGraceSeconds' | 'authCacheEntries'>,
): AuthCacheOptions {
  return {
    freshMs: config.authCacheSeconds * 1000,
    staleGraceMs: config.authStaleGraceSeconds * 1000,
    maxEntries: config.authCacheEntries,
  };
}
