// The API process: builds the app, listens, rebuilds the live projection from Temporal, and drains on SIGTERM or
// SIGINT: it stops accepting connections (a load balancer sends new requests to another instance), ends its live
// streams (browsers reconnect, to another instance, and resume from their last event id), lets requests in flight
// finish for at most SPILLWAY_API_SHUTDOWN_GRACE_MS and exits 0; past the grace period (or on the same signal again)
// it cuts the remaining connections and exits 2.
import { once } from 'node:events';
import { Client } from '@temporalio/client';
import { loadConfig } from '../domain/config';
import { connectClient } from '../clients/temporal-connection';
import { connectRedis } from '../live/redis-client';
import { clientInterceptors, startTracing } from '../telemetry/tracing';
import { buildApp } from './app';

/** Exit status when the grace period ended with requests still in flight. */
export const EXIT_REQUESTS_CUT_OFF = 2;

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
    workerMetricsUrl: config.api.workerMetricsUrl,
    logger: { level: config.api.logLevel },
  });
  let inFlight = 0;
  app.server.on('request', (_req, res) => {
    inFlight++;
    res.once('close', () => inFlight--);
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
  let closing: string | undefined;
  const cutOff = (why: string) => {
    app.log.warn(`${why}: cutting off ${inFlight} request(s) still in flight; exiting`);
    app.server.closeAllConnections();
    process.exit(EXIT_REQUESTS_CUT_OFF);
  };
  const shutdown = async (signal: string) => {
    // The same signal twice cuts the drain short; a different one (Ctrl+C reaches a whole process group, then the
    // stack's launcher sends SIGTERM) does not.
    if (closing) return signal === closing ? cutOff(`${signal} again`) : undefined;
    closing = signal;
    const graceMs = config.api.shutdownGraceMs;
    app.log.info(
      `${signal}: draining: no new connections, ending live streams, ${inFlight} request(s) get ${graceMs} ms`,
    );
    const timer = setTimeout(() => cutOff(`grace period of ${graceMs} ms over`), graceMs);
    await app.close();
    clearTimeout(timer);
    await connection.close();
    redis.disconnect();
    await tracing.shutdown();
    app.log.info('drained: every request in flight was answered; exiting');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
