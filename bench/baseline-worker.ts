// The baseline's worker, in its own process like Spillway's: one Worker hosting baselineNoop and its activity, with
// as many activity slots as Spillway's local pool. Env: TEMPORAL_ADDRESS, BASELINE_TASK_QUEUE, BASELINE_POOL_SIZE.
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as activities from './baseline-activities';

async function main() {
  Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: process.env.BASELINE_TASK_QUEUE ?? 'bench-baseline',
    workflowsPath: require.resolve('./baseline-workflows'),
    activities,
    maxConcurrentActivityTaskExecutions: Number(process.env.BASELINE_POOL_SIZE ?? 10),
  });
  console.log('baseline worker ready');
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
