// Tells TaskWorkflow about attempts that its activity result cannot carry: an attempt that failed. (Which attempt
// runs now is Temporal's own word, its pending activity; the API reads it from there.)
// Reporting is best effort; losing one record must never fail or delay the attempt itself.
import type { Client } from '@temporalio/client';
import { ATTEMPT_FAILED_SIGNAL } from '../domain/constants';
import type { AttemptRecord } from '../domain/task-model';

export interface AttemptReporter {
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
    failed: (workflowId, record) => send(workflowId, ATTEMPT_FAILED_SIGNAL, record),
  };
}
