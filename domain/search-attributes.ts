// Typed keys for our custom search attributes. Names come from constants so the dev server registration, the
// API's visibility queries and the workflow's upserts cannot drift apart.
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

/** `--search-attribute` values for `temporal server start-dev` and `temporal operator search-attribute create`. */
export const SEARCH_ATTRIBUTE_REGISTRATIONS: Record<string, 'Keyword'> = {
  [SEARCH_ATTRIBUTES.taskType]: 'Keyword',
  [SEARCH_ATTRIBUTES.executionMode]: 'Keyword',
  [SEARCH_ATTRIBUTES.taskStatus]: 'Keyword',
  [SEARCH_ATTRIBUTES.placement]: 'Keyword',
  [SEARCH_ATTRIBUTES.taskName]: 'Keyword',
};
