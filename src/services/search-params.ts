import { AppError } from '../domain/errors.js';
import { isId } from '../domain/ids.js';

/**
 * The search request as typed (query-string values), checked and turned into
 * what the service looks up. Pure: every refusal is a catalog error, nothing
 * is read from the store here (who `from` and `in` name is the service's).
 */

/** Characters of query text at most, after trimming. */
export const QUERY_MAX = 200;
export const LIMIT_MAX = 50;
export const LIMIT_DEFAULT = 20;

export interface SearchParams {
  q?: string;
  in?: string;
  from?: string;
  before?: string;
  after?: string;
  has?: string;
  limit?: string;
  cursor?: string;
}

export interface SearchRequest {
  /** Trimmed; '' = filters only. */
  text: string;
  conversationId: string | null;
  /** A user id (all digits) or a username, as given. */
  from: string | null;
  /** ISO instants (exclusive bounds). */
  before: string | null;
  after: string | null;
  has: 'file' | 'link' | null;
  limit: number;
  /** Only messages with an id below this one. */
  beforeId: string | null;
}

export function parseSearchParams(p: SearchParams): SearchRequest {
  const text = (p.q ?? '').trim();
  if ([...text].length > QUERY_MAX) throw new AppError('INVALID_SEARCH', `The query text is longer than ${QUERY_MAX} characters.`);
  const req: SearchRequest = {
    text,
    conversationId: p.in === undefined ? null : conversationParam(p.in),
    from: p.from === undefined ? null : fromParam(p.from),
    before: p.before === undefined ? null : instant(p.before, 'before'),
    after: p.after === undefined ? null : instant(p.after, 'after'),
    has: p.has === undefined ? null : hasParam(p.has),
    limit: limitParam(p.limit),
    beforeId: p.cursor === undefined ? null : decodeSearchCursor(p.cursor),
  };
  const filtered = req.conversationId || req.from || req.before || req.after || req.has;
  if (text === '' && !filtered) throw new AppError('INVALID_SEARCH');
  return req;
}

function conversationParam(raw: string): string {
  if (!isId(raw)) throw new AppError('CONVERSATION_NOT_FOUND');
  return raw;
}

function fromParam(raw: string): string {
  const s = raw.trim();
  if (s === '' || s.length > 64) throw new AppError('VALIDATION_FAILED', '`from` must be a user id or a username.');
  return s;
}

function hasParam(raw: string): 'file' | 'link' {
  if (raw === 'file' || raw === 'link') return raw;
  throw new AppError('VALIDATION_FAILED', '`has` must be file or link.');
}

function limitParam(raw: string | undefined): number {
  if (raw === undefined) return LIMIT_DEFAULT;
  const n = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= LIMIT_MAX)) throw new AppError('VALIDATION_FAILED', `limit must be an integer 1–${LIMIT_MAX}.`);
  return n;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;

/**
 * An ISO 8601 instant with its zone (2024-05-01T12:00:00Z, …+08:00), or a
 * day (2024-05-01 = its first instant, UTC), as the ISO string the store
 * compares. No local times: the server's zone is nobody's business.
 */
function instant(raw: string, name: string): string {
  const m = DAY.exec(raw) ?? INSTANT.exec(raw);
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  // Date is lenient (Feb 30 becomes Mar 1): the calendar day must exist as written.
  const real = m && new Date(Date.UTC(y, mo - 1, d)).getUTCDate() === d && mo >= 1 && mo <= 12;
  const at = real ? new Date(DAY.test(raw) ? `${raw}T00:00:00Z` : raw) : null;
  if (!at || Number.isNaN(at.getTime())) {
    throw new AppError('VALIDATION_FAILED', `\`${name}\` must be a date (YYYY-MM-DD) or an ISO instant with its zone.`);
  }
  return at.toISOString();
}

/** The opaque cursor of the next page: the last result's id, base64url. */
export function encodeSearchCursor(messageId: string): string {
  return Buffer.from(messageId, 'utf8').toString('base64url');
}

function decodeSearchCursor(raw: string): string {
  const id = /^[A-Za-z0-9_-]{1,24}$/.test(raw) ? Buffer.from(raw, 'base64url').toString('utf8') : '';
  // Canonical only: one cursor per position, so a cursor is never "almost" right.
  if (!isId(id) || encodeSearchCursor(id) !== raw) throw new AppError('INVALID_CURSOR');
  return id;
}
