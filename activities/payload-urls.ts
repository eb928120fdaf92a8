// What a function gets for a payload that lives in the object store: the reference with a pre-signed GET URL, signed
// for the bucket's region and valid for SPILLWAY_S3_URL_TTL_SECONDS. The SDK (sdk/wrap-handler.ts) downloads it
// before the handler runs, so a handler sees its payload whatever its size. Each attempt of a function that speaks
// the task event also gets a pre-signed PUT URL for a result too large to return (domain/object-ref-marker.ts
// ResultUpload). Signing is local: no request per task.
import { ApplicationFailure } from '@temporalio/common';
import type { ObjectStore } from '../clients/object-store';
import type { DeployedFunction } from '../domain/deployed-function';
import { markObjectRef, objectRefOf, RESULT_UPLOAD_PROPERTY, taskObjectKey } from '../domain/object-ref';
import type { ResultUpload } from '../domain/object-ref-marker';
import type { TaskInput } from '../domain/task-model';

export type PayloadPresigner = (task: TaskInput) => Promise<TaskInput>;
export type ResultPresigner = (task: TaskInput, attempt: number) => Promise<ResultUpload>;

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

export function createResultPresigner(
  store: ObjectStore,
  /** `region`: where a task without a data region keeps its result. */
  options: { region: string; maxInlineBytes: number; ttlSeconds?: number },
): ResultPresigner {
  return async (task, attempt) => {
    // The result goes where the task's data lives (dataRegion), signed for that region; else the local pool's.
    const region = task.dataRegion ?? options.region;
    // Once per region and process (the store remembers); the function's PUT needs the bucket to exist.
    await store.ensureBucket(region);
    const key = taskObjectKey(task.id, 'result', attempt);
    const putUrl = await store.presignPut(region, key, options.ttlSeconds, 'application/json');
    const expiresAt =
      options.ttlSeconds === undefined ? undefined : new Date(Date.now() + options.ttlSeconds * 1000).toISOString();
    return {
      region,
      bucket: store.bucketFor(region),
      key,
      putUrl,
      maxInlineBytes: options.maxInlineBytes,
      ...(expiresAt ? { expiresAt } : {}),
    };
  };
}

/** What the task event adds for the result's upload: nothing without a store, or for a plain Lambda handler. */
export async function resultUploadFields(
  presign: ResultPresigner | undefined,
  task: TaskInput,
  attempt: number,
  fn: DeployedFunction,
): Promise<Record<string, unknown>> {
  if (!presign || fn.spillway.event !== 'task') return {};
  try {
    return { [RESULT_UPLOAD_PROPERTY]: await presign(task, attempt) };
  } catch {
    // The store is unreachable: the attempt still runs, and only a result too large to return inline fails it.
    return {};
  }
}
