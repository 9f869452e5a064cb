import { makeConfig, type ConfigInput } from './config.js';
import { createServer } from './server.js';

/**
 * The accept queue. Node's default (511) is smaller than the burst of a
 * thousand clients reconnecting at once after a restart or a network blip;
 * past it the kernel drops their SYNs and TCP retries only after 1, 3, 7 s.
 * The kernel caps it at net.core.somaxconn (4096 on current Linux). (A long
 * 1,000-client long-poll resume tail first blamed on this turned out to be
 * accept starvation on a saturated node — docs/benchmarks.md, Resume.)
 */
export const LISTEN_BACKLOG = 4096;

/**
 * Runs a node until SIGTERM/SIGINT: then stops accepting, lets the transports
 * close their connections with the resume code, and exits within a bound.
 */
export async function serve(input: ConfigInput): Promise<void> {
  const config = makeConfig(input);
  const server = await createServer(input, { logger: { level: config.logLevel } });
  const address = await server.app.listen({ host: config.host, port: config.port, backlog: LISTEN_BACKLOG });
  server.app.log.info(
    { address, store: server.store.dialect, bus: config.redisUrl ? 'redis' : 'memory' },
    `hubbub listening on ${address}`,
  );
  if (config.metricsPort)
    server.app.log.info(`metrics on ${await server.metrics.listen({ host: config.metricsHost, port: config.metricsPort })}/metrics`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
