// The API process: builds the app, listens, and closes cleanly on SIGINT or SIGTERM.
import { Client } from '@temporalio/client';
import { loadConfig } from '../domain/config';
import { connectClient } from '../clients/temporal-connection';
import { connectRedis } from '../live/redis-client';
import { createTaskProjection } from '../live/task-projection';
import { buildApp } from './app';

async function main() {
  const config = loadConfig();
  const connection = await connectClient(config.temporal);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const redis = connectRedis(config.redis.url, 'spillway-api');
  const projection = createTaskProjection(redis, config.redis.prefix);
  const app = await buildApp({ config, client, redis, projection, logger: { level: process.env.LOG_LEVEL ?? 'info' } });
  await app.listen({ host: config.api.host, port: config.api.port });
  const shutdown = async (signal: string) => {
    app.log.info(`${signal} received, closing`);
    await app.close();
    await connection.close();
    redis.disconnect();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
