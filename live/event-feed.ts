// Fans the Redis stream of task transitions out to every live subscriber of one API process. One blocking reader
// per process, however many dashboards are open; each subscriber first catches up from its last event id.
import type { Redis } from 'ioredis';
import { PIPELINE_EVENT_FIELD } from '../domain/constants';

export interface FeedEvent {
  id: string;
  /**
   * The SSE event name: `task` for a transition, `budget` for a budget's warning (live/budget-book.ts), `pipeline`
   * for a pipeline execution's progress (activities/pipeline-progress.ts).
   */
  kind: 'task' | 'budget' | 'pipeline';
  data: string;
}

const kindOf = (field: string | undefined): FeedEvent['kind'] =>
  field === 'budget' ? 'budget' : field === PIPELINE_EVENT_FIELD ? 'pipeline' : 'task';

type Listener = (event: FeedEvent) => void;

const BLOCK_MS = 5_000;
const CATCH_UP_LIMIT = 500;

export class EventFeed {
  private readonly listeners = new Set<Listener>();
  private running = false;
  private stopped = false;
  private lastId = '$';

  constructor(
    /** A connection of its own: XREAD BLOCK holds it for seconds at a time. */
    private readonly blocking: Redis,
    /** The shared connection, for catch-up reads. */
    private readonly redis: Redis,
    private readonly streamKey: string,
    private readonly log: (m: string) => void = console.warn,
  ) {}

  /** Events after `sinceId` (exclusive), oldest first, for a reconnecting subscriber. */
  async since(sinceId: string): Promise<FeedEvent[]> {
    const entries = await this.redis.xrange(this.streamKey, `(${sinceId}`, '+', 'COUNT', CATCH_UP_LIMIT);
    return entries.map(([id, fields]) => ({ id, kind: kindOf(fields[0]), data: fields[1] ?? '{}' }));
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (!this.running) void this.loop();
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    this.blocking.disconnect();
  }

  private async loop(): Promise<void> {
    this.running = true;
    let failures = 0;
    while (!this.stopped && this.listeners.size > 0) {
      try {
        // From a concrete id, never `$` twice: an event added between one read's timeout and the next would be lost.
        if (this.lastId === '$') {
          const [last] = await this.redis.xrevrange(this.streamKey, '+', '-', 'COUNT', 1);
          this.lastId = last?.[0] ?? '0-0';
        }
        const reply = await this.blocking.xread(
          'COUNT',
          200,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          this.streamKey,
          this.lastId,
        );
        failures = 0;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            this.lastId = id;
            const event = { id, kind: kindOf(fields[0]), data: fields[1] ?? '{}' };
            for (const listener of this.listeners) listener(event);
          }
        }
      } catch (err) {
        if (this.stopped) break;
        failures++;
        if (failures === 1) this.log(`event feed paused, Redis unavailable: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * 2 ** failures)));
      }
    }
    this.running = false;
  }
}
