import type { FastifyInstance } from 'fastify';
import { requireUser } from '../../edge/credentials.js';
import type { Ctx } from '../../edge/context.js';
import type { SearchParams } from '../../services/search-params.js';

const param = (maxLength: number) => ({ type: 'string', maxLength }) as const;

/**
 * The query string's shape: known parameters only, each once (a repeated one
 * arrives as an array and is refused), bounded in size. What the values
 * mean is the search service's to judge, with its own codes.
 */
const querystring = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // Longer than the 200-character rule, which applies after trimming (INVALID_SEARCH).
    q: param(1000),
    in: param(32),
    from: param(64),
    before: param(40),
    after: param(40),
    has: param(8),
    limit: param(8),
    cursor: param(64),
  },
} as const;

/** GET /api/v1/search: the messages the caller can read, newest first (docs/api.md). */
export function searchRoutes(app: FastifyInstance, ctx: Ctx): void {
  app.get<{ Querystring: SearchParams }>('/api/v1/search', { schema: { querystring } }, async (req) => {
    return ctx.search.search(requireUser(req).user, req.query);
  });
}
