// A pipeline execution's progress as the live event stream carries it (the SSE event `pipeline`): its status and
// the views of the states that changed since its previous event, so the dashboard follows an execution from the
// stream instead of polling it. Pure: runPipeline builds one after its record changed and publishes it through a
// local activity.
import type { ExecutionRecord, ExecutionStatus, MapCounts, StateView } from './execution-record';
import { executionCostUsd } from './execution-record';

export interface PipelineProgress {
  kind: 'pipeline';
  executionArn: string;
  stateMachineName: string;
  executionName: string;
  /** The record's revision: a reader keeps what it has when it already has a newer one (e.g. from REST). */
  revision: number;
  status: ExecutionStatus;
  error?: string;
  cause?: string;
  redriveCount: number;
  transitions: number;
  /** What the execution's task attempts have cost so far, in US dollars. */
  costUsd: number;
  /** The views of the states that changed since the previous event of this run; every view in its first. */
  states: StateView[];
  /** Each Map Run's item counts. */
  mapRuns: Array<{ mapRunArn: string; stateName: string; status: string; items: MapCounts }>;
  /** Workflow time, ISO 8601. */
  at: string;
}

export interface ProgressIds {
  executionArn: string;
  stateMachineName: string;
  executionName: string;
}

/**
 * The progress event for `record`, with the views that are not the very objects of `previous` (the record's reducer
 * replaces a view whenever it changes it, and keeps it otherwise).
 */
export function pipelineProgress(
  record: ExecutionRecord,
  previous: Readonly<Record<string, StateView>>,
  ids: ProgressIds,
  nowMs: number,
): PipelineProgress {
  return {
    kind: 'pipeline',
    ...ids,
    revision: record.revision ?? 0,
    status: record.status,
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
    redriveCount: record.redriveCount,
    transitions: record.transitions,
    costUsd: executionCostUsd(record.states),
    states: Object.values(record.states).filter((view) => previous[view.name] !== view),
    mapRuns: record.mapRuns.map((run) => ({
      mapRunArn: run.mapRunArn,
      stateName: run.stateName,
      status: run.status,
      items: run.items,
    })),
    at: new Date(nowMs).toISOString(),
  };
}
