// The worker process: hosts TaskWorkflow, the warm pool and their activities until SIGINT or SIGTERM, then drains.
import { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { loadConfig } from '../domain/config';
import { connectClient, connectWorker, ensureSearchAttributes } from '../clients/temporal-connection';
import { connectRedis } from '../live/redis-client';
import { startTracing } from '../telemetry/tracing';
import { createWorkers } from './create-workers';
import { ensureWarmPoolSchedule } from './warm-pool-schedule';

async function main() {
  const tracing = startTracing('spillway-worker');
  const config = loadConfig();
  const metricsAddress = process.env.WORKER_METRICS_ADDRESS ?? '127.0.0.1:9464';
  Runtime.install({
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    telemetryOptions:
      metricsAddress === 'off' ? undefined : { metrics: { prometheus: { bindAddress: metricsAddress } } },
  });
  const clientConnection = await connectClient(config.temporal);
  await ensureSearchAttributes(clientConnection, config.temporal.namespace);
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  if (config.scheduler.enableWarmPool) {
    const outcome = await ensureWarmPoolSchedule(client, config.scheduler);
    console.log(`warm-pool schedule ${outcome} (every ${config.scheduler.warmPoolIntervalSeconds} s)`);
  }
  const connection = await connectWorker(config.temporal);
  const redis = connectRedis(config.redis.url, 'spillway-worker');
  const { workers, close } = await createWorkers({ config, connection, client, redis });
  console.log(
    `worker ready: namespace ${config.temporal.namespace} at ${config.temporal.address}, ` +
      `local pool ${config.scheduler.localWorkerPoolSize} slots, metrics ${metricsAddress}`,
  );
  await Promise.all(workers.map((w) => w.run()));
  await close();
  await connection.close();
  await clientConnection.close();
  redis.disconnect();
  await tracing.shutdown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
