import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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

  new Gauge({ name: 'hubbub_session_queued_bytes', help: 'Bytes queued for live sessions, in total', registers: [registry], collect() { this.set(ctx.hub.stats().queuedBytes ?? 0); } });
  new Gauge({ name: 'hubbub_session_queue_peak_bytes', help: 'The largest per-session queue seen', registers: [registry], collect() { this.set(ctx.hub.stats().peakSessionQueueBytes ?? 0); } });
  new Gauge({ name: 'hubbub_slow_consumer_closes_total', help: 'Sessions closed with 4001 because their queue passed its bound (a queue overflow)', registers: [registry], collect() { this.set(ctx.hub.stats().slowConsumerCloses ?? 0); } });
  const events = new Counter({ name: 'hubbub_events_total', help: 'Stored events ingested by this node, by type', labelNames: ['type'], registers: [registry] });
  const fanout = new Histogram({
    name: 'hubbub_fanout_latency_seconds', help: 'From a message\'s commit (server clock) to its hand-off to every local subscriber',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
  });
  ctx.hub.onEntries((entries) => {
    const now = Date.now();
    for (const e of entries) {
      events.inc({ type: e.type });
      if (e.type === 'message.created') {
        const at = /"createdAt":"([^"]+)"/.exec(e.payload)?.[1];
        if (at) fanout.observe(Math.max(0, now - Date.parse(at)) / 1000);
      }
    }
  });
  const limited = new Counter({ name: 'hubbub_rate_limited_total', help: 'Requests refused with RATE_LIMITED, by route', labelNames: ['route'], registers: [registry] });
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode === 429) limited.inc({ route: req.routeOptions.url ?? 'unknown' });
  });
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
