// Payloads too large for an event go to the object store before the task starts, so neither Temporal's history nor
// Lambda's invocation carries them: they are kept in the bucket of the task's data region (`dataRegion`, else the
// local pool's), the task's input holds a reference (region, bucket, key, size) instead, and the
// worker hands the function a pre-signed GET URL for it (activities/payload-urls.ts). The key holds a hash of the
// payload, so a repeated idempotency key with a different body (a 409) never overwrites the first task's payload.
import { createHash } from 'node:crypto';
import type { ObjectStore } from '../../clients/object-store';
import { markObjectRef, needsObjectStore, recordedRef, taskObjectKey } from '../../domain/object-ref';
import { serializedPayload } from '../../domain/placement-inputs';
import type { TaskInput } from '../../domain/task-model';

export interface PayloadOffload {
  /** The input as it should start: unchanged, or with its payload replaced by a reference to the stored copy. */
  offload(input: TaskInput): Promise<TaskInput>;
}

export function createPayloadOffload(deps: {
  store?: ObjectStore;
  /** Where a payload without a data region is kept: the local pool's region. */
  region: string;
  largePayloadBytes: number;
}): PayloadOffload {
  const bucketsReady = new Map<string, Promise<void>>();
  const bucketReady = (store: ObjectStore, region: string) => {
    let ready = bucketsReady.get(region);
    if (!ready) {
      ready = store.ensureBucket(region).catch((err) => {
        bucketsReady.delete(region);
        throw err;
      });
      bucketsReady.set(region, ready);
    }
    return ready;
  };
  return {
    async offload(input) {
      if (!deps.store) return input;
      const { text, bytes: sizeBytes } = serializedPayload(input.payload);
      if (!needsObjectStore(sizeBytes, deps.largePayloadBytes)) return input;
      // The input lives where the task says its data lives: its region's bucket, which placement charges moves from.
      const region = input.dataRegion ?? deps.region;
      await bucketReady(deps.store, region);
      const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
      const ref = await deps.store.put(
        region,
        `${taskObjectKey(input.id, 'payload')}-${digest}.json`,
        text,
        'application/json',
      );
      return { ...input, payload: markObjectRef(recordedRef(ref)) };
    },
  };
}
