// What the local pool needs from an execution-environment host: run one invocation of a deployed function version
// in a warm or new environment, the way the local Lambda service runs it, and say what it cost. The worker wires the
// Lambda service's own environment pool in here, so LOCAL and LAMBDA run the same package the same way.
import type { DeployedFunction } from '../domain/deployed-function';

export interface LocalInvocation {
  requestId: string;
  /** The event as JSON text. */
  event: string;
  /** The attempt's own deadline: a LOCAL attempt may run longer than the function's Lambda timeout. */
  timeoutMs: number;
  /** Aborted on cancellation: the environment is killed. */
  signal: AbortSignal;
}

export type LocalOutcome =
  | { kind: 'success'; result: string }
  | { kind: 'error'; unhandled: boolean; error: { errorType: string; errorMessage: string; trace?: string[] } };

export interface LocalRun {
  outcome: LocalOutcome;
  durationMs: number;
  /** On a cold start: the time until the handler was loaded. */
  initDurationMs?: number;
  maxMemoryUsedMB: number;
  /** CPU the environment used for this invocation, when the host can tell. */
  cpuTimeMs?: number;
}

export interface LocalRuntime {
  invoke(fn: DeployedFunction, taskRoot: string, invocation: LocalInvocation): Promise<LocalRun>;
  close(): Promise<void>;
}
