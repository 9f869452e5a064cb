import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../http/context.js';

/** The web app's static files and server-rendered public rooms — to be implemented (issue 4). */
export async function webRoutes(_app: FastifyInstance, _ctx: Ctx): Promise<void> {}
