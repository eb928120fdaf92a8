// Makes Lambda's own asynchronous retries zero for every task function, so that Temporal alone decides when an
// attempt is retried and one attempt is one invocation.
import { PutFunctionEventInvokeConfigCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { listFunctions } from '../domain/function-catalog';

export async function disableLambdaAsyncRetries(
  lambda: LambdaClient,
  log: (message: string) => void = console.warn,
): Promise<void> {
  await Promise.all(
    listFunctions().map(async (fn) => {
      try {
        await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: fn.name, MaximumRetryAttempts: 0 }));
      } catch (err) {
        log(`could not turn off Lambda's async retries for ${fn.name}: ${(err as Error).message}`);
      }
    }),
  );
}
