import type { ErrorCode } from '../domain/errors.js';

/**
 * What a database driver's failure means for the client, decided in one
 * place: the database cannot be reached or refuses work for now
 * (STORE_UNAVAILABLE, 503: retry shortly, nothing was changed) or has no room
 * left (STORAGE_FULL, 507). Anything else is not an outage (a bug, a broken
 * invariant) and stays INTERNAL. The stores throw their drivers' errors as
 * they are; this reads them.
 *
 * pg reports a lost connection by message only (no code), so those few
 * message texts are matched here and nowhere else.
 */

/** Node's socket errors: the server is down, restarting or unreachable. */
const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
]);

/**
 * PostgreSQL SQLSTATEs (Appendix A) that mean "not now": connection
 * exceptions (class 08), shutdown and startup (57P01–57P03), resource limits
 * (53000, 53200, 53300), a standby after failover (25006), a cancelled
 * statement (57014: statement_timeout).
 */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '57P05', '57014', '53000', '53200', '53300', '25006', '58030']);
const PG_FULL = new Set(['53100']);

/** pg and pg-pool errors that carry no code. */
const PG_MESSAGES = [
  /^Connection terminated/, // "… unexpectedly", "… due to connection timeout"
  /^timeout exceeded when trying to connect/, // pg-pool's connectionTimeoutMillis
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Cannot use a pool after calling end on the pool/,
];

function classifyOne(e: { code?: unknown; message?: unknown } | null | undefined): ErrorCode | null {
  if (!e || typeof e !== 'object') return null;
  const code = typeof e.code === 'string' ? e.code : '';
  if (code === 'STORE_UNAVAILABLE' || code === 'STORAGE_FULL') return code;
  // SQLite: SQLITE_FULL is also what it reports for ENOSPC on the file or the WAL.
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || PG_FULL.has(code)) return 'STORAGE_FULL';
  // Still locked after busy_timeout, or the file cannot be read or written at all.
  if (/^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|READONLY|PROTOCOL)/.test(code)) return 'STORE_UNAVAILABLE';
  if (NET_CODES.has(code) || PG_UNAVAILABLE.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return 'STORE_UNAVAILABLE';
  if (typeof e.message === 'string' && PG_MESSAGES.some((re) => re.test(e.message as string))) return 'STORE_UNAVAILABLE';
  return null;
}

/** STORE_UNAVAILABLE, STORAGE_FULL, or null when `err` is not an outage of the store. */
export function classifyStoreError(err: unknown): ErrorCode | null {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown } | null;
  const direct = classifyOne(e);
  if (direct) return direct;
  // Node's connect() to several addresses fails with an AggregateError of each attempt's error.
  if (e && Array.isArray(e.errors)) for (const inner of e.errors) if (classifyOne(inner)) return classifyOne(inner);
  if (e?.cause && e.cause !== err) return classifyOne(e.cause as { code?: unknown });
  return null;
}

/** True when the database cannot be reached for now (a cached answer may stand in for it). */
export function isStoreUnavailable(err: unknown): boolean {
  return classifyStoreError(err) === 'STORE_UNAVAILABLE';
}

/** The driver's own name for a failure, for the one log line an outage gets. */
export function driverCause(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = e && typeof e.code === 'string' ? e.code : '';
  const message = e && typeof e.message === 'string' ? e.message : String(err);
  return code ? `${code}: ${message}` : message;
}
