// Typed keys for our custom search attributes. Names come from constants so the dev server registration, the
// API's visibility queries and the workflow's upserts cannot drift apart. The numeric ones carry each task's
// facts into visibility, so the Redis projection can be rebuilt from Temporal alone.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from './constants';

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

export const PIPELINE_NAME_KEY = defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineName, SearchAttributeType.KEYWORD);
export const PIPELINE_STATUS_KEY = defineSearchAttributeKey(
  SEARCH_ATTRIBUTES.pipelineStatus,
  SearchAttributeType.KEYWORD,
);
export const PIPELINE_EXECUTION_KEY = defineSearchAttributeKey(
  SEARCH_ATTRIBUTES.pipelineExecution,
  SearchAttributeType.KEYWORD,
);

export type SearchAttributeKind = 'Keyword' | 'Double' | 'Int';

/** `--search-attribute` values for `temporal server start-dev` and `temporal operator search-attribute create`. */
export const SEARCH_ATTRIBUTE_REGISTRATIONS: Record<string, SearchAttributeKind> = {
  [SEARCH_ATTRIBUTES.taskType]: 'Keyword',
  [SEARCH_ATTRIBUTES.executionMode]: 'Keyword',
  [SEARCH_ATTRIBUTES.taskStatus]: 'Keyword',
  [SEARCH_ATTRIBUTES.placement]: 'Keyword',
  [SEARCH_ATTRIBUTES.taskName]: 'Keyword',
  [SEARCH_ATTRIBUTES.requestedMode]: 'Keyword',
  [SEARCH_ATTRIBUTES.costUsd]: 'Double',
  [SEARCH_ATTRIBUTES.durationMs]: 'Double',
  [SEARCH_ATTRIBUTES.attempts]: 'Int',
  [SEARCH_ATTRIBUTES.coldStarts]: 'Int',
  [SEARCH_ATTRIBUTES.warmStarts]: 'Int',
  [SEARCH_ATTRIBUTES.pipelineName]: 'Keyword',
  [SEARCH_ATTRIBUTES.pipelineStatus]: 'Keyword',
  [SEARCH_ATTRIBUTES.pipelineExecution]: 'Keyword',
};
