import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../http/context.js';

/** The seeds' legacy protocols onto the lobby — to be implemented (issue 3). */
export async function compatRoutes(_app: FastifyInstance, _ctx: Ctx): Promise<void> {}
