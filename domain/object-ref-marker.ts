// How a value that lives in an object store is marked where the value would be: `{"$spillwayObject": {...}}`. Kept
// free of imports, because the function SDK (sdk/wrap-handler.ts) reads it inside every function's bundle.
import type { ObjectRef } from './object-ref';

/** The property that marks a value as a reference. */
export const OBJECT_REF_PROPERTY = '$spillwayObject';

/** The reference a value stands for, or undefined when the value is the value itself. */
export function objectRefOf(value: unknown): ObjectRef | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== OBJECT_REF_PROPERTY) return undefined;
  const ref = (value as Record<string, unknown>)[OBJECT_REF_PROPERTY];
  if (typeof ref !== 'object' || ref === null) return undefined;
  const { region, bucket, key, sizeBytes } = ref as Partial<ObjectRef>;
  return typeof region === 'string' &&
    typeof bucket === 'string' &&
    typeof key === 'string' &&
    typeof sizeBytes === 'number'
    ? (ref as ObjectRef)
    : undefined;
}

/** The value that marks a reference. */
export function markObjectRef(ref: ObjectRef): Record<string, ObjectRef> {
  return { [OBJECT_REF_PROPERTY]: ref };
}

/** The property of a task event that offers the function a place in the store for a result too large to return. */
export const RESULT_UPLOAD_PROPERTY = 'resultUpload';

/**
 * Where a function puts a result larger than `maxInlineBytes` (its JSON): a pre-signed PUT URL for one key per task
 * and attempt. The function then returns the reference (markObjectRef) instead of the value, so neither the callback
 * nor Temporal's history carries the result.
 */
export interface ResultUpload {
  region: string;
  bucket: string;
  key: string;
  putUrl: string;
  maxInlineBytes: number;
  expiresAt?: string;
}
