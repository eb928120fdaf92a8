// A task payload or result that lives in an object store instead of in the event: what a function receives in
// place of the value (with a pre-signed GET URL), what a task's state shows (key and size), and what the cost counts
// (bytes moved between regions). Declared once, because the worker, the function and the API all read it.
import { Type, type Static } from '@sinclair/typebox';
import { OBJECT_REF_PROPERTY } from './object-ref-marker';

export { markObjectRef, OBJECT_REF_PROPERTY, objectRefOf, RESULT_UPLOAD_PROPERTY } from './object-ref-marker';

export const ObjectRefSchema = Type.Object({
  region: Type.String(),
  bucket: Type.String(),
  key: Type.String(),
  sizeBytes: Type.Integer({ minimum: 0 }),
  contentType: Type.Optional(Type.String()),
  /** Pre-signed GET URL, signed for the bucket's region; absent in what is recorded (it is a bearer secret). */
  getUrl: Type.Optional(Type.String()),
  /** Pre-signed PUT URL for the function's result, when the result should go through the store as well. */
  putUrl: Type.Optional(Type.String()),
  expiresAt: Type.Optional(Type.String()),
});
export type ObjectRef = Static<typeof ObjectRefSchema>;

export const PayloadRefSchema = Type.Object({ [OBJECT_REF_PROPERTY]: ObjectRefSchema });
export type PayloadRef = Static<typeof PayloadRefSchema>;

/** The object key of a task's payload or result: one per task and attempt, so a retry never reads a stale result. */
export function taskObjectKey(taskId: string, kind: 'payload' | 'result', attempt?: number): string {
  const safe = taskId.replace(/[^A-Za-z0-9_.-]/g, '_');
  return kind === 'payload' ? `tasks/${safe}/payload` : `tasks/${safe}/result-${attempt ?? 1}`;
}

/** Whether a value must go through the store: above the configured size, and always above Lambda's async limit. */
export function needsObjectStore(sizeBytes: number, largePayloadBytes: number): boolean {
  return sizeBytes > inlineLimitBytes(largePayloadBytes);
}

/** The largest value kept inline: the configured size, and never above Lambda's async limit (less the envelope). */
export function inlineLimitBytes(largePayloadBytes: number): number {
  return Math.min(largePayloadBytes, 1024 * 1024 - 4 * 1024);
}

/** The copy of a reference that may be recorded in history and shown: without its pre-signed URLs. */
export function recordedRef(ref: ObjectRef): ObjectRef {
  const { getUrl: _get, putUrl: _put, ...rest } = ref;
  return rest;
}
