// Publishes a pipeline execution's progress (pipelines/progress.ts) to the live event stream, where the dashboard
// follows it. As with task transitions, Redis being down must never fail or stall a pipeline: a lost event costs a
// dashboard a refresh, and the execution's record lives in its workflow.
import { PIPELINE_EVENT_FIELD } from '../domain/constants';
import { STREAM_MAX_LENGTH, type TaskProjection } from '../live/task-projection';
import type { PipelineProgress } from '../pipelines/progress';

export interface PipelineProgressActivities {
  publishPipelineProgress(event: PipelineProgress): Promise<void>;
}

/** A publish waits this long for Redis at most, well within the activity's timeout. */
const PUBLISH_TIMEOUT_MS = 2_000;

export function createPipelineProgressActivities(
  projection: TaskProjection | undefined,
  log: (m: string) => void = console.warn,
): PipelineProgressActivities {
  return {
    async publishPipelineProgress(event) {
      if (!projection) return;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          projection.redis.xadd(
            projection.streamKey,
            'MAXLEN',
            '~',
            STREAM_MAX_LENGTH,
            '*',
            PIPELINE_EVENT_FIELD,
            JSON.stringify(event),
          ),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${PUBLISH_TIMEOUT_MS} ms`)),
              PUBLISH_TIMEOUT_MS,
            );
          }),
        ]);
      } catch (err) {
        log(`live stream unavailable, progress of ${event.executionArn} not published: ${(err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
