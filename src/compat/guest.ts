import type { User } from '../domain/types.js';
import type { Ctx } from '../edge/context.js';

/** The guest's password hash: not a scrypt hash, so no password ever matches it. */
const GUEST_HASH = '!compat-guest:no-login';
/** The first free one of these names becomes the adapters' poster. */
const GUEST_NAMES = ['guest', 'legacy-guest', 'legacy-guest-2', 'legacy-guest-3'];

/** The adapters' one anonymous poster (docs/compat.md): found, or made before anyone can register the name. */
export async function ensureGuest(ctx: Ctx): Promise<User> {
  for (const username of GUEST_NAMES) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const found = await ctx.store.getUserByUsername(username);
      if (found) {
        if (found.passwordHash !== GUEST_HASH) break; // a real account: try the next name
        const { passwordHash: _omit, ...user } = found;
        return user;
      }
      try {
        return await ctx.store.createUser({ username, displayName: username, passwordHash: GUEST_HASH });
      } catch (err) {
        if ((err as { code?: string }).code !== 'USERNAME_TAKEN') throw err; // another node was first: look again
      }
    }
  }
  throw new Error(`compat: every guest name (${GUEST_NAMES.join(', ')}) belongs to a real account`);
}
