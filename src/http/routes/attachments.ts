import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { requireUser } from '../../edge/credentials.js';
import type { Ctx } from '../../edge/context.js';
import {
  FILE_CSP,
  cacheControl,
  contentDisposition,
  dispositionOf,
  etagMatches,
  parseRange,
  servedType,
} from '../../edge/file-response.js';
import { idParam } from '../../edge/query.js';
import { readUpload } from '../../edge/upload.js';
import type { ServableBlob } from '../../services/attachments.js';

type IdParams = { Params: { id: string } };
type FileQuery = { Querystring: { download?: string } };

/**
 * Upload a file to a conversation, fetch files and thumbnails, and a link
 * preview's stored image. Who may do what is AttachmentService's; how a file
 * is answered (type, disposition, cache, ranges) is edge/file-response.ts's.
 */
export async function attachmentRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  // Multipart is parsed in this scope alone: every other route stays JSON-only (415 for anything else).
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    await scope.register(multipart, { throwFileSizeLimit: true });
    // Any other type is refused as every v1 route refuses a body it does not take: 415, before authentication.
    scope.addContentTypeParser('*', (_req, _payload, done) => done(new AppError('MULTIPART_REQUIRED'), undefined));

    scope.post<IdParams>('/api/v1/conversations/:id/attachments', async (req, reply) => {
      const me = requireUser(req).user;
      const conversationId = idParam(req.params.id, 'CONVERSATION_NOT_FOUND');
      await ctx.files.admit(me, conversationId);
      const file = await readUpload(req, ctx.config.maxFileBytes);
      const attachment = await ctx.files.upload(me, conversationId, file);
      return reply.code(201).send({ attachment });
    });
  });

  // HEAD is declared with GET, not left to Fastify's generated HEAD route (which answers Content-Length: 0).
  type FileRoute = IdParams & FileQuery;
  const viewer = (req: FastifyRequest) => req.principal?.user ?? null;
  const download = (req: FastifyRequest<FileRoute>) => req.query.download === '1';

  app.route<FileRoute>({
    method: ['GET', 'HEAD'],
    url: '/api/v1/files/:id',
    handler: async (req, reply) => sendBlob(ctx, req, reply, await ctx.files.file(viewer(req), req.params.id, 'file'), download(req)),
  });

  app.route<FileRoute>({
    method: ['GET', 'HEAD'],
    url: '/api/v1/files/:id/thumbnail',
    handler: async (req, reply) => sendBlob(ctx, req, reply, await ctx.files.file(viewer(req), req.params.id, 'thumbnail'), download(req)),
  });

  app.route<FileRoute>({
    method: ['GET', 'HEAD'],
    url: '/api/v1/messages/:id/preview-image',
    handler: async (req, reply) => {
      const image = await ctx.files.previewImage(viewer(req), idParam(req.params.id, 'MESSAGE_NOT_FOUND'));
      return sendBlob(ctx, req, reply, image, download(req));
    },
  });
}

/**
 * Answers with a stored blob: GET or HEAD, whole (200), one range (206) or
 * none (416), or 304 when the client holds it (ETag = the blob key: the
 * bytes behind a key never change). Authorization was decided before.
 */
async function sendBlob(ctx: Ctx, req: FastifyRequest, reply: FastifyReply, file: ServableBlob, download: boolean): Promise<FastifyReply> {
  const size = await ctx.files.blobSize(file.key);
  if (size === null) throw new AppError('ATTACHMENT_NOT_FOUND', 'The bytes of this file are gone.');
  const etag = `"${file.key}"`;
  const ifRange = req.headers['if-range'];
  const range = ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, size) : ({ kind: 'full' } as const);
  reply.header('Content-Security-Policy', FILE_CSP).header('X-Content-Type-Options', 'nosniff').header('Accept-Ranges', 'bytes');
  if (range.kind === 'unsatisfiable') {
    reply.header('Content-Range', `bytes */${size}`);
    throw new AppError('RANGE_NOT_SATISFIABLE');
  }
  reply.header('Cache-Control', cacheControl(file.public)).header('ETag', etag);
  if (etagMatches(req.headers['if-none-match'], etag)) return reply.code(304).send();
  reply.type(servedType(file.type)).header('Content-Disposition', contentDisposition(dispositionOf(file.type, download), file.name));
  const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, size - 1];
  if (range.kind === 'partial') reply.code(206).header('Content-Range', `bytes ${start}-${end}/${size}`);
  if (req.method === 'HEAD') return reply.header('Content-Length', String(end - start + 1)).send();
  const bytes = await ctx.files.readBlob(file.key, range.kind === 'partial' ? { start, end } : undefined);
  if (!bytes) throw new AppError('ATTACHMENT_NOT_FOUND', 'The bytes of this file are gone.');
  return reply.send(bytes);
}
