import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { accountKey, checkPassword, normalizeDisplayName, normalizeUsername } from '../domain/rules.js';
import type { StoredEvent, User } from '../domain/types.js';
import { DEFAULTS } from '../config.js';
import { isStoreUnavailable } from '../store/failures.js';
import type { RevokeReason, Store } from '../store/store.js';
import {
  authCacheOptions,
  type AuthCacheOptions,
  type AuthOptions,
  type ClientInfo,
  type Principal,
  type SessionInfo,
} from './auth-options.js';
import { LoginThrottle } from './login-throttle.js';
import { hashPassword, verifyPassword } from './passwords.js';

export type { AuthCacheOptions, AuthOptions, ClientInfo, Principal, SessionInfo } from './auth-options.js';
export { authCacheOptions } from './auth-options.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
const token = () => randomBytes(32).toString('base64url');
/** The public name of a session: a hash of its hash, so the list never hands out what the store keys on. */
export const sessionId = (tokenHash: string) => sha256(tokenHash).slice(0, 16);
/** lastUsedAt is written at most this often per token (per node), never per request. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Accounts and credentials. Only hashes of session and bearer tokens are
 * stored, so a database leak does not hand out logins. Revocations are written
 * to the log with the deletion (auth.revoked, user.deleted), so every node
 * drops its cached credentials and closes live connections as it ingests them.
 */
export class AuthService {
  // A fixed hash to verify against for unknown users, so timing does not reveal who exists.
  private dummyHash: Promise<string>;
  private readonly throttle: LoginThrottle | null;
  private readonly clock: () => number;
  private readonly bounds: AuthCacheOptions;
  /** Password hashes computed to check a password (a metric; the throttle tests count them). */
  passwordChecks = 0;

  constructor(
    private readonly store: Store,
    private readonly opts: AuthOptions,
  ) {
    this.dummyHash = hashPassword('dummy-password', opts.scryptCost);
    this.throttle = opts.throttle ? new LoginThrottle(opts.throttle) : null;
    this.clock = opts.clock ?? (() => performance.now());
    this.bounds = opts.cache ?? authCacheOptions(DEFAULTS);
    opts.onEntries?.((entries) => {
      for (const e of entries) if (e.type === 'auth.revoked' || e.type === 'user.deleted') this.forget(JSON.parse(e.payload));
    });
  }

  get loginThrottle(): LoginThrottle | null {
    return this.throttle;
  }

  async register(input: { username: string; password: string; displayName?: string }): Promise<User> {
    const username = normalizeUsername(input.username);
    const password = checkPassword(input.password, username);
    const displayName = normalizeDisplayName(input.displayName, username);
    await this.refuseOthersUsername(displayName, null, username);
    return this.store.createUser({ username, displayName, passwordHash: await hashPassword(password, this.opts.scryptCost) });
  }

  /**
   * Checks a password, unthrottled (the CLI, and `login` once admitted).
   * NFC first, as it was hashed; a hash made before passwords were normalised
   * may hold another form, so the raw form is tried too when it differs.
   */
  async verify(usernameRaw: string, password: string): Promise<User> {
    const found = await this.store.getUserByUsername(accountKey(usernameRaw));
    const hash = found?.passwordHash ?? (await this.dummyHash);
    const nfc = password.normalize('NFC');
    this.passwordChecks++;
    let ok = await verifyPassword(nfc, hash);
    if (!ok && found && nfc !== password) {
      this.passwordChecks++;
      ok = await verifyPassword(password, hash);
    }
    if (!found || !ok) throw new AppError('INVALID_CREDENTIALS');
    const { passwordHash: _omit, ...user } = found;
    return user;
  }

  /**
   * `verify` behind the login throttle (login, token creation, changing a
   * password): over any limit it throws LOGIN_THROTTLED before hashing.
   */
  async login(usernameRaw: string, password: string, ip: string): Promise<User> {
    if (!this.throttle) return this.verify(usernameRaw, password);
    const account = accountKey(usernameRaw);
    this.throttle.admit(ip, account);
    let ok: boolean | null = null;
    try {
      const user = await this.verify(usernameRaw, password);
      ok = true;
      return user;
    } catch (err) {
      if (err instanceof AppError && err.code === 'INVALID_CREDENTIALS') ok = false;
      throw err;
    } finally {
      this.throttle.settle(ip, account, ok);
    }
  }

  /** An administrator sets a password (CLI): every session and token of the user ends. */
  async setPassword(usernameRaw: string, password: string): Promise<void> {
    const found = await this.store.getUserByUsername(accountKey(usernameRaw));
    if (!found) throw new AppError('USER_NOT_FOUND');
    const nfc = checkPassword(password, found.username);
    await this.store.setPassword(found.id, await hashPassword(nfc, this.opts.scryptCost));
    await this.revokeAll(found.id, 'password');
  }

  /** A user changes their own password: every other session and token ends, this one stays. */
  async changePassword(p: Principal, currentPassword: string, newPassword: string, ip: string): Promise<void> {
    const nfc = checkPassword(newPassword, p.user.username);
    await this.login(p.user.username, currentPassword, ip);
    await this.store.setPassword(p.user.id, await hashPassword(nfc, this.opts.scryptCost));
    await this.revokeAll(p.user.id, 'password', p.tokenHash);
  }

  async setDisplayName(p: Principal, raw: string): Promise<User> {
    const displayName = normalizeDisplayName(raw, p.user.username);
    await this.refuseOthersUsername(displayName, p.user.id, p.user.username);
    const user = await this.store.setDisplayName(p.user.id, displayName);
    if (!user) throw new AppError('USER_NOT_FOUND');
    // This node's cached principals carry the old name.
    for (const v of this.cache.values()) if (v.principal.user.id === user.id) v.principal.user = user;
    return user;
  }

  async setRole(username: string, role: User['role']): Promise<User> {
    const u = await this.store.getUserByUsername(accountKey(username));
    return (u && (await this.store.setUserRole(u.id, role))) ?? Promise.reject(new AppError('USER_NOT_FOUND'));
  }

  /** A display name that reads as someone else's username would let one pose as them. */
  private async refuseOthersUsername(displayName: string, selfId: string | null, selfUsername: string): Promise<void> {
    const name = accountKey(displayName);
    if (name === selfUsername) return; // one's own username (the default) is one's own
    const other = await this.store.getUserByUsername(name);
    if (other && other.id !== selfId)
      throw new AppError('INVALID_DISPLAY_NAME', "That display name is another user's username; choose another.");
  }

  async openSession(user: User, client: ClientInfo = {}): Promise<{ token: string; csrfToken: string }> {
    const t = token();
    const csrfToken = token();
    await this.store.createAuthToken({
      tokenHash: sha256(t),
      userId: user.id,
      kind: 'session',
      csrfToken,
      expiresAt: Date.now() + this.opts.sessionTtlMs,
      ...clip(client),
    });
    return { token: t, csrfToken };
  }

  async issueBearer(user: User, client: ClientInfo = {}): Promise<string> {
    const t = 'hb_' + token();
    await this.store.createAuthToken({
      tokenHash: sha256(t),
      userId: user.id,
      kind: 'bearer',
      csrfToken: null,
      expiresAt: Date.now() + this.opts.tokenTtlMs,
      ...clip(client),
    });
    return t;
  }

  /**
   * Recently resolved credentials, so a long poll that comes back ten times a
   * second costs no database read and no hashing. Keyed by the credential as
   * presented (it is in this process's memory while a request holds it anyway);
   * only hashes are ever stored. An entry is fresh for `freshMs` of monotonic
   * time (a wall-clock jump neither extends nor ends it); revocation removes
   * it at once on the revoking node and, through the log, on every other
   * within its head poll. Stale entries stay (bounded) so `cached` can tell a
   * known caller to revalidate, and so a caller keeps working through a short
   * store outage (`staleGraceMs`): a revoked entry is gone, so it is never
   * served stale.
   */
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  /** Bumped by every purge: a lookup that overlapped one does not cache what it read. */
  private purges = 0;

  async resolve(tokenValue: string, via: 'session' | 'bearer'): Promise<Principal | null> {
    if (tokenValue.length === 0 || tokenValue.length > 200) return null;
    const key = via + ' ' + tokenValue;
    const now = this.clock();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.principal;
    const purges = this.purges;
    let principal: Principal | null;
    try {
      principal = await this.lookup(sha256(tokenValue), via);
    } catch (err) {
      // Still cached after the await means not revoked meanwhile.
      const still = this.cache.get(key);
      if (still && isStoreUnavailable(err) && this.clock() < still.until + this.bounds.staleGraceMs) return still.principal;
      throw err;
    }
    // Re-inserted below, so the Map's order stays oldest-resolved first for eviction.
    this.cache.delete(key);
    if (!principal || purges !== this.purges) return principal;
    if (this.cache.size >= this.bounds.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { principal, until: now + this.bounds.freshMs });
    return principal;
  }

  /**
   * `resolve` from the cache alone, without waiting: the principal and whether
   * it is still fresh (a stale one must be revalidated with `resolve` before
   * use), or undefined when this credential is not known here.
   */
  cached(tokenValue: string, via: 'session' | 'bearer'): { principal: Principal; fresh: boolean } | undefined {
    const hit = this.cache.get(via + ' ' + tokenValue);
    return hit && { principal: hit.principal, fresh: hit.until > this.clock() };
  }

  private async lookup(tokenHash: string, via: 'session' | 'bearer'): Promise<Principal | null> {
    const rec = await this.store.getAuthToken(tokenHash);
    if (!rec || rec.kind !== via) return null;
    const wall = Date.now(); // expiresAt and lastUsedAt are stored timestamps
    if (rec.expiresAt < wall) {
      await this.revoke(tokenHash, 'expired');
      return null;
    }
    const user = await this.store.getUser(rec.userId);
    if (!user) return null;
    if (rec.lastUsedAt === null || wall - rec.lastUsedAt >= TOUCH_EVERY_MS) {
      // Only for the session list: a failure here must not fail the request.
      this.store.touchAuthToken(tokenHash, wall).catch(() => undefined);
    }
    return { user, via, csrfToken: rec.csrfToken, tokenHash };
  }

  /** Drops cached credentials named by a revocation (this node's or another's, from the log). */
  private forget(e: { type: string; userId?: string; tokenHash?: string | null }): void {
    this.purges++;
    // A scan, not a second index: revocation is rare, and an index would cost every cached caller memory.
    for (const [k, v] of this.cache) {
      const p = v.principal;
      if (e.tokenHash ? p.tokenHash === e.tokenHash : p.user.id === e.userId) this.cache.delete(k);
    }
  }

  private async commit(events: StoredEvent[]): Promise<void> {
    if (events.length > 0 && this.opts.commit) await this.opts.commit(events);
  }

  async revoke(tokenHash: string, reason: RevokeReason = 'logout'): Promise<void> {
    // Here at once, before the write: a request racing the revocation must not find it cached.
    this.forget({ type: 'auth.revoked', tokenHash });
    await this.commit(await this.store.deleteAuthToken(tokenHash, reason));
  }

  /** Every session and token of a user but `exceptTokenHash` (log out everywhere, password change). */
  async revokeAll(userId: string, reason: RevokeReason = 'logout-all', exceptTokenHash?: string): Promise<void> {
    this.purges++;
    for (const [k, v] of this.cache) if (v.principal.user.id === userId && v.principal.tokenHash !== exceptTokenHash) this.cache.delete(k);
    await this.commit(await this.store.deleteAuthTokensOfUser(userId, reason, exceptTokenHash));
  }

  /** The user's sessions and tokens, oldest first. */
  async listSessions(p: Principal): Promise<SessionInfo[]> {
    const wall = Date.now();
    return (await this.store.listAuthTokens(p.user.id))
      .filter((t) => t.expiresAt >= wall)
      .map((t) => ({
        id: sessionId(t.tokenHash),
        kind: t.kind,
        current: t.tokenHash === p.tokenHash,
        createdAt: t.createdAt,
        lastUsedAt: t.lastUsedAt,
        userAgent: t.userAgent,
        ip: t.ip,
      }));
  }

  /** Ends one of the user's sessions by its public id, everywhere. */
  async endSession(p: Principal, id: string): Promise<void> {
    const found = (await this.store.listAuthTokens(p.user.id)).find((t) => sessionId(t.tokenHash) === id);
    if (!found) throw new AppError('NOT_FOUND', 'No such session.');
    await this.revoke(found.tokenHash, 'logout');
  }
}

/** What the session list keeps of a client: bounded, so a request cannot grow a row. */
function clip(c: ClientInfo): { userAgent: string | null; ip: string | null } {
  return { userAgent: c.userAgent ? c.userAgent.slice(0, 256) : null, ip: c.ip ? c.ip.slice(0, 64) : null };
}
