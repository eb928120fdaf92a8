export { runTask } from './run-task';
export { warmPool } from './warm-pool';
export { operatorControls } from './operator-controls';
export { runPipeline } from './run-pipeline';
export { runPipelineMapBatch } from './pipeline-map-batch';
export { pipelineStateMachine } from './pipeline-state-machine';
export { followRemotePipeline } from './follow-remote-pipeline';
