import { makeConfig, type ConfigInput } from './config.js';
import { createServer } from './server.js';

/**
 * Runs a node until SIGTERM/SIGINT: then stops accepting, lets the transports
 * close their connections with the resume code, and exits within a bound.
 */
export async function serve(input: ConfigInput): Promise<void> {
  const config = makeConfig(input);
  const server = await createServer(input, { logger: { level: config.logLevel } });
  const address = await server.app.listen({ host: config.host, port: config.port });
  server.app.log.info({ address, store: server.store.dialect, bus: config.redisUrl ? 'redis' : 'memory' }, `hubbub listening on ${address}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
