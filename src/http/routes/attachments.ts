import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../../edge/context.js';

/** Upload and fetch files. SKELETON — issue 14's files helper fills this. */
export async function attachmentRoutes(_app: FastifyInstance, _ctx: Ctx): Promise<void> {}
