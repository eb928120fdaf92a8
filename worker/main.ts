// The worker process: hosts TaskWorkflow and its activities until SIGINT or SIGTERM, then drains and exits.
import { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { loadConfig } from '../domain/config';
import { connectClient, connectWorker, ensureSearchAttributes } from '../clients/temporal-connection';
import { connectRedis } from '../live/redis-client';
import { createTaskProjection } from '../live/task-projection';
import { createWorkers } from './create-workers';

async function main() {
  const config = loadConfig();
  Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const clientConnection = await connectClient(config.temporal);
  await ensureSearchAttributes(clientConnection, config.temporal.namespace);
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const connection = await connectWorker(config.temporal);
  const redis = connectRedis(config.redis.url, 'spillway-worker');
  const projection = createTaskProjection(redis, config.redis.prefix);
  const workers = await createWorkers({ config, connection, client, projection });
  console.log(
    `worker ready: namespace ${config.temporal.namespace} at ${config.temporal.address}, ` +
      `local pool ${config.scheduler.localWorkerPoolSize} slots`,
  );
  await Promise.all(workers.map((w) => w.run()));
  await connection.close();
  await clientConnection.close();
  redis.disconnect();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
