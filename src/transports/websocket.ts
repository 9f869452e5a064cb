import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../http/context.js';

/** GET /api/v1/ws — to be implemented (issue 3). */
export async function websocketRoutes(_app: FastifyInstance, _ctx: Ctx): Promise<void> {}
