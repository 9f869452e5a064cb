import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { StoreHealth } from '../../store/health.js';
import type { Ctx } from '../../edge/context.js';
import { retryAfterFor } from '../../edge/errors.js';
import { metricsHandler } from '../metrics.js';
import { AppError } from '../../domain/errors.js';

/**
 * Liveness, readiness and (with a token) metrics on the app port.
 *
 * - /healthz: the process answers (restart it if not).
 * - /readyz: the node can write (StoreHealth): 503 naming the cause
 *   otherwise, so a load balancer stops sending it requests it would refuse.
 * - /metrics: 404 unless config.metricsToken is set and presented.
 */
export function opsRoutes(app: FastifyInstance, ctx: Ctx, health: StoreHealth, registry: Registry): void {
  const anonymous = { config: { anonymous: true } };
  app.get('/metrics', anonymous, metricsHandler(registry, ctx.config.metricsToken, false));
  app.get('/healthz', anonymous, async () => ({ ok: true }));
  app.get('/readyz', anonymous, async (_req, reply) => {
    const r = await health.check();
    reply.header('Cache-Control', 'no-store');
    if (r.ok) return { ok: true, head: ctx.hub.head };
    const code = r.code ?? 'STORE_UNAVAILABLE';
    const retry = retryAfterFor(new AppError(code), ctx.config.storeRetryAfterSeconds);
    if (retry !== null) reply.header('Retry-After', String(retry));
    return reply.code(503).send({ ok: false, code });
  });
}
