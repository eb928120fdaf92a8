// One execution of a raw visibility page, decoded into the client's shape through public API only. A page is read
// raw because its `nextPageToken` (for cursors) is something `client.workflow.list()` does not expose. Spillway's own
// search attributes are decoded (their payloads are JSON), and the memo with the client's data converter.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import {
  defaultPayloadConverter,
  defineSearchAttributeKey,
  SearchAttributeType,
  TypedSearchAttributes,
  type SearchAttributePair,
} from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../domain/search-attributes';

const SA_TYPES: Record<string, SearchAttributeType> = {
  Keyword: SearchAttributeType.KEYWORD,
  Double: SearchAttributeType.DOUBLE,
  Int: SearchAttributeType.INT,
  KeywordList: SearchAttributeType.KEYWORD_LIST,
};

const STATUS_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(temporal.api.enums.v1.WorkflowExecutionStatus)
    .filter(([, code]) => typeof code === 'number')
    .map(([name, code]) => [code, name.replace('WORKFLOW_EXECUTION_STATUS_', '').replace('CANCELED', 'CANCELLED')]),
);

const toDate = (ts: temporal.api.workflow.v1.IWorkflowExecutionInfo['startTime']) =>
  ts ? new Date(Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)) : undefined;

export type VisibleExecution = Pick<
  WorkflowExecutionInfo,
  'workflowId' | 'status' | 'startTime' | 'closeTime' | 'typedSearchAttributes' | 'memo'
>;

export function fromVisibility(
  raw: temporal.api.workflow.v1.IWorkflowExecutionInfo,
  client?: Pick<Client, 'options'>,
): VisibleExecution {
  const fields = raw.searchAttributes?.indexedFields ?? {};
  const pairs: SearchAttributePair[] = [];
  for (const [name, kind] of Object.entries(SEARCH_ATTRIBUTE_REGISTRATIONS)) {
    const payload = fields[name];
    const type = SA_TYPES[kind];
    if (!payload || !type) continue;
    const value = defaultPayloadConverter.fromPayload<unknown>(payload);
    // A list attribute is the list; the others come as one-element lists from older servers.
    const decoded = type === SearchAttributeType.KEYWORD_LIST ? value : Array.isArray(value) ? value[0] : value;
    if (decoded === undefined || decoded === null) continue;
    pairs.push({ key: defineSearchAttributeKey(name, type), value: decoded } as SearchAttributePair);
  }
  const converter = client?.options.loadedDataConverter.payloadConverter ?? defaultPayloadConverter;
  const memo = Object.fromEntries(
    Object.entries(raw.memo?.fields ?? {}).map(([key, payload]) => [key, converter.fromPayload<unknown>(payload)]),
  );
  return {
    workflowId: raw.execution?.workflowId ?? '',
    status: { name: STATUS_NAMES[raw.status ?? 0] ?? 'UNSPECIFIED' } as WorkflowExecutionInfo['status'],
    startTime: toDate(raw.startTime) ?? new Date(0),
    closeTime: toDate(raw.closeTime),
    typedSearchAttributes: new TypedSearchAttributes(pairs),
    memo,
  };
}
