// The bookkeeping of one pipeline execution as a reducer: the interpreter workflow feeds it what happens
// (PipelineEvent) and it keeps (1) the execution history in Step Functions' shape, as GetExecutionHistory returns
// it, (2) a view per state for the dashboard (status, attempts, placement, cost, the error), and (3) a summary per
// Map Run, as DescribeMapRun returns it. Pure and plain data, so it can sit in workflow state, cross a query and be
// replayed.
//
// The history stays bounded: events of states inside Map iterations are kept only while the log is below
// `itemEventBudget`, and nothing beyond `maxEvents`; what is dropped is counted (`dropped`) and each Map keeps exact
// counts in its state view and its Map Run. So a Map over 5,000 items is a few thousand events, not 40,000.

import type { StateType } from './definition';
import type { JsonObject, JsonValue } from './json';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
];

/** One event as GetExecutionHistory returns it, the timestamp in epoch ms (the API converts to seconds). */
export interface HistoryEvent extends JsonObject {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
}

export interface HistoryLimits {
  /** No event is kept beyond this many. @default 5000 */
  maxEvents: number;
  /** Events of states inside Map iterations are kept only while the log is shorter than this. @default 1000 */
  itemEventBudget: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = Object.freeze({ maxEvents: 5000, itemEventBudget: 1000 });

export type StateStatus = 'NOT_STARTED' | 'RUNNING' | 'RETRYING' | 'SUCCEEDED' | 'CAUGHT' | 'FAILED' | 'ABORTED';

export interface MapCounts {
  total: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  aborted: number;
}

/** What the dashboard shows for one state (names are unique in a whole machine, nested ones included). */
export interface StateView {
  name: string;
  type: StateType;
  status: StateStatus;
  /** Entries, and how those ended. */
  entered: number;
  succeeded: number;
  failed: number;
  /** Task attempts run (a Task state; one per ASL attempt), retries made, and their placements and cost. */
  attempts: number;
  retries: number;
  placements: Partial<Record<'LOCAL' | 'LAMBDA', number>>;
  costUsd: number;
  /** The most recent task ids, newest last (at most 10). */
  taskIds: string[];
  error?: string;
  cause?: string;
  /** Map states: the items of the latest run. */
  map?: MapCounts;
}

export interface MapRunView {
  seq: number;
  mapRunArn: string;
  stateName: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  startDate: number;
  stopDate?: number;
  maxConcurrency: number;
  toleratedFailureCount: number;
  toleratedFailurePercentage: number;
  items: MapCounts;
  /** Child workflows (batches of items). */
  executions: MapCounts;
  error?: string;
  cause?: string;
}

export interface ExecutionRecord {
  readonly version: 1;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: JsonValue;
  output?: JsonValue;
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveDate?: number;
  transitions: number;
  events: HistoryEvent[];
  nextEventId: number;
  dropped: number;
  states: Record<string, StateView>;
  mapRuns: MapRunView[];
  /**
   * How many events the record has taken in, across redrives (a redrive's record continues its predecessor's): the
   * live stream's progress events and the REST view carry it, so a reader can tell which of two is newer. Absent in
   * records of older runs (0).
   */
  revision?: number;
}

interface At {
  at: number;
  /** Inside a Map iteration (or a Map batch child): subject to the item budget. */
  inItem?: boolean;
}

export type TaskResourceInfo = { resourceType: string; resource: string; region: string; lambdaFunction?: string };

export type PipelineEvent =
  | (At & {
      kind: 'executionStarted';
      input: JsonValue;
      roleArn: string;
      stateMachineArn: string;
      redriveCount: number;
      redriveDate?: number;
    })
  | (At & { kind: 'executionRedriven'; redriveCount: number })
  | (At & { kind: 'stateEntered'; name: string; stateType: StateType; input: JsonValue })
  | (At & { kind: 'stateExited'; name: string; stateType: StateType; output: JsonValue })
  | (At & {
      kind: 'taskScheduled';
      name: string;
      taskId: string;
      resource: TaskResourceInfo;
      parameters: JsonValue;
      timeoutSeconds?: number;
      heartbeatSeconds?: number;
    })
  | (At & { kind: 'taskStarted'; name: string; taskId: string; resource: TaskResourceInfo })
  | (At & {
      kind: 'taskSucceeded';
      name: string;
      taskId: string;
      resource: TaskResourceInfo;
      output: JsonValue;
      placement?: 'LOCAL' | 'LAMBDA';
      costUsd?: number;
    })
  | (At & {
      kind: 'taskFailed';
      name: string;
      taskId?: string;
      resource: TaskResourceInfo;
      error: string;
      cause: string;
      timedOut?: boolean;
      placement?: 'LOCAL' | 'LAMBDA';
    })
  | (At & { kind: 'stateRetrying'; name: string; error: string; cause: string; delayMs: number })
  | (At & { kind: 'stateCaught'; name: string; error: string; cause: string })
  | (At & { kind: 'stateFailed'; name: string; stateType: StateType; error: string; cause: string })
  | (At & { kind: 'stateAborted'; name: string; stateType: StateType })
  | (At & { kind: 'mapStarted'; name: string; length: number })
  | (At & { kind: 'mapItem'; name: string; index: number; status: 'started' | 'succeeded' | 'failed' | 'aborted' })
  | (At & { kind: 'mapCounts'; name: string; counts: MapCounts })
  | (At & { kind: 'mapEnded'; name: string; status: 'succeeded' | 'failed' | 'aborted' })
  | (At & {
      kind: 'mapRunStarted';
      name: string;
      seq: number;
      mapRunArn: string;
      total: number;
      batches: number;
      maxConcurrency: number;
      toleratedFailureCount: number;
      toleratedFailurePercentage: number;
    })
  | (At & { kind: 'mapRunProgress'; seq: number; items: MapCounts; executions: MapCounts })
  | (At & {
      kind: 'mapRunEnded';
      seq: number;
      status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
      error?: string;
      cause?: string;
    })
  | (At & { kind: 'parallelStarted'; name: string })
  | (At & { kind: 'parallelEnded'; name: string; status: 'succeeded' | 'failed' | 'aborted' })
  | (At & { kind: 'stateViews'; views: StateView[] })
  | (At & { kind: 'executionSucceeded'; output: JsonValue })
  | (At & { kind: 'executionFailed'; error: string; cause: string })
  | (At & { kind: 'executionTimedOut'; error: string; cause: string })
  | (At & { kind: 'executionAborted'; error: string; cause: string });

export function emptyMapCounts(total = 0): MapCounts {
  return { total, pending: total, running: 0, succeeded: 0, failed: 0, aborted: 0 };
}

export function newExecutionRecord(input: JsonValue, startDate: number): ExecutionRecord {
  return {
    version: 1,
    status: 'RUNNING',
    startDate,
    input,
    redriveCount: 0,
    transitions: 0,
    events: [],
    nextEventId: 1,
    dropped: 0,
    states: {},
    mapRuns: [],
  };
}

function stateView(record: ExecutionRecord, name: string, type: StateType): StateView {
  return (
    record.states[name] ?? {
      name,
      type,
      status: 'NOT_STARTED',
      entered: 0,
      succeeded: 0,
      failed: 0,
      attempts: 0,
      retries: 0,
      placements: {},
      costUsd: 0,
      taskIds: [],
    }
  );
}

function withState(record: ExecutionRecord, view: StateView): ExecutionRecord {
  return { ...record, states: { ...record.states, [view.name]: view } };
}

function updateState(
  record: ExecutionRecord,
  name: string,
  type: StateType | undefined,
  change: (view: StateView) => Partial<StateView>,
): ExecutionRecord {
  const view = stateView(record, name, type ?? record.states[name]?.type ?? 'Task');
  return withState(record, { ...view, ...change(view) });
}

/** The Step Functions event type prefix of a state type (`TaskStateEntered`, `MapStateExited`, …). */
function entered(type: StateType) {
  return `${type}StateEntered`;
}

function resourceDetails(resource: TaskResourceInfo): JsonObject {
  return { resourceType: resource.resourceType, resource: resource.resource };
}

/** The history event for a pipeline event, or undefined when the event only changes the views. */
function historyEventOf(event: PipelineEvent): { type: string; details?: [string, JsonObject] } | undefined {
  const lambda = (e: { resource: TaskResourceInfo }) => e.resource.lambdaFunction !== undefined;
  switch (event.kind) {
    case 'executionStarted':
      return {
        type: 'ExecutionStarted',
        details: [
          'executionStartedEventDetails',
          {
            input: JSON.stringify(event.input),
            inputDetails: { truncated: false },
            roleArn: event.roleArn,
          },
        ],
      };
    case 'executionRedriven':
      return {
        type: 'ExecutionRedriven',
        details: ['executionRedrivenEventDetails', { redriveCount: event.redriveCount }],
      };
    case 'stateEntered':
      return {
        type: entered(event.stateType),
        details: [
          'stateEnteredEventDetails',
          { name: event.name, input: JSON.stringify(event.input), inputDetails: { truncated: false } },
        ],
      };
    case 'stateExited':
      return {
        type: `${event.stateType}StateExited`,
        details: [
          'stateExitedEventDetails',
          { name: event.name, output: JSON.stringify(event.output), outputDetails: { truncated: false } },
        ],
      };
    case 'taskScheduled':
      if (lambda(event)) {
        return {
          type: 'LambdaFunctionScheduled',
          details: [
            'lambdaFunctionScheduledEventDetails',
            {
              resource: event.resource.lambdaFunction!,
              input: JSON.stringify(event.parameters),
              inputDetails: { truncated: false },
              ...(event.timeoutSeconds !== undefined ? { timeoutInSeconds: event.timeoutSeconds } : {}),
            },
          ],
        };
      }
      return {
        type: 'TaskScheduled',
        details: [
          'taskScheduledEventDetails',
          {
            ...resourceDetails(event.resource),
            region: event.resource.region,
            parameters: JSON.stringify(event.parameters),
            ...(event.timeoutSeconds !== undefined ? { timeoutInSeconds: event.timeoutSeconds } : {}),
            ...(event.heartbeatSeconds !== undefined ? { heartbeatInSeconds: event.heartbeatSeconds } : {}),
          },
        ],
      };
    case 'taskStarted':
      if (lambda(event)) return { type: 'LambdaFunctionStarted' };
      return { type: 'TaskStarted', details: ['taskStartedEventDetails', resourceDetails(event.resource)] };
    case 'taskSucceeded':
      if (lambda(event)) {
        return {
          type: 'LambdaFunctionSucceeded',
          details: [
            'lambdaFunctionSucceededEventDetails',
            { output: JSON.stringify(event.output), outputDetails: { truncated: false } },
          ],
        };
      }
      return {
        type: 'TaskSucceeded',
        details: [
          'taskSucceededEventDetails',
          {
            ...resourceDetails(event.resource),
            output: JSON.stringify(event.output),
            outputDetails: { truncated: false },
          },
        ],
      };
    case 'taskFailed': {
      const body = { error: event.error, cause: event.cause };
      if (lambda(event)) {
        return event.timedOut
          ? { type: 'LambdaFunctionTimedOut', details: ['lambdaFunctionTimedOutEventDetails', body] }
          : { type: 'LambdaFunctionFailed', details: ['lambdaFunctionFailedEventDetails', body] };
      }
      return event.timedOut
        ? {
            type: 'TaskTimedOut',
            details: ['taskTimedOutEventDetails', { ...resourceDetails(event.resource), ...body }],
          }
        : { type: 'TaskFailed', details: ['taskFailedEventDetails', { ...resourceDetails(event.resource), ...body }] };
    }
    case 'stateFailed':
    case 'stateRetrying':
    case 'stateCaught':
    case 'mapCounts':
    case 'mapRunProgress':
    case 'stateViews':
      return undefined;
    case 'stateAborted':
      return event.stateType === 'Map'
        ? { type: 'MapStateAborted' }
        : event.stateType === 'Parallel'
          ? { type: 'ParallelStateAborted' }
          : undefined;
    case 'mapStarted':
      return { type: 'MapStateStarted', details: ['mapStateStartedEventDetails', { length: event.length }] };
    case 'mapItem': {
      const type = { started: 'Started', succeeded: 'Succeeded', failed: 'Failed', aborted: 'Aborted' }[event.status];
      return {
        type: `MapIteration${type}`,
        details: [`mapIteration${type}EventDetails`, { name: event.name, index: event.index }],
      };
    }
    case 'mapEnded':
      return {
        type: { succeeded: 'MapStateSucceeded', failed: 'MapStateFailed', aborted: 'MapStateAborted' }[event.status],
      };
    case 'mapRunStarted':
      return { type: 'MapRunStarted', details: ['mapRunStartedEventDetails', { mapRunArn: event.mapRunArn }] };
    case 'mapRunEnded':
      if (event.status === 'SUCCEEDED') return { type: 'MapRunSucceeded' };
      if (event.status === 'ABORTED') return { type: 'MapRunAborted' };
      return {
        type: 'MapRunFailed',
        details: ['mapRunFailedEventDetails', { error: event.error ?? '', cause: event.cause ?? '' }],
      };
    case 'parallelStarted':
      return { type: 'ParallelStateStarted' };
    case 'parallelEnded':
      return {
        type: {
          succeeded: 'ParallelStateSucceeded',
          failed: 'ParallelStateFailed',
          aborted: 'ParallelStateAborted',
        }[event.status],
      };
    case 'executionSucceeded':
      return {
        type: 'ExecutionSucceeded',
        details: [
          'executionSucceededEventDetails',
          { output: JSON.stringify(event.output), outputDetails: { truncated: false } },
        ],
      };
    case 'executionFailed':
      return {
        type: 'ExecutionFailed',
        details: ['executionFailedEventDetails', { error: event.error, cause: event.cause }],
      };
    case 'executionTimedOut':
      return {
        type: 'ExecutionTimedOut',
        details: ['executionTimedOutEventDetails', { error: event.error, cause: event.cause }],
      };
    case 'executionAborted':
      return {
        type: 'ExecutionAborted',
        details: ['executionAbortedEventDetails', { error: event.error, cause: event.cause }],
      };
  }
}

/** Appends an event to the history unless the bounds say to drop it (then it is only counted). */
export function appendHistory(
  record: ExecutionRecord,
  event: PipelineEvent,
  limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
): ExecutionRecord {
  const shaped = historyEventOf(event);
  if (!shaped) return record;
  const overBudget =
    record.events.length >= limits.maxEvents ||
    (event.inItem === true && record.events.length >= limits.itemEventBudget);
  if (overBudget) return { ...record, dropped: record.dropped + 1 };
  const id = record.nextEventId;
  const historyEvent: HistoryEvent = {
    id,
    previousEventId: id - 1,
    timestamp: event.at,
    type: shaped.type,
    ...(shaped.details ? { [shaped.details[0]]: shaped.details[1] } : {}),
  };
  return { ...record, events: [...record.events, historyEvent], nextEventId: id + 1 };
}

function addPlacement(view: StateView, placement: 'LOCAL' | 'LAMBDA' | undefined): StateView['placements'] {
  if (!placement) return view.placements;
  return { ...view.placements, [placement]: (view.placements[placement] ?? 0) + 1 };
}

function recentTaskIds(ids: string[], id: string | undefined): string[] {
  if (!id || ids.includes(id)) return ids;
  return [...ids, id].slice(-10);
}

function mapCountsAfter(counts: MapCounts, status: 'started' | 'succeeded' | 'failed' | 'aborted'): MapCounts {
  switch (status) {
    case 'started':
      return { ...counts, pending: Math.max(0, counts.pending - 1), running: counts.running + 1 };
    case 'succeeded':
      return { ...counts, running: Math.max(0, counts.running - 1), succeeded: counts.succeeded + 1 };
    case 'failed':
      return { ...counts, running: Math.max(0, counts.running - 1), failed: counts.failed + 1 };
    case 'aborted':
      return { ...counts, running: Math.max(0, counts.running - 1), aborted: counts.aborted + 1 };
  }
}

/** Adds the views of states that ran elsewhere (a Map batch child) into this record's views. */
export function mergeStateViews(
  states: Record<string, StateView>,
  views: readonly StateView[],
): Record<string, StateView> {
  const out = { ...states };
  for (const v of views) {
    const mine = out[v.name];
    if (!mine) {
      out[v.name] = v;
      continue;
    }
    const placements = { ...mine.placements };
    for (const [k, n] of Object.entries(v.placements)) {
      placements[k as 'LOCAL' | 'LAMBDA'] = (placements[k as 'LOCAL' | 'LAMBDA'] ?? 0) + (n ?? 0);
    }
    out[v.name] = {
      ...mine,
      status: v.status === 'FAILED' || mine.status === 'NOT_STARTED' ? v.status : mine.status,
      entered: mine.entered + v.entered,
      succeeded: mine.succeeded + v.succeeded,
      failed: mine.failed + v.failed,
      attempts: mine.attempts + v.attempts,
      retries: mine.retries + v.retries,
      placements,
      costUsd: mine.costUsd + v.costUsd,
      taskIds: [...mine.taskIds, ...v.taskIds].slice(-10),
      ...(v.error !== undefined ? { error: v.error, cause: v.cause } : {}),
    };
  }
  return out;
}

/** What an execution's tasks cost in all, every state's (nested and Map item states included) added up. */
export function executionCostUsd(states: Readonly<Record<string, StateView>>): number {
  return Object.values(states).reduce((sum, view) => sum + view.costUsd, 0);
}

/** Folds one event into the record: the history (bounded), the state views and the Map Runs; counts the revision. */
export function reduceExecution(
  record: ExecutionRecord,
  event: PipelineEvent,
  limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
): ExecutionRecord {
  return { ...foldEvent(record, event, limits), revision: (record.revision ?? 0) + 1 };
}

function foldEvent(record: ExecutionRecord, event: PipelineEvent, limits: HistoryLimits): ExecutionRecord {
  let next = appendHistory(record, event, limits);
  switch (event.kind) {
    case 'executionStarted':
      return {
        ...next,
        status: 'RUNNING',
        input: event.input,
        redriveCount: event.redriveCount,
        ...(event.redriveDate !== undefined ? { redriveDate: event.redriveDate } : {}),
      };
    case 'executionRedriven': {
      next = { ...next, status: 'RUNNING', redriveCount: event.redriveCount, redriveDate: event.at };
      delete next.stopDate;
      delete next.error;
      delete next.cause;
      return next;
    }
    case 'stateEntered':
      return updateState({ ...next, transitions: next.transitions + 1 }, event.name, event.stateType, (v) => ({
        status: 'RUNNING',
        entered: v.entered + 1,
      }));
    case 'stateExited': {
      const { error: _error, cause: _cause, ...view } = stateView(next, event.name, event.stateType);
      return withState(next, { ...view, status: 'SUCCEEDED', succeeded: view.succeeded + 1 });
    }
    case 'taskScheduled':
      return updateState(next, event.name, 'Task', (v) => ({
        attempts: v.attempts + 1,
        taskIds: recentTaskIds(v.taskIds, event.taskId),
      }));
    case 'taskStarted':
      return next;
    case 'taskSucceeded':
      return updateState(next, event.name, 'Task', (v) => ({
        placements: addPlacement(v, event.placement),
        costUsd: v.costUsd + (event.costUsd ?? 0),
      }));
    case 'taskFailed':
      return updateState(next, event.name, 'Task', (v) => ({
        placements: addPlacement(v, event.placement),
        error: event.error,
        cause: event.cause,
      }));
    case 'stateRetrying':
      return updateState(next, event.name, undefined, (v) => ({
        status: 'RETRYING',
        retries: v.retries + 1,
        error: event.error,
        cause: event.cause,
      }));
    case 'stateCaught':
      return updateState(next, event.name, undefined, (v) => ({
        status: 'CAUGHT',
        failed: v.failed + 1,
        error: event.error,
        cause: event.cause,
      }));
    case 'stateFailed':
      return updateState(next, event.name, event.stateType, (v) => ({
        status: 'FAILED',
        failed: v.failed + 1,
        error: event.error,
        cause: event.cause,
      }));
    case 'stateAborted':
      return updateState(next, event.name, event.stateType, () => ({ status: 'ABORTED' }));
    case 'mapStarted':
      return updateState(next, event.name, 'Map', () => ({ map: emptyMapCounts(event.length) }));
    case 'mapItem':
      return updateState(next, event.name, 'Map', (v) => ({
        map: mapCountsAfter(v.map ?? emptyMapCounts(), event.status),
      }));
    case 'mapCounts':
      return updateState(next, event.name, 'Map', () => ({ map: event.counts }));
    case 'mapEnded':
      return next;
    case 'mapRunStarted':
      return {
        ...next,
        mapRuns: [
          ...next.mapRuns,
          {
            seq: event.seq,
            mapRunArn: event.mapRunArn,
            stateName: event.name,
            status: 'RUNNING',
            startDate: event.at,
            maxConcurrency: event.maxConcurrency,
            toleratedFailureCount: event.toleratedFailureCount,
            toleratedFailurePercentage: event.toleratedFailurePercentage,
            items: emptyMapCounts(event.total),
            executions: emptyMapCounts(event.batches),
          },
        ],
      };
    case 'mapRunProgress':
      return {
        ...next,
        mapRuns: next.mapRuns.map((r) =>
          r.seq === event.seq ? { ...r, items: event.items, executions: event.executions } : r,
        ),
      };
    case 'mapRunEnded':
      return {
        ...next,
        mapRuns: next.mapRuns.map((r) =>
          r.seq === event.seq
            ? {
                ...r,
                status: event.status,
                stopDate: event.at,
                ...(event.error !== undefined ? { error: event.error, cause: event.cause ?? '' } : {}),
              }
            : r,
        ),
      };
    case 'parallelStarted':
    case 'parallelEnded':
      return next;
    case 'stateViews':
      return { ...next, states: mergeStateViews(next.states, event.views) };
    case 'executionSucceeded':
      return { ...next, status: 'SUCCEEDED', output: event.output, stopDate: event.at };
    case 'executionFailed':
      return { ...next, status: 'FAILED', error: event.error, cause: event.cause, stopDate: event.at };
    case 'executionTimedOut':
      return { ...next, status: 'TIMED_OUT', error: event.error, cause: event.cause, stopDate: event.at };
    case 'executionAborted':
      return { ...next, status: 'ABORTED', error: event.error, cause: event.cause, stopDate: event.at };
  }
}
