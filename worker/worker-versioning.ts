// Temporal Worker Versioning for the worker process: the deployment options both of its workers poll with, and the
// promotion rule that makes a new build the deployment's current version once it polls. With versioning on, a
// workflow task only goes to workers of the version the workflow is routed to: new tasks and auto-upgrade tasks go to
// the current version, pinned tasks stay with the version that started them.
import type { Connection } from '@temporalio/client';
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import type { WorkerDeploymentConfig } from '../domain/config';
import { LOCAL_TASK_QUEUE, WORKFLOW_TASK_QUEUE } from '../domain/constants';
import { defaultBuildId } from './bundle-workflows';

export interface WorkerVersion {
  deploymentName: string;
  buildId: string;
  behavior: WorkerDeploymentConfig['behavior'];
  promote: boolean;
}

/** The version this process runs as, with the build id defaulted from the build. */
export function workerVersion(config: WorkerDeploymentConfig): WorkerVersion {
  return {
    deploymentName: config.name,
    buildId: config.buildId ?? defaultBuildId(),
    behavior: config.behavior,
    promote: config.promote,
  };
}

export function deploymentOptions(version: WorkerVersion): WorkerDeploymentOptions {
  return {
    useWorkerVersioning: true,
    version: { deploymentName: version.deploymentName, buildId: version.buildId },
    defaultVersioningBehavior: version.behavior,
  };
}

export type PromotionOutcome =
  | { kind: 'promoted'; previous?: string }
  | { kind: 'already-current' }
  /** Another version stays current; the reason says why (a newer build exists, or a later decision). */
  | { kind: 'kept'; current?: string; reason: string }
  | { kind: 'not-asked' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function millis(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!t) return 0;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/**
 * Makes this version current when it is the newest version of the deployment (by the time the server first saw it
 * poll) and nobody chose the current version after that, so a rolling upgrade promotes the new build as its first
 * worker comes up, an old build that restarts mid-rollout never takes the deployment back, and a rollback an operator
 * made (`temporal worker deployment set-current-version`) survives restarts of the newer build. Waits until the
 * server lists this version polling both task queues, which setting it current requires.
 */
export async function promoteIfNewest(
  connection: Connection,
  namespace: string,
  version: WorkerVersion,
  options: { identity?: string; timeoutMs?: number; log?: (m: string) => void } = {},
): Promise<PromotionOutcome> {
  if (!version.promote) return { kind: 'not-asked' };
  const service = connection.workflowService;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let last = 'the server has not listed this version yet';
  while (Date.now() < deadline) {
    try {
      const described = await service.describeWorkerDeployment({ namespace, deploymentName: version.deploymentName });
      const info = described.workerDeploymentInfo;
      const summaries = info?.versionSummaries ?? [];
      const mine = summaries.find((s) => s.deploymentVersion?.buildId === version.buildId);
      const current = info?.routingConfig?.currentDeploymentVersion?.buildId ?? undefined;
      if (current === version.buildId) return { kind: 'already-current' };
      if (mine) {
        const newest = [...summaries].sort((a, b) => millis(b.createTime) - millis(a.createTime))[0];
        const newestId = newest?.deploymentVersion?.buildId ?? version.buildId;
        if (newestId !== version.buildId && millis(newest?.createTime) > millis(mine.createTime)) {
          return { kind: 'kept', current, reason: `a newer build, ${newestId}, has polled since` };
        }
        const chosenAt = millis(info?.routingConfig?.currentVersionChangedTime);
        if (current && chosenAt > millis(mine.createTime)) {
          return { kind: 'kept', current, reason: `${current} was made current after this build first polled` };
        }
        const queues = await pollingTaskQueues(connection, namespace, version);
        if (queues.has(WORKFLOW_TASK_QUEUE) && queues.has(LOCAL_TASK_QUEUE)) {
          await service.setWorkerDeploymentCurrentVersion({
            namespace,
            deploymentName: version.deploymentName,
            buildId: version.buildId,
            conflictToken: described.conflictToken,
            identity: options.identity ?? `spillway-worker ${process.pid}`,
          });
          return { kind: 'promoted', previous: current };
        }
        last = `the server lists it polling ${[...queues].join(', ') || 'no task queue'} so far`;
      }
    } catch (err) {
      // NOT_FOUND until the first poll registers the deployment; a conflict when another worker changed it first.
      last = (err as Error).message;
    }
    await sleep(500);
  }
  throw new Error(
    `could not make ${version.deploymentName}/${version.buildId} the current version within ` +
      `${Math.round((options.timeoutMs ?? 60_000) / 1000)} s: ${last}`,
  );
}

async function pollingTaskQueues(connection: Connection, namespace: string, version: WorkerVersion) {
  const described = await connection.workflowService.describeWorkerDeploymentVersion({
    namespace,
    deploymentVersion: { deploymentName: version.deploymentName, buildId: version.buildId },
  });
  return new Set((described.workerDeploymentVersionInfo?.taskQueueInfos ?? []).map((q) => q.name ?? ''));
}
