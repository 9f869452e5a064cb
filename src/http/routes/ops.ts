import type { FastifyInstance } from 'fastify';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Ctx } from '../context.js';

/** Health and Prometheus metrics. One registry per app, so tests can run several. */
export function opsRoutes(app: FastifyInstance, ctx: Ctx): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'hubbub_connections', help: 'Live subscribers by transport', labelNames: ['transport'], registers: [registry],
    collect() {
      this.reset();
      for (const [k, v] of Object.entries(ctx.hub.stats().byKind)) this.set({ transport: k }, v);
    },
  });
  new Gauge({ name: 'hubbub_longpoll_waiters', help: 'Long polls waiting for events', registers: [registry], collect() { this.set(ctx.hub.stats().byKind.longpoll ?? 0); } });
  new Gauge({ name: 'hubbub_log_head', help: 'Highest event position this node has ingested', registers: [registry], collect() { this.set(ctx.hub.log.head); } });
  new Gauge({ name: 'hubbub_log_entries', help: 'Events held in memory', registers: [registry], collect() { this.set(ctx.hub.log.length); } });

  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await ctx.store.headSeq();
      return { ok: true, head: ctx.hub.log.head };
    } catch {
      return reply.code(503).send({ ok: false });
    }
  });
}
