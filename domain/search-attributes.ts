// Typed keys for our custom search attributes. Each attribute's name and type are declared once, in
// search-attributes.json, which the launchers (scripts/lib, plain JavaScript) read too, to register them on the
// dev server and the production server. The numeric ones carry each task's facts into visibility, so the Redis
// projection can be rebuilt from Temporal alone.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';
import registrations from './search-attributes.json';
import { SEARCH_ATTRIBUTES } from './constants';
import { startsRunning, type TaskInput } from './task-model';

export type SearchAttributeName = keyof typeof registrations;
export type SearchAttributeKind = (typeof registrations)[SearchAttributeName];

/** `--search-attribute` values for `temporal server start-dev` and `temporal operator search-attribute create`. */
export const SEARCH_ATTRIBUTE_REGISTRATIONS: Readonly<Record<SearchAttributeName, SearchAttributeKind>> = registrations;

export const TASK_TYPE_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.taskType, SearchAttributeType.KEYWORD);
export const EXECUTION_MODE_KEY = defineSearchAttributeKey(
  SEARCH_ATTRIBUTES.executionMode,
  SearchAttributeType.KEYWORD,
);
export const TASK_STATUS_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.taskStatus, SearchAttributeType.KEYWORD);
export const PLACEMENT_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.placement, SearchAttributeType.KEYWORD);
export const TASK_NAME_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.taskName, SearchAttributeType.KEYWORD);
export const REQUESTED_MODE_KEY = defineSearchAttributeKey(
  SEARCH_ATTRIBUTES.requestedMode,
  SearchAttributeType.KEYWORD,
);
export const TASK_COST_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.costUsd, SearchAttributeType.DOUBLE);
export const TASK_DURATION_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.durationMs, SearchAttributeType.DOUBLE);
export const TASK_ATTEMPTS_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.attempts, SearchAttributeType.INT);
export const TASK_COLD_STARTS_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.coldStarts, SearchAttributeType.INT);
export const TASK_WARM_STARTS_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.warmStarts, SearchAttributeType.INT);
/**
 * The task's facets as `facet:value` keywords (tenant, batch, schedule, redrive-of, error): one KeywordList holds
 * them all, because SQL visibility has only ten Keyword columns. Query them with `TaskLabels = 'tenant:acme'`.
 */
export const TASK_LABELS_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.labels, SearchAttributeType.KEYWORD_LIST);

export type TaskLabelFacet = 'tenant' | 'batch' | 'schedule' | 'redrive-of' | 'error';

/** Every redrive also carries this bare label, so all redrives are one query away (`TaskLabels = 'redrive'`). */
export const REDRIVE_LABEL = 'redrive';

export function taskLabel(facet: TaskLabelFacet, value: string): string {
  return `${facet}:${value}`;
}

/** A visibility clause for one facet; values are schema-checked keys, quotes are refused there. */
export function labelClause(facet: TaskLabelFacet, value: string): string {
  return `${SEARCH_ATTRIBUTES.labels} = '${taskLabel(facet, value).replace(/'/g, '')}'`;
}

export const PIPELINE_NAME_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineName, SearchAttributeType.KEYWORD);
export const PIPELINE_STATUS_KEY = defineSearchAttributeKey(
  SEARCH_ATTRIBUTES.pipelineStatus,
  SearchAttributeType.KEYWORD,
);
export const PIPELINE_EXECUTION_KEY = defineSearchAttributeKey(
  SEARCH_ATTRIBUTES.pipelineExecution,
  SearchAttributeType.KEYWORD,
);

/** The labels a task starts with; an upsert of the error label at its end must repeat them. */
export function taskLabels(input: Pick<TaskInput, 'fairness' | 'batchId' | 'scheduleId' | 'redriveOf'>): string[] {
  return [
    ...(input.fairness ? [taskLabel('tenant', input.fairness.key)] : []),
    ...(input.batchId ? [taskLabel('batch', input.batchId)] : []),
    ...(input.scheduleId ? [taskLabel('schedule', input.scheduleId)] : []),
    ...(input.redriveOf ? [taskLabel('redrive-of', input.redriveOf), REDRIVE_LABEL] : []),
  ];
}

/**
 * The search attributes a task starts with, whoever starts it (the API, a schedule, a pipeline): what visibility
 * queries, the dashboard's list and reconcile read before the workflow has said anything itself.
 */
export function taskSearchAttributes(input: TaskInput): SearchAttributePair[] {
  const labels = taskLabels(input);
  const decided = input.placementOverride ?? input.decidedPlacement;
  const placed = decided?.placement ?? (input.executionMode === 'AUTO' ? undefined : input.executionMode);
  return [
    { key: TASK_TYPE_KEY, value: input.type },
    { key: EXECUTION_MODE_KEY, value: placed ?? input.executionMode },
    { key: REQUESTED_MODE_KEY, value: input.executionMode },
    ...(placed ? [{ key: PLACEMENT_KEY, value: (decided?.reason ?? `requested ${placed}`).slice(0, 200) }] : []),
    { key: TASK_STATUS_KEY, value: startsRunning(input) ? 'RUNNING' : 'QUEUED' },
    { key: TASK_NAME_KEY, value: input.name.slice(0, 200) },
    ...(labels.length ? [{ key: TASK_LABELS_KEY, value: labels }] : []),
  ];
}
