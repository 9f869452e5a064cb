import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../http/context.js';

/** GET /api/v1/events — to be implemented (issue 3). */
export async function sseRoutes(_app: FastifyInstance, _ctx: Ctx): Promise<void> {}
