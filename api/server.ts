// The API process: builds the app, listens, rebuilds the live projection from Temporal, and closes cleanly on
// SIGINT or SIGTERM.
import { Client } from '@temporalio/client';
import { loadConfig } from '../domain/config';
import { connectClient } from '../clients/temporal-connection';
import { connectRedis } from '../live/redis-client';
import { buildApp } from './app';

async function main() {
  const config = loadConfig();
  const connection = await connectClient(config.temporal);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const redis = connectRedis(config.redis.url, 'spillway-api');
  const app = await buildApp({
    config,
    client,
    redis,
    workerMetricsUrl: process.env.WORKER_METRICS_URL ?? 'http://127.0.0.1:9464/metrics',
    logger: { level: process.env.LOG_LEVEL ?? 'info' },
  });
  await app.listen({ host: config.api.host, port: config.api.port });
  // The projection may be stale or empty (a flushed or new Redis); Temporal has the record.
  app
    .reconcile()
    .then((r) => app.log.info(`live projection rebuilt from Temporal: ${r.tasks} tasks in ${r.durationMs} ms`))
    .catch((err: Error) => app.log.warn(`start-up reconcile skipped: ${err.message}`));
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
