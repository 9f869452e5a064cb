import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../../edge/context.js';

/** GET /api/v1/search. SKELETON — issue 14's search helper fills this. */
export function searchRoutes(_app: FastifyInstance, _ctx: Ctx): void {}
