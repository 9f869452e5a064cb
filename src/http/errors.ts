import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERRORS, type ErrorCode } from '../domain/errors.js';

/** Maps anything thrown in a route to the catalog's `{error: {code, message}}`. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as FastifyError & { validation?: unknown; statusCode?: number };
  if (e?.validation) return new AppError('VALIDATION_FAILED', `Invalid request: ${e.message}`);
  switch (e?.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('INVALID_JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('UNSUPPORTED_MEDIA_TYPE');
  }
  if (e?.statusCode === 429) return new AppError('RATE_LIMITED');
  if (e?.statusCode === 413) return new AppError('PAYLOAD_TOO_LARGE');
  if (e?.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new AppError('BAD_REQUEST', e.message);
  return new AppError('INTERNAL');
}

export function sendError(reply: FastifyReply, err: AppError): FastifyReply {
  return reply.code(err.status).type('application/json').send({ error: { code: err.code, message: err.message } });
}

export function errorHandler(this: unknown, err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const appErr = toAppError(err);
  if (appErr.code === 'INTERNAL') request.log.error({ err }, 'unhandled error');
  else request.log.debug({ code: appErr.code }, 'request refused');
  return sendError(reply, appErr);
}

export const errorCodes = Object.keys(ERRORS) as ErrorCode[];
