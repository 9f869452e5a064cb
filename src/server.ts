import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Bus } from './bus/bus.js';
import { MemoryBus } from './bus/memory.js';
import { makeConfig, type Config, type ConfigInput } from './config.js';
import { Hub } from './hub/hub.js';
import { buildApp, type AppOptions } from './http/app.js';
import { metricsApp } from './http/metrics.js';
import type { Ctx } from './edge/context.js';
import { openBlobStore } from './files/index.js';
import { AttachmentService } from './services/attachments.js';
import { AuthService, authCacheOptions } from './services/auth.js';
import { loginThrottleOptions } from './services/login-throttle.js';
import { ChatService } from './services/chat.js';
import { AbuseLimits } from './services/limits.js';
import { LinkPreviewer } from './services/link-preview.js';
import { PresenceService } from './services/presence.js';
import { SearchService } from './services/search.js';
import { classifyStoreError } from './store/failures.js';
import { StoreHealth } from './store/health.js';
import { SqliteStore } from './store/sqlite.js';
import type { Store } from './store/store.js';

export interface Server extends Ctx {
  app: FastifyInstance;
  bus: Bus;
  /** /metrics alone, for the separate listener (serve() listens on config.metricsHost:metricsPort when metricsPort is set). */
  metrics: FastifyInstance;
  /** Whether the node can write (/readyz). */
  health: StoreHealth;
  /** Stops accepting, answers waiters, closes stores. */
  close(): Promise<void>;
}

export async function openStore(config: Readonly<Config>): Promise<Store> {
  if (config.databaseUrl) {
    const { PostgresStore } = await import('./store/postgres.js');
    return new PostgresStore(config.databaseUrl, config.databaseSchema ? { schema: config.databaseSchema } : {});
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  return new SqliteStore(path.join(config.dataDir, 'hubbub.db'), { synchronous: config.sqliteSynchronous });
}

async function openBus(config: Readonly<Config>): Promise<Bus> {
  if (config.redisUrl) {
    const { RedisBus } = await import('./bus/redis.js');
    return new RedisBus(config.redisUrl, { prefix: config.busPrefix });
  }
  return new MemoryBus();
}

/** The lobby is the seeds' message wall: it exists from the first start. */
async function ensureLobby(store: Store, chat: ChatService): Promise<void> {
  if (await store.getRoomByName('lobby')) return;
  try {
    await chat.createRoom(null, 'lobby');
  } catch (err) {
    if ((err as { code?: string }).code !== 'NAME_TAKEN') throw err; // another node made it first
  }
}

export async function createServer(input: ConfigInput = {}, appOpts: AppOptions = {}): Promise<Server> {
  const config = makeConfig(input);
  const raw = await openStore(config);
  await raw.migrate();
  // Everything uses the watched store, so an outage seen by any path (HTTP, WebSocket, legacy, the hub) counts for /readyz.
  const health = new StoreHealth(raw, { holdMs: config.storeRetryAfterSeconds * 1000 });
  const store = health.watch();
  const bus = await openBus(config);
  const hub = new Hub(store, bus, {
    nodeId: config.nodeId,
    logCapacity: config.logCapacity,
    logCapacityBytes: config.logCapacityBytes,
    pollInterval: config.headPollMs,
    maxQueueBytes: config.maxQueueBytes,
    writeWindow: config.writeWindow,
  });
  await hub.start();
  const chat = new ChatService(store, hub, undefined, config);
  const auth = new AuthService(store, {
    sessionTtlMs: config.sessionTtlDays * 86_400_000,
    tokenTtlMs: config.tokenTtlDays * 86_400_000,
    scryptCost: config.scryptCost,
    commit: (e) => hub.committed(e),
    onEntries: (l) => hub.onEntries(l),
    throttle: loginThrottleOptions(config),
    cache: authCacheOptions(config),
  });
  const presence = new PresenceService(hub, store);
  await ensureLobby(store, chat);
  const blobs = await openBlobStore(config, store);
  const files = new AttachmentService(store, blobs, chat, config);
  // After a message delete commits, the bytes only it used go (AttachmentService.release).
  chat.releaseBlobs = (keys) => files.release(keys);
  const previews = new LinkPreviewer(store, blobs, hub, config);
  chat.onSent = (m) => previews.schedule(m);
  const search = new SearchService(store, config);
  const ctx: Ctx = { config, store, hub, chat, auth, presence, limits: new AbuseLimits(config, hub), files, search, previews };
  const app = await buildApp(ctx, { health, ...appOpts });
  health.log = app.log;
  previews.log = app.log;
  files.onSweepError = (err) => app.log.warn({ err }, 'file sweep failed; the next one retries');
  const metrics = await metricsApp(app.metricsRegistry, config.metricsToken);
  hub.onError = (err) => {
    // A database outage is logged once by StoreHealth (the hub reads through the watched store), not once a second here.
    if (!classifyStoreError(err)) app.log.error({ err }, 'hub could not read the log; will retry');
  };

  let closing: Promise<void> | null = null;
  return {
    ...ctx,
    app,
    bus,
    metrics,
    health,
    close() {
      closing ??= (async () => {
        await app.close();
        await metrics.close();
        await previews.close();
        await files.close();
        await hub.stop();
        await bus.close();
        await blobs.close();
        await store.close();
      })();
      return closing;
    },
  };
}
