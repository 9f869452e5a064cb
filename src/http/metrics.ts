import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AppError } from '../domain/errors.js';
import type { Ctx } from '../edge/context.js';
import { sendError } from '../edge/errors.js';

/**
 * Prometheus metrics. One registry per app, so tests can run several. They
 * tell process, heap and version details that are nobody's business on a
 * public port, so they are served only to a scraper: on a listener of their
 * own (config metricsHost/metricsPort) and/or to a request bearing
 * config.metricsToken.
 */
export function metricsRegistry(app: FastifyInstance, ctx: Ctx): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'hubbub_connections',
    help: 'Live subscribers by transport',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [k, v] of Object.entries(ctx.hub.stats().byKind)) this.set({ transport: k }, v);
    },
  });
  new Gauge({
    name: 'hubbub_longpoll_waiters',
    help: 'Long polls waiting for events',
    registers: [registry],
    collect() {
      this.set(ctx.hub.stats().byKind.longpoll ?? 0);
    },
  });
  new Gauge({
    name: 'hubbub_log_head',
    help: 'Highest event position this node has ingested',
    registers: [registry],
    collect() {
      this.set(ctx.hub.head);
    },
  });
  new Gauge({
    name: 'hubbub_log_entries',
    help: 'Events held in memory',
    registers: [registry],
    collect() {
      this.set(ctx.hub.stats().logEntries);
    },
  });

  new Gauge({
    name: 'hubbub_session_queued_bytes',
    help: 'Bytes queued or in flight for live sessions; a frame shared by several sessions counts once',
    registers: [registry],
    collect() {
      this.set(ctx.hub.stats().queuedBytes ?? 0);
    },
  });
  new Gauge({
    name: 'hubbub_session_queue_peak_bytes',
    help: 'The largest per-session queue seen',
    registers: [registry],
    collect() {
      this.set(ctx.hub.stats().peakSessionQueueBytes ?? 0);
    },
  });
  new Gauge({
    name: 'hubbub_slow_consumer_closes_total',
    help: 'Sessions closed with 4001 because their queue passed its bound (a queue overflow)',
    registers: [registry],
    collect() {
      this.set(ctx.hub.stats().slowConsumerCloses ?? 0);
    },
  });
  new Gauge({
    name: 'hubbub_link_previews',
    help: 'Link previews by outcome since start (stored, none, stale, blocked, failed, dropped) and now (in_flight, waiting)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const { inFlight, waiting, ...ended } = ctx.previews.stats();
      this.set({ state: 'in_flight' }, inFlight);
      this.set({ state: 'waiting' }, waiting);
      for (const [state, n] of Object.entries(ended)) this.set({ state }, n);
    },
  });
  const events = new Counter({
    name: 'hubbub_events_total',
    help: 'Stored events ingested by this node, by type',
    labelNames: ['type'],
    registers: [registry],
  });
  const fanout = new Histogram({
    name: 'hubbub_fanout_latency_seconds',
    help: "From a message's commit (server clock) to its hand-off to every local subscriber",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  ctx.hub.onEntries((entries) => {
    // Compared with the commit's wall-clock timestamp, so the wall clock it must be (a jump skews one sample, nothing else).
    const now = Date.now();
    for (const e of entries) {
      events.inc({ type: e.type });
      if (e.type === 'message.created') {
        const at = /"createdAt":"([^"]+)"/.exec(e.payload)?.[1];
        if (at) fanout.observe(Math.max(0, now - Date.parse(at)) / 1000);
      }
    }
  });
  const limited = new Counter({
    name: 'hubbub_rate_limited_total',
    help: 'Requests refused with RATE_LIMITED, by route',
    labelNames: ['route'],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode === 429) limited.inc({ route: req.routeOptions.url ?? 'unknown' });
  });
  return registry;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The /metrics handler. With a token configured, only a request bearing it is
 * answered; any other gets the same 404 as an unknown path, so the endpoint's
 * existence is not advertised. `open` serves without a token (the separate
 * listener when no token is configured: its address is the protection).
 */
export function metricsHandler(registry: Registry, token: string, open: boolean) {
  const want = token ? digest(token) : null;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const auth = req.headers.authorization ?? '';
    const given = auth.startsWith('Bearer ') ? digest(auth.slice(7)) : null;
    const allowed = want ? given !== null && timingSafeEqual(given, want) : open;
    if (!allowed) return sendError(reply, new AppError('NOT_FOUND', `No route ${req.method} /metrics.`));
    return reply
      .type(registry.contentType)
      .header('Cache-Control', 'no-store')
      .send(await registry.metrics());
  };
}

/** The separate metrics listener: /metrics and nothing else. */
export async function metricsApp(registry: Registry, token: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/metrics', metricsHandler(registry, token, true));
  app.setNotFoundHandler((req, reply) => sendError(reply, new AppError('NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}.`)));
  await app.ready();
  return app;
}
