// Makes Lambda's own asynchronous retries zero for every function Spillway invokes asynchronously, so that Temporal
// alone decides when an attempt is retried and one attempt is one invocation. Done once per function and deployment
// (a recreated function starts with Lambda's default of two retries again), right before its first Event invoke.
import { PutFunctionEventInvokeConfigCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { DeployedFunction } from '../domain/deployed-function';

export interface AsyncRetryGuard {
  ensureOff(fn: DeployedFunction): Promise<void>;
}

export function createAsyncRetryGuard(
  lambda: LambdaClient,
  log: (message: string) => void = console.warn,
): AsyncRetryGuard {
  const done = new Map<string, Promise<void>>();
  return {
    ensureOff(fn) {
      const key = `${fn.arn}|${fn.lastModified}`;
      let pending = done.get(key);
      if (!pending) {
        pending = lambda
          .send(new PutFunctionEventInvokeConfigCommand({ FunctionName: fn.name, MaximumRetryAttempts: 0 }))
          .then(
            () => undefined,
            (err: Error) => {
              // Not fatal: the wrapper ends a failed invocation normally, which Lambda never retries.
              log(`could not turn off Lambda's async retries for ${fn.name}: ${err.message}`);
              done.delete(key);
            },
          );
        done.set(key, pending);
      }
      return pending;
    },
  };
}
