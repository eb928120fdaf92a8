// Runs one invocation end to end for both invocation types: the package's task root, the runtime host, the
// response size limit, counters and the log on the service's output. The caller holds the concurrency slot.
import type { CodeStore } from './code-store';
import type { FunctionRegistry, InvokeTarget } from './function-registry';
import type { InvocationOutcome, RuntimeHost } from './runtime-host';

/** Lambda's limit on a synchronous response payload. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

export interface CompletedInvocation {
  outcome: InvocationOutcome;
  /** START, the function's output, END and REPORT. */
  log: string;
  executedVersion: string;
}

export class Invoker {
  constructor(
    private readonly host: RuntimeHost,
    private readonly code: CodeStore,
    private readonly registry: FunctionRegistry,
    /** Where invocation logs go; the service's stdout unless a test or embedder says otherwise. */
    private readonly writeLog: (text: string) => void,
  ) {}

  async invoke(target: InvokeTarget, requestId: string, payload: string): Promise<CompletedInvocation> {
    const { state, runnable, executedVersion } = target;
    const name = state.record.name;
    state.stats.invocations++;
    const taskRoot = await this.code.ensureUnpacked(runnable.codeSha256);
    const run = await this.host.invoke(
      {
        functionName: name,
        version: executedVersion,
        functionArn: this.registry.arn(name),
        codeSha256: runnable.codeSha256,
        taskRoot,
        handler: runnable.settings.handler,
        runtime: runnable.settings.runtime,
        memoryMB: runnable.settings.memorySize,
        timeoutSeconds: runnable.settings.timeout,
        environment: runnable.settings.environment,
        architecture: runnable.settings.architecture,
      },
      { requestId, payload },
    );
    if (run.coldStart) state.stats.coldStarts++;
    else state.stats.warmStarts++;
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
    this.writeLog(run.log.replace(/^(?=.)/gm, `[${name}] `));
    return { outcome, log: run.log, executedVersion };
  }
}
