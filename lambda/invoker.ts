// Runs one invocation end to end for both invocation types: environment, log composition, counters and the REPORT
// output on the service's stdout. The caller holds the concurrency slot.
import type { EnvironmentPool } from './environment-pool';
import type { InvocationOutcome } from './execution-environment';
import type { FunctionState } from './function-registry';
import { composeInvocationLog } from './invocation-log';

/** Lambda's limit on a synchronous response payload. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

export interface CompletedInvocation {
  outcome: InvocationOutcome;
  /** START, the function's output, END and REPORT. */
  log: string;
}

export class Invoker {
  constructor(
    private readonly pool: EnvironmentPool,
    /** Where invocation logs go; the service's stdout unless a test or embedder says otherwise. */
    private readonly writeLog: (text: string) => void,
  ) {}

  async invoke(state: FunctionState, requestId: string, payload: string): Promise<CompletedInvocation> {
    state.stats.invocations++;
    const run = await this.pool.run(state, requestId, payload);
    let outcome = run.outcome;
    if (outcome.kind === 'success' && Buffer.byteLength(outcome.result) > MAX_RESPONSE_BYTES) {
      outcome = {
        kind: 'error',
        unhandled: true,
        error: {
          errorType: 'Function.ResponseSizeTooLarge',
          errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
        },
      };
    }
    const log = composeInvocationLog(run.log, {
      requestId,
      durationMs: run.durationMs,
      memoryMB: state.spec.memoryMB,
      maxMemoryUsedMB: run.maxMemoryUsedMB,
      initDurationMs: run.initDurationMs,
    });
    this.writeLog(log.replace(/^(?=.)/gm, `[${state.spec.name}] `));
    return { outcome, log };
  }
}
