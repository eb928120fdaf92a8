// The worker's local pool runs deployed packages in the very execution environments the local Lambda service uses
// (lambda/runtime-host.ts): warm reuse, one invocation per environment, the same bootstrap and module isolation, so
// a function behaves the same in both placements. Environments are children of the worker and die with it.
import type { LocalRuntime } from '../activities/local-runtime';
import type { SpillwayConfig } from '../domain/config';
import { createRuntimeHost } from '../lambda/runtime-host';
import { unpackZip } from '../lambda/zip-package';

/** Variables of the worker's own environment that every local execution environment gets. */
const INHERITED = ['PATH', 'LANG', 'HOME'];

export function createLocalRuntime(config: SpillwayConfig): LocalRuntime {
  const base: Record<string, string> = { TZ: 'UTC', SPILLWAY_PLACEMENT: 'LOCAL' };
  for (const name of [...INHERITED, ...config.functions.localPassthroughEnv]) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  const host = createRuntimeHost({
    // Every slot busy plus as many idle ones again: enough that a busy pool never hits the cap.
    maxEnvironments: Math.max(8, config.scheduler.localWorkerPoolSize * 2),
    idleReclaimMs: config.functions.localIdleReclaimMs,
    region: config.lambda.region,
    baseEnvironment: base,
  });
  return {
    async invoke(fn, taskRoot, invocation) {
      const run = await host.invoke(
        {
          functionName: fn.name,
          version: fn.version,
          functionArn: fn.arn,
          codeSha256: fn.codeSha256,
          taskRoot,
          handler: fn.handler,
          runtime: fn.runtime,
          memoryMB: fn.memoryMB,
          // The function's own setting keys its environments; the attempt's deadline goes with the invocation.
          timeoutSeconds: fn.timeoutSeconds,
          environment: fn.environment,
          architecture: fn.architecture,
        },
        {
          requestId: invocation.requestId,
          payload: invocation.event,
          signal: invocation.signal,
          // A LOCAL attempt is bounded by the task's own timeout, not by the function's (nor Lambda's 15 minutes).
          timeoutMs: invocation.timeoutMs,
        },
      );
      return {
        outcome: run.outcome,
        durationMs: run.durationMs,
        initDurationMs: run.initDurationMs,
        maxMemoryUsedMB: run.maxMemoryUsedMB,
        cpuTimeMs: run.cpuTimeMs,
      };
    },
    close: () => host.close(),
  };
}

/** Unpacks a downloaded package with the Lambda service's own checks (no entry escapes its folder). */
export async function unpackPackage(zip: Buffer, destination: string): Promise<void> {
  await unpackZip(zip, destination);
}
