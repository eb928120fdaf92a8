// Tells TaskWorkflow about attempts that its activity result cannot carry: a retry starting, an attempt failing.
// Reporting is best effort; losing one record must never fail or delay the attempt itself.
import type { Client } from '@temporalio/client';
import { ATTEMPT_FAILED_SIGNAL, ATTEMPT_STARTED_SIGNAL } from '../domain/constants';
import type { AttemptRecord } from '../domain/task-model';

export interface AttemptReporter {
  started(workflowId: string, record: AttemptRecord): Promise<void>;
  failed(workflowId: string, record: AttemptRecord): Promise<void>;
}

export function createAttemptReporter(client: Client, log: (message: string) => void = console.warn): AttemptReporter {
  const send = async (workflowId: string, signal: string, record: AttemptRecord) => {
    try {
      await client.workflow.getHandle(workflowId).signal(signal, record);
    } catch (err) {
      log(`could not record ${signal} for ${workflowId} attempt ${record.attempt}: ${(err as Error).message}`);
    }
  };
  return {
    started: (workflowId, record) => send(workflowId, ATTEMPT_STARTED_SIGNAL, record),
    failed: (workflowId, record) => send(workflowId, ATTEMPT_FAILED_SIGNAL, record),
  };
}
