// Sends the invocation record of a finished asynchronous event to the destination its event invoke config names:
// a Lambda function gets it as an asynchronous invocation of its own (through the same queue, with its own retries),
// anything else is recorded as undeliverable, with the reason, in the status document.
import { randomUUID } from 'node:crypto';
import type { DestinationCondition } from './destinations';
import { destinationFor, invocationRecord, lambdaDestination } from './destinations';
import type { EventQueue, QueuedEvent, SettledEvent } from './event-queue';
import type { FunctionRegistry, FunctionState } from './function-registry';
import { LATEST } from './qualifiers';

export class DestinationDelivery {
  constructor(
    private readonly registry: FunctionRegistry,
    private readonly queue: EventQueue,
    private readonly now: () => number,
    private readonly log: (text: string) => void,
  ) {}

  send(state: FunctionState, event: QueuedEvent, settled: SettledEvent): void {
    const qualifier = event.qualifier ?? LATEST;
    const config = this.registry.eventInvokeConfig(state, qualifier)?.DestinationConfig;
    const destination = destinationFor(config, settled.condition);
    if (!destination) return;
    const record = invocationRecord({
      requestId: event.requestId,
      functionArn: this.registry.arn(state.record.name, qualifier),
      condition: settled.condition,
      approximateInvokeCount: settled.attempts,
      payload: event.payload,
      last: settled.last,
      at: new Date(this.now()),
    });
    const failure = this.deliver(destination, record);
    if (failure) this.undeliverable(state, event, settled.condition, destination, failure);
    else state.stats.destinations.delivered++;
  }

  /** Queues the record for the destination function; says why it cannot, if it cannot. */
  private deliver(destination: string, record: Record<string, unknown>): string | undefined {
    const target = lambdaDestination(destination);
    if (!target) return 'only Lambda function destinations can be delivered by the local Lambda service';
    const destState = this.registry.find(target.name);
    if (!destState) return `the destination function ${destination} does not exist`;
    try {
      const resolved = this.registry.resolve(target.name, target.qualifier ?? null);
      this.queue.enqueue(destState, resolved.qualifier, randomUUID(), JSON.stringify(record));
    } catch (err) {
      return (err as Error).message;
    }
    return undefined;
  }

  private undeliverable(
    state: FunctionState,
    event: QueuedEvent,
    condition: DestinationCondition,
    destination: string,
    reason: string,
  ): void {
    this.registry.recordUndeliverable(state, {
      requestId: event.requestId,
      condition,
      destination,
      reason,
      at: new Date(this.now()).toISOString(),
    });
    this.log(`[${state.record.name}] the ${condition} record of ${event.requestId} was not delivered: ${reason}\n`);
  }
}
