import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { checkPassword, normalizeDisplayName, normalizeUsername } from '../domain/rules.js';
import type { User } from '../domain/types.js';
import type { Store } from '../store/store.js';
import { hashPassword, verifyPassword } from './passwords.js';

export interface Principal {
  user: User;
  via: 'session' | 'bearer';
  /** The session's CSRF token (cookie sessions only). */
  csrfToken: string | null;
  tokenHash: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
const token = () => randomBytes(32).toString('base64url');

/**
 * Accounts and credentials. Only hashes of session and bearer tokens are
 * stored, so a database leak does not hand out logins.
 */
export class AuthService {
  // A fixed hash to verify against for unknown users, so timing does not reveal who exists.
  private dummyHash: Promise<string>;

  constructor(private readonly store: Store, private readonly opts: { sessionTtlMs: number; tokenTtlMs: number; scryptCost?: number }) {
    this.dummyHash = hashPassword('dummy-password', opts.scryptCost);
  }

  async register(input: { username: string; password: string; displayName?: string }): Promise<User> {
    const username = normalizeUsername(input.username);
    checkPassword(input.password, username);
    const displayName = normalizeDisplayName(input.displayName, username);
    return this.store.createUser({ username, displayName, passwordHash: await hashPassword(input.password, this.opts.scryptCost) });
  }

  async verify(usernameRaw: string, password: string): Promise<User> {
    const username = usernameRaw.trim().toLowerCase();
    const found = await this.store.getUserByUsername(username);
    const ok = await verifyPassword(password, found?.passwordHash ?? (await this.dummyHash));
    if (!found || !ok) throw new AppError('INVALID_CREDENTIALS');
    const { passwordHash: _omit, ...user } = found;
    return user;
  }

  async setPassword(usernameRaw: string, password: string): Promise<void> {
    checkPassword(password, usernameRaw.trim().toLowerCase());
    const found = await this.store.getUserByUsername(usernameRaw.trim().toLowerCase());
    if (!found) throw new AppError('USER_NOT_FOUND');
    await this.store.setPassword(found.id, await hashPassword(password, this.opts.scryptCost));
  }

  async openSession(user: User): Promise<{ token: string; csrfToken: string }> {
    const t = token();
    const csrfToken = token();
    await this.store.createAuthToken({ tokenHash: sha256(t), userId: user.id, kind: 'session', csrfToken, expiresAt: Date.now() + this.opts.sessionTtlMs });
    return { token: t, csrfToken };
  }

  async issueBearer(user: User): Promise<string> {
    const t = 'hb_' + token();
    await this.store.createAuthToken({ tokenHash: sha256(t), userId: user.id, kind: 'bearer', csrfToken: null, expiresAt: Date.now() + this.opts.tokenTtlMs });
    return t;
  }

  /**
   * Recently resolved credentials, so a long poll that comes back ten times a
   * second costs no database read and no hashing. Keyed by the credential as
   * presented (it is in this process's memory while a request holds it anyway);
   * only hashes are ever stored. An entry is fresh for CACHE_MS; revocation on
   * this node removes it at once, on other nodes it takes effect within CACHE_MS.
   * Stale entries stay (bounded) so `cached` can tell a known caller to revalidate.
   */
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  private static readonly CACHE_MS = 5_000;
  private static readonly CACHE_MAX = 100_000;

  async resolve(tokenValue: string, via: 'session' | 'bearer'): Promise<Principal | null> {
    if (tokenValue.length === 0 || tokenValue.length > 200) return null;
    const key = via + ' ' + tokenValue;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.principal;
    const principal = await this.lookup(sha256(tokenValue), via);
    // Re-inserted below, so the Map's order stays oldest-resolved first for eviction.
    this.cache.delete(key);
    if (!principal) return null;
    if (this.cache.size >= AuthService.CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { principal, until: now + AuthService.CACHE_MS });
    return principal;
  }

  /**
   * `resolve` from the cache alone, without waiting: the principal and whether
   * it is still fresh (a stale one must be revalidated with `resolve` before
   * use), or undefined when this credential is not known here.
   */
  cached(tokenValue: string, via: 'session' | 'bearer'): { principal: Principal; fresh: boolean } | undefined {
    const hit = this.cache.get(via + ' ' + tokenValue);
    return hit && { principal: hit.principal, fresh: hit.until > Date.now() };
  }

  private async lookup(tokenHash: string, via: 'session' | 'bearer'): Promise<Principal | null> {
    const rec = await this.store.getAuthToken(tokenHash);
    if (!rec || rec.kind !== via) return null;
    if (rec.expiresAt < Date.now()) {
      await this.store.deleteAuthToken(tokenHash);
      return null;
    }
    const user = await this.store.getUser(rec.userId);
    if (!user) return null;
    return { user, via, csrfToken: rec.csrfToken, tokenHash };
  }

  async revoke(tokenHash: string): Promise<void> {
    // A scan, not a second index: revocation is rare, and an index would cost every cached caller memory.
    for (const [k, v] of this.cache) if (v.principal.tokenHash === tokenHash) this.cache.delete(k);
    await this.store.deleteAuthToken(tokenHash);
  }

  /** Every session and token of a user (log out everywhere, account deletion). */
  async revokeAll(userId: string): Promise<void> {
    for (const [k, v] of this.cache) if (v.principal.user.id === userId) this.cache.delete(k);
    await this.store.deleteAuthTokensOfUser(userId);
  }
}
