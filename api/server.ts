// The API process: builds the app, listens, rebuilds the live projection from Temporal, and closes cleanly on
// SIGINT or SIGTERM.
import { once } from 'node:events';
import { Client } from '@temporalio/client';
import { loadConfig } from '../domain/config';
import { connectClient } from '../clients/temporal-connection';
import { connectRedis } from '../live/redis-client';
import { clientInterceptors, startTracing } from '../telemetry/tracing';
import { buildApp } from './app';

async function main() {
  const tracing = startTracing('spillway-api');
  const config = loadConfig();
  const connection = await connectClient(config.temporal);
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    interceptors: clientInterceptors(),
  });
  const redis = connectRedis(config.redis.url, 'spillway-api');
  const app = await buildApp({
    config,
    client,
    redis,
    workerMetricsUrl: process.env.WORKER_METRICS_URL ?? 'http://127.0.0.1:9464/metrics',
    logger: { level: process.env.LOG_LEVEL ?? 'info' },
  });
  await app.listen({ host: config.api.host, port: config.api.port });
  // The projection may be stale or empty (a flushed or new Redis); Temporal has the record. Redis connects lazily,
  // so wait for it before rebuilding, and try again later if it is not there yet.
  const rebuild = async (attempt: number): Promise<void> => {
    try {
      if (redis.status !== 'ready') await once(redis, 'ready', { signal: AbortSignal.timeout(10_000) });
      const r = await app.reconcile();
      app.log.info(`live projection rebuilt from Temporal: ${r.tasks} tasks in ${r.durationMs} ms`);
    } catch (err) {
      app.log.warn(`start-up reconcile failed (${(err as Error).message}); retry ${attempt} of 5 in 10 s`);
      if (attempt < 5) setTimeout(() => void rebuild(attempt + 1), 10_000).unref();
    }
  };
  void rebuild(1);
  const shutdown = async (signal: string) => {
    app.log.info(`${signal} received, closing`);
    await app.close();
    await connection.close();
    redis.disconnect();
    await tracing.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
