import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import { AppError } from '../domain/errors.js';
import { checkCsrf, identify } from '../edge/credentials.js';
import type { Ctx } from '../edge/context.js';
import { makeErrorHandler, sendError } from '../edge/errors.js';
import { metricsRegistry } from './metrics.js';
import { authRoutes } from './routes/auth.js';
import { conversationRoutes } from './routes/conversations.js';
import { attachmentRoutes } from './routes/attachments.js';
import { messageRoutes } from './routes/messages.js';
import { searchRoutes } from './routes/search.js';
import { peopleRoutes } from './routes/people.js';
import { opsRoutes } from './routes/ops.js';
import { LongPollTransport } from '../transports/longpoll.js';
import { sseRoutes } from '../transports/sse.js';
import { websocketRoutes } from '../transports/websocket.js';
import { compatRoutes } from '../compat/index.js';
import { webRoutes } from '../ssr/index.js';
import { StoreHealth } from '../store/health.js';
import type { Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: Array<{ method: string; url: string }>;
    /** This app's Prometheus registry (served by the separate metrics listener too). */
    metricsRegistry: Registry;
  }
  interface FastifyContextConfig {
    /**
     * The route reads no credential (health checks, /metrics with its own
     * token): an Authorization header there is not a login token.
     */
    anonymous?: boolean;
  }
}

export interface AppOptions {
  logger?: boolean | object;
  /** Extra route registrations (transports, legacy adapters, web) that need the built app. */
  extensions?: Array<(app: FastifyInstance, ctx: Ctx) => void | Promise<void>>;
  /** What /readyz asks; by default a write probe of ctx.store (createServer passes the one watching its store). */
  health?: StoreHealth;
}

/** Fastify's own HTTP/1 server defaults, which it does not apply to a server from serverFactory. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

export async function buildApp(ctx: Ctx, opts: AppOptions = {}): Promise<FastifyInstance> {
  const longPoll = new LongPollTransport(ctx);
  const app = Fastify({
    // Steady-state long polls are answered before Fastify sees them (see LongPollTransport.serve);
    // everything else, and every long poll the fast path declines, goes through Fastify as usual.
    serverFactory: (handler) => {
      const server = http.createServer((req, res) => longPoll.serve(req, res, handler));
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      return server;
    },
    logger: opts.logger ?? false,
    bodyLimit: ctx.config.bodyLimit,
    genReqId: () => randomUUID(),
    // Fastify accepts a hop count at run time (proxy-addr), though its types omit it.
    trustProxy: ctx.config.trustProxy as boolean | string,
    // Unknown fields and wrong types are errors, never silently dropped or coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    routerOptions: { maxParamLength: 200 },
  });

  // Every route, as registered, for the authorization matrix test and docs checks.
  const routeTable: Array<{ method: string; url: string }> = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routeTable.push({ method, url: r.url });
  });

  // JSON only, strict UTF-8: invalid bytes are refused rather than replaced.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body: Buffer, done) => {
    if (body.length === 0) return done(null, undefined);
    if (!isUtf8(body)) return done(new AppError('INVALID_JSON', 'The request body is not valid UTF-8.'), undefined);
    try {
      done(null, JSON.parse(body.toString('utf8')));
    } catch {
      done(new AppError('INVALID_JSON'), undefined);
    }
  });
  // Security headers: a CSP with no inline script, no framing, no MIME sniffing.
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    hsts: ctx.config.secureCookies,
    crossOriginEmbedderPolicy: false,
  });
  await app.register(cookie);

  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    req.principal = null;
  });
  app.addHook('preValidation', async (req) => {
    if (req.routeOptions.config?.anonymous) return;
    req.principal = await identify(ctx.auth, req);
  });
  app.addHook('preHandler', async (req) => {
    // CSRF for every cookie-authenticated mutation, whichever route it is.
    checkCsrf(req);
  });
  app.setErrorHandler(makeErrorHandler(ctx.config));
  app.setNotFoundHandler((req, reply) => sendError(reply, new AppError('NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}.`)));

  authRoutes(app, ctx);
  peopleRoutes(app, ctx);
  conversationRoutes(app, ctx);
  messageRoutes(app, ctx);
  await attachmentRoutes(app, ctx);
  searchRoutes(app, ctx);
  longPoll.routes(app);
  const registry = metricsRegistry(app, ctx);
  app.decorate('metricsRegistry', registry);
  opsRoutes(app, ctx, opts.health ?? new StoreHealth(ctx.store, { holdMs: ctx.config.storeRetryAfterSeconds * 1000 }), registry);
  await sseRoutes(app, ctx);
  await websocketRoutes(app, ctx);
  await compatRoutes(app, ctx);
  await webRoutes(app, ctx);
  for (const ext of opts.extensions ?? []) await ext(app, ctx);
  return app;
}
