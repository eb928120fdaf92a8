// What a function gets for a payload that lives in the object store: the reference with a pre-signed GET URL, signed
// for the bucket's region and valid for SPILLWAY_S3_URL_TTL_SECONDS. The SDK (sdk/wrap-handler.ts) downloads it
// before the handler runs, so a handler sees its payload whatever its size. Signing is local: no request per task.
import { ApplicationFailure } from '@temporalio/common';
import type { ObjectStore } from '../clients/object-store';
import { markObjectRef, objectRefOf } from '../domain/object-ref';
import type { TaskInput } from '../domain/task-model';

export type PayloadPresigner = (task: TaskInput) => Promise<TaskInput>;

export function createPayloadPresigner(store: ObjectStore | undefined, ttlSeconds?: number): PayloadPresigner {
  return async (task) => {
    const ref = objectRefOf(task.payload);
    if (!ref) return task;
    if (!store) {
      throw ApplicationFailure.nonRetryable(
        `the payload is in the object store (s3://${ref.bucket}/${ref.key}), which this worker has no access to: ` +
          'set SPILLWAY_S3_ENDPOINT (or SPILLWAY_S3_AWS=true) for the worker as for the API',
        'ObjectStoreUnavailable',
      );
    }
    const getUrl = await store.presignGet(ref.region, ref.key, ttlSeconds);
    const expiresAt = ttlSeconds === undefined ? undefined : new Date(Date.now() + ttlSeconds * 1000).toISOString();
    return { ...task, payload: markObjectRef({ ...ref, getUrl, ...(expiresAt ? { expiresAt } : {}) }) };
  };
}

/** The task as the function should see it: with its payload's URL when there is a presigner, as it is otherwise. */
export function sentTask(presign: PayloadPresigner | undefined, task: TaskInput): Promise<TaskInput> {
  return presign ? presign(task) : Promise.resolve(task);
}
