// The worker process: hosts TaskWorkflow, the warm pool and their activities until SIGTERM or SIGINT.
//
// Shutdown: the first signal stops polling and lets local attempts in flight finish, for at most
// SPILLWAY_WORKER_SHUTDOWN_GRACE_MS; the process then exits 0. If attempts are still running when the grace period
// ends (or the same signal comes again), it kills their execution environments and exits 2 without reporting them: their
// heartbeats lapse, and Temporal retries each one on another worker after the heartbeat timeout, within its retry
// policy. Exit codes: 0 drained, 2 attempts left to be retried elsewhere, 1 failed to start or crashed.
import { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { loadConfig } from '../domain/config';
import { connectClient, connectWorker, ensureSearchAttributes } from '../clients/temporal-connection';
import { connectRedis } from '../live/redis-client';
import { startTracing } from '../telemetry/tracing';
import { createWorkers } from './create-workers';
import { ensureWarmPoolSchedule } from './warm-pool-schedule';
import { deploymentOptions, promoteIfNewest, workerVersion, type PromotionOutcome } from './worker-versioning';

/** Exit status when the grace period ended with local attempts still running. */
export const EXIT_ATTEMPTS_ABANDONED = 2;

function describePromotion(outcome: PromotionOutcome): string {
  switch (outcome.kind) {
    case 'promoted':
      return `made current${outcome.previous ? ` (was ${outcome.previous})` : ''}`;
    case 'already-current':
      return 'current';
    case 'kept':
      return `not current: ${outcome.reason}`;
    case 'not-asked':
      return 'not promoted (SPILLWAY_WORKER_PROMOTE=false)';
  }
}

/** Until the workers exist a signal simply ends the process: nothing runs yet. */
let onSignal: (signal: NodeJS.Signals) => void = (signal) => {
  console.log(`${signal} while starting: exiting`);
  process.exit(0);
};
process.on('SIGTERM', (signal) => onSignal(signal));
process.on('SIGINT', (signal) => onSignal(signal));

async function main() {
  const tracing = startTracing('spillway-worker');
  const config = loadConfig();
  const metricsAddress = config.worker.metricsAddress;
  Runtime.install({
    // Signals are ours (below): the SDK's own handling would cancel running attempts at once.
    shutdownSignals: [],
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
  const version = config.worker.deployment ? workerVersion(config.worker.deployment) : undefined;
  const connection = await connectWorker(config.temporal);
  const redis = connectRedis(config.redis.url, 'spillway-worker');
  const graceMs = config.worker.shutdownGraceMs;
  const { workers, close } = await createWorkers({
    config,
    connection,
    client,
    redis,
    workerOptions: {
      // Longer than our own grace period, so the SDK never cancels an attempt: after the grace period the process
      // exits without a word, and the attempt's heartbeat timeout hands it to another worker.
      shutdownGraceTime: graceMs + 60_000,
      ...(version ? { workerDeploymentOptions: deploymentOptions(version) } : {}),
    },
  });
  const localWorker = workers[workers.length - 1];
  const inFlight = () => localWorker?.getStatus().numInFlightActivities ?? 0;

  let stopping: NodeJS.Signals | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const abandon = (why: string) => {
    console.log(
      `${why}: ${inFlight()} local attempt(s) still running are left to their heartbeat timeout and will be ` +
        'retried on another worker; exiting',
    );
    // close() kills the execution environments before its first await, so no attempt reports anything after this.
    void close();
    process.exit(EXIT_ATTEMPTS_ABANDONED);
  };
  onSignal = (signal: NodeJS.Signals) => {
    // The same signal twice forces the exit; a different one (Ctrl+C reaches a whole process group, then the stack's
    // launcher sends SIGTERM) does not cut the drain short.
    if (stopping) return signal === stopping ? abandon(`${signal} again`) : undefined;
    stopping = signal;
    console.log(
      `${signal}: draining: polling stopped, ${inFlight()} local attempt(s) in flight get up to ${graceMs} ms to finish`,
    );
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    graceTimer = setTimeout(() => abandon(`grace period of ${graceMs} ms over`), graceMs);
  };

  const running = Promise.all(workers.map((w) => w.run()));
  let versioning = 'off';
  if (version) {
    const outcome = await promoteIfNewest(clientConnection, config.temporal.namespace, version);
    versioning = `deployment ${version.deploymentName}, build ${version.buildId}, ${version.behavior}, ${describePromotion(outcome)}`;
  }
  console.log(
    `worker ready: namespace ${config.temporal.namespace} at ${config.temporal.address}, ` +
      `local pool ${config.scheduler.localWorkerPoolSize} slots, metrics ${metricsAddress}, versioning ${versioning}`,
  );
  await running;
  if (graceTimer) clearTimeout(graceTimer);
  await close();
  await connection.close();
  await clientConnection.close();
  redis.disconnect();
  await tracing.shutdown();
  console.log(stopping ? 'drained: every local attempt in flight finished; exiting' : 'workers stopped; exiting');
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
