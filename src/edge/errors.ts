import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';
import { classifyStoreError } from '../store/failures.js';

/**
 * Maps anything thrown in a route (or on a WebSocket, SSE stream, legacy
 * endpoint: they all come through here) to a catalog error. A database
 * outage becomes STORE_UNAVAILABLE or STORAGE_FULL rather than INTERNAL, so
 * the client learns that nothing was changed and whether to retry.
 */
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
  const outage = classifyStoreError(err);
  if (outage) return new AppError(outage);
  if (e?.statusCode === 429) return new AppError('RATE_LIMITED');
  if (e?.statusCode === 413) return new AppError('PAYLOAD_TOO_LARGE');
  if (e?.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new AppError('BAD_REQUEST', e.message);
  return new AppError('INTERNAL');
}

/**
 * Retry-After (seconds) for an error, where the server knows it: an error may
 * carry its own (`retryAfterSeconds`, e.g. a login throttle's delay);
 * otherwise the configured wait for a store outage or a busy or restarting node.
 */
export function retryAfterFor(err: AppError, storeRetryAfterSeconds: number): number | null {
  const own = (err as AppError & { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof own === 'number' && own > 0) return Math.ceil(own);
  switch (err.code) {
    case 'STORE_UNAVAILABLE':
    case 'SERVER_BUSY':
    case 'SHUTTING_DOWN':
      return storeRetryAfterSeconds;
    default:
      return null;
  }
}

export function sendError(reply: FastifyReply, err: AppError, retryAfterSeconds: number | null = null): FastifyReply {
  if (retryAfterSeconds !== null && !reply.hasHeader('retry-after')) reply.header('Retry-After', String(retryAfterSeconds));
  return reply
    .code(err.status)
    .type('application/json')
    .send({ error: { code: err.code, message: err.message } });
}

/**
 * The app's error handler. Outages are logged where the store is watched
 * (StoreHealth, once per outage rather than per request); here they are
 * answered with their code and Retry-After.
 */
export function makeErrorHandler(opts: { storeRetryAfterSeconds: number }) {
  return function errorHandler(this: unknown, err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const appErr = toAppError(err);
    if (appErr.code === 'INTERNAL') request.log.error({ err }, 'unhandled error');
    else request.log.debug({ code: appErr.code }, 'request refused');
    return sendError(reply, appErr, retryAfterFor(appErr, opts.storeRetryAfterSeconds));
  };
}

/** `{"error":{code,message}}`: the body of every refusal, whichever transport carries it. */
export function errorJson(err: AppError): string {
  return JSON.stringify({ error: { code: err.code, message: err.message } });
}

/** `{"type":"error","ref":…,"error":{code,message}}`: a refusal as a stream frame. */
export function errorFrame(ref: string | null, err: unknown): string {
  const e = toAppError(err);
  return '{"type":"error","ref":' + JSON.stringify(ref) + ',"error":' + JSON.stringify({ code: e.code, message: e.message }) + '}';
}
