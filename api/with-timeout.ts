// Bounds a call whose own client has no deadline (a Redis ping, a workflow query), so a slow dependency costs a
// request seconds, not forever.
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref()),
  ]);
}
