// The queue behind `InvocationType: Event`. Per function it dispatches in arrival order whenever a concurrency slot
// is free, retries function errors with exponential back-off up to the function's MaximumRetryAttempts, and drops
// events that run out of retries or outlive MaximumEventAgeInSeconds, recording why. Every event's end (success,
// retries exhausted, too old) is reported once, for its destinations.
import type { ConcurrencySlots } from './concurrency-slots';
import type { DestinationCondition } from './destinations';
import type { FunctionRegistry, FunctionState, DroppedEvent } from './function-registry';
import type { CompletedInvocation } from './invoker';
import type { JournalEvent, QueueJournal } from './queue-journal';

export interface QueuedEvent extends JournalEvent {
  /** Earliest time (service clock) of the next attempt; later than now while backing off. */
  notBefore: number;
  inFlight: boolean;
  /** The last attempt's outcome (since the service started), for the invocation record. */
  last?: CompletedInvocation;
}

export interface SettledEvent {
  condition: DestinationCondition;
  /** Attempts made: the record's approximateInvokeCount. */
  attempts: number;
  last?: CompletedInvocation;
}

export interface EventQueueOptions {
  retryBaseMs: number;
  now: () => number;
  journal?: QueueJournal;
  /** Runs one delivery with a slot already held; resolves to what ran (undefined: it could not run at all). */
  deliver: (state: FunctionState, event: QueuedEvent) => Promise<CompletedInvocation | undefined>;
  onDrop: (state: FunctionState, dropped: DroppedEvent) => void;
  /** The event is done with: it succeeded, or it was dropped. */
  onSettled?: (state: FunctionState, event: QueuedEvent, settled: SettledEvent) => void;
}

/** Checks ages even when nothing else happens, e.g. while a function is throttled to zero. */
const SWEEP_INTERVAL_MS = 1000;

export class EventQueue {
  private readonly queues = new Map<string, QueuedEvent[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private sweep: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly registry: FunctionRegistry,
    private readonly slots: ConcurrencySlots,
    private readonly options: EventQueueOptions,
  ) {}

  /** Begins delivering: what is queued now, and whatever becomes due or too old later. */
  start(): void {
    this.sweep ??= setInterval(() => this.pump(), SWEEP_INTERVAL_MS);
    this.sweep.unref();
    this.pump();
  }

  /** Re-queues what the journal held at the last stop; events of functions no longer served are skipped. */
  restore(): number {
    const events = this.options.journal?.load() ?? [];
    let restored = 0;
    for (const e of events) {
      if (!this.registry.find(e.functionName)) continue;
      this.queueFor(e.functionName).push({ ...e, notBefore: 0, inFlight: false });
      restored++;
    }
    this.persist();
    return restored;
  }

  enqueue(state: FunctionState, qualifier: string, requestId: string, payload: string): void {
    const now = this.options.now();
    this.queueFor(state.record.name).push({
      requestId,
      functionName: state.record.name,
      qualifier,
      payload,
      enqueuedAt: now,
      retries: 0,
      notBefore: now,
      inFlight: false,
    });
    // Written before the 202 goes out, so an accepted event survives a stop.
    this.persist();
    this.pump();
  }

  /** Events waiting for delivery (in flight ones excluded). */
  waiting(name: string): number {
    return this.queues.get(name)?.filter((e) => !e.inFlight).length ?? 0;
  }

  /** Drops every event of a deleted function, in flight ones included (their outcome is then ignored). */
  forget(name: string): void {
    this.queues.delete(name);
    this.persist();
  }

  pump(): void {
    if (this.stopped || !this.sweep) return;
    for (const state of this.registry.all()) this.pumpFunction(state);
  }

  /** Stops dispatching; events in flight stay journalled and are delivered again after a restart. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.sweep);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private pumpFunction(state: FunctionState): void {
    const queue = this.queues.get(state.record.name);
    if (!queue || queue.length === 0) return;
    const now = this.options.now();
    let changed = false;
    for (const event of [...queue]) {
      if (event.inFlight) continue;
      if (now - event.enqueuedAt > this.registry.maxEventAgeMs(state, event.qualifier)) {
        this.drop(state, event, 'MaximumEventAgeExceeded');
        this.options.onSettled?.(state, event, {
          condition: 'EventAgeExceeded',
          attempts: event.retries,
          last: event.last,
        });
        changed = true;
        continue;
      }
      if (event.notBefore > now) continue;
      if (this.slots.tryAcquire(state) !== undefined) break;
      event.inFlight = true;
      void this.dispatch(state, event);
    }
    if (changed) this.persist();
  }

  private async dispatch(state: FunctionState, event: QueuedEvent): Promise<void> {
    let completed: CompletedInvocation | undefined;
    try {
      completed = await this.options.deliver(state, event);
    } catch {
      completed = undefined;
    } finally {
      // Released only after the outcome is booked, so the pump this triggers sees the event's new state.
      this.settle(state, event, completed);
      this.slots.release(state);
    }
  }

  private settle(state: FunctionState, event: QueuedEvent, completed: CompletedInvocation | undefined): void {
    if (this.stopped) return;
    event.inFlight = false;
    if (completed) event.last = completed;
    // A function deleted meanwhile took its queue with it.
    if (!this.queues.get(event.functionName)?.includes(event)) return;
    if (completed?.outcome.kind === 'success') {
      this.remove(event);
      this.options.onSettled?.(state, event, { condition: 'Success', attempts: event.retries + 1, last: completed });
    } else if (event.retries >= this.registry.maxRetryAttempts(state, event.qualifier)) {
      this.drop(state, event, 'RetriesExhausted');
      this.options.onSettled?.(state, event, {
        condition: 'RetriesExhausted',
        attempts: event.retries + 1,
        last: event.last,
      });
    } else {
      // AWS waits about a minute, then two; scaled by retryBaseMs (1 s, 2 s by default).
      const delay = this.options.retryBaseMs * 2 ** event.retries;
      event.retries++;
      event.notBefore = this.options.now() + delay;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.pump();
      }, delay);
      this.timers.add(timer);
    }
    this.persist();
  }

  private drop(state: FunctionState, event: QueuedEvent, reason: DroppedEvent['reason']): void {
    this.remove(event);
    this.options.onDrop(state, { requestId: event.requestId, reason, at: new Date(this.options.now()).toISOString() });
  }

  private remove(event: QueuedEvent): void {
    const queue = this.queues.get(event.functionName);
    const i = queue?.indexOf(event) ?? -1;
    if (queue && i >= 0) queue.splice(i, 1);
  }

  private queueFor(name: string): QueuedEvent[] {
    let queue = this.queues.get(name);
    if (!queue) this.queues.set(name, (queue = []));
    return queue;
  }

  private persist(): void {
    const journal = this.options.journal;
    if (!journal) return;
    const events: JournalEvent[] = [];
    for (const queue of this.queues.values()) {
      for (const { requestId, functionName, qualifier, payload, enqueuedAt, retries } of queue) {
        events.push({ requestId, functionName, qualifier, payload, enqueuedAt, retries });
      }
    }
    journal.save(events);
  }
}
