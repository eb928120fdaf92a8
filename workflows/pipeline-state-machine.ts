// pipelineStateMachine: the durable record of one state machine. Its definition, role, type and revisions live
// in this long-lived workflow (Temporal is the record, not Redis): DescribeStateMachine is a query,
// UpdateStateMachine an update, DeleteStateMachine an update that ends the workflow. After many revisions it
// continues as new with its current record, so its history stays short.
import { condition, continueAsNew, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { StateMachineRecord } from '../domain/pipeline-model';
import { PIPELINE_STATUS_KEY } from '../domain/search-attributes';
import { deleteStateMachineUpdate, describeStateMachineQuery, updateStateMachineUpdate } from './pipeline-signals';

/** Revisions kept in the record; older ones are dropped. */
const MAX_REVISIONS = 20;
/** History events after which the record continues as new. */
const CONTINUE_AFTER_EVENTS = 2_000;

export async function pipelineStateMachine(initial: StateMachineRecord): Promise<void> {
  let record = initial;
  let deleted = false;
  let updating = 0;
  setHandler(describeStateMachineQuery, () => record);
  setHandler(updateStateMachineUpdate, (change) => {
    updating++;
    try {
      const revisions = [
        ...record.revisions,
        {
          revisionId: record.revisionId,
          definition: record.definition,
          roleArn: record.roleArn,
          updateDate: record.updateDate,
        },
      ].slice(-MAX_REVISIONS);
      record = {
        ...record,
        ...(change.definition !== undefined ? { definition: change.definition } : {}),
        ...(change.roleArn !== undefined ? { roleArn: change.roleArn } : {}),
        ...(change.defaultExecutionMode !== undefined ? { defaultExecutionMode: change.defaultExecutionMode } : {}),
        ...(change.description !== undefined ? { description: change.description } : {}),
        ...(change.loggingConfiguration !== undefined ? { loggingConfiguration: change.loggingConfiguration } : {}),
        ...(change.tracingConfiguration !== undefined ? { tracingConfiguration: change.tracingConfiguration } : {}),
        revisionId: change.revisionId,
        updateDate: change.at,
        revisions,
      };
      return record;
    } finally {
      updating--;
    }
  });
  setHandler(deleteStateMachineUpdate, () => {
    record = { ...record, status: 'DELETING' };
    deleted = true;
  });
  upsertSearchAttributes([{ key: PIPELINE_STATUS_KEY, value: record.status }]);
  await condition(() => deleted || (workflowInfo().historyLength > CONTINUE_AFTER_EVENTS && updating === 0));
  if (!deleted) await continueAsNew<typeof pipelineStateMachine>(record);
}
