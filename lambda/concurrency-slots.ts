// Concurrency as AWS counts it: invocations in flight. A function with reserved concurrency is bounded by it; the
// others share what the account limit leaves unreserved. Synchronous calls beyond the limit are throttled, queued
// events wait for the slot that onSlotFreed announces.
import type { ThrottleReason } from './errors';
import type { FunctionRegistry, FunctionState } from './function-registry';

export class ConcurrencySlots {
  constructor(
    private readonly registry: FunctionRegistry,
    /** Called whenever a slot frees up, so queued async events can move. */
    private readonly onSlotFreed: () => void,
  ) {}

  /** Takes a slot for one invocation, or says why it cannot. */
  tryAcquire(state: FunctionState): ThrottleReason | undefined {
    const reserved = state.record.reservedConcurrency;
    if (reserved !== undefined) {
      if (state.inFlight >= reserved) return 'ReservedFunctionConcurrentInvocationLimitExceeded';
    } else {
      let unreservedInFlight = 0;
      for (const f of this.registry.all())
        if (f.record.reservedConcurrency === undefined) unreservedInFlight += f.inFlight;
      if (unreservedInFlight >= this.registry.unreservedConcurrency()) return 'ConcurrentInvocationLimitExceeded';
    }
    state.inFlight++;
    return undefined;
  }

  release(state: FunctionState): void {
    state.inFlight--;
    this.onSlotFreed();
  }
}
