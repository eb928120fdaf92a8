// The workflows a worker runs. Each workflow execution evaluates the modules it requires in a module cache of its
// own, so the pipeline workflows are required when one of them runs rather than by every task: loaded eagerly, the
// interpreter and JSONata doubled what starting a task's workflow evaluates (118 modules against 84, 2.5 against
// 1.3 ms of CPU per task on the dev VM).
/* eslint-disable @typescript-eslint/no-require-imports, no-restricted-globals -- webpack's require of our own workflow
   modules, resolved in the bundle: no Node module is reached this way (test/lint/workflow-imports.test.ts checks what
   each file imports). */
import type * as FollowRemotePipeline from './follow-remote-pipeline';
import type * as PipelineMapBatch from './pipeline-map-batch';
import type * as PipelineStateMachine from './pipeline-state-machine';
import type * as RunPipeline from './run-pipeline';

export { runTask } from './run-task';
export { warmPool } from './warm-pool';
export { operatorControls } from './operator-controls';

type Run = typeof RunPipeline.runPipeline;
export function runPipeline(...args: Parameters<Run>): ReturnType<Run> {
  return (require('./run-pipeline') as typeof RunPipeline).runPipeline(...args);
}

type MapBatch = typeof PipelineMapBatch.runPipelineMapBatch;
export function runPipelineMapBatch(...args: Parameters<MapBatch>): ReturnType<MapBatch> {
  return (require('./pipeline-map-batch') as typeof PipelineMapBatch).runPipelineMapBatch(...args);
}

type StateMachine = typeof PipelineStateMachine.pipelineStateMachine;
export function pipelineStateMachine(...args: Parameters<StateMachine>): ReturnType<StateMachine> {
  return (require('./pipeline-state-machine') as typeof PipelineStateMachine).pipelineStateMachine(...args);
}

type FollowRemote = typeof FollowRemotePipeline.followRemotePipeline;
export function followRemotePipeline(...args: Parameters<FollowRemote>): ReturnType<FollowRemote> {
  return (require('./follow-remote-pipeline') as typeof FollowRemotePipeline).followRemotePipeline(...args);
}
