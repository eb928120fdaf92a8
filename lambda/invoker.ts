// Runs one invocation end to end for every invocation type: the package's task root, the runtime host, counters and
// the log on the service's output. The caller holds the concurrency slot. The response size limits are the Runtime
// API's (runtime-api-server.ts), as on AWS, where the runtime is told 413 and the caller gets
// Function.ResponseSizeTooLarge.
import type { CodeStore } from './code-store';
import type { FunctionRegistry, InvokeTarget } from './function-registry';
import { LATEST } from './qualifiers';
import type { InvocationOutcome, RuntimeHost } from './runtime-host';

export { MAX_RESPONSE_BYTES } from './runtime-api-limits';

export interface CompletedInvocation {
  outcome: InvocationOutcome;
  /** START, the function's output, END and REPORT. */
  log: string;
  executedVersion: string;
}

export interface InvokeExtras {
  /** The client context as JSON text (X-Amz-Client-Context, decoded). */
  clientContext?: string;
  /** X-Amzn-Trace-Id of the request, when the caller traces. */
  traceId?: string;
  /** A streamed response goes here chunk by chunk (InvokeWithResponseStream). */
  onChunk?: (chunk: Buffer) => void;
  onResponseStart?: (info: { contentType: string | undefined; streaming: boolean }) => void;
}

export class Invoker {
  constructor(
    private readonly host: RuntimeHost,
    private readonly code: CodeStore,
    private readonly registry: FunctionRegistry,
    /** Where invocation logs go; the service's stdout unless a test or embedder says otherwise. */
    private readonly writeLog: (text: string) => void,
  ) {}

  async invoke(
    target: InvokeTarget,
    requestId: string,
    payload: string,
    extras: InvokeExtras = {},
  ): Promise<CompletedInvocation> {
    const { state, runnable, executedVersion, qualifier } = target;
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
      {
        requestId,
        payload,
        // The ARN as the caller named it: qualified by the alias or version it invoked.
        invokedFunctionArn: this.registry.arn(name, qualifier === LATEST ? undefined : qualifier),
        clientContext: extras.clientContext,
        traceId: extras.traceId,
        onChunk: extras.onChunk,
        onResponseStart: extras.onResponseStart,
      },
    );
    if (run.coldStart) state.stats.coldStarts++;
    else state.stats.warmStarts++;
    this.writeLog(run.log.replace(/^(?=.)/gm, `[${name}] `));
    return { outcome: run.outcome, log: run.log, executedVersion };
  }
}
