// The live feed: Server-Sent Events from /api/events through EventSource, which reconnects by itself after the API
// restarts. While the feed is down the dashboard refreshes at most every 5 seconds. When the API has no event
// route (its OpenAPI document lists none) the dashboard only polls, and looks for the route again every minute.
import { withAccessToken } from './api';
import type { PipelineProgress } from '../../pipelines/progress';
import type { BudgetEvent, TaskStats, TransitionEvent } from './types';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'polling';

export interface LiveHandlers {
  onTask(event: TransitionEvent): void;
  onStats(stats: TaskStats): void;
  /** A budget reached 75 %, 90 % or its limit. */
  onBudget(event: BudgetEvent): void;
  /** A pipeline execution's progress: its status and the states that changed. */
  onPipeline(event: PipelineProgress): void;
  onState(state: LiveState): void;
  /** The feed (re)opened or polling is due: refresh what may have been missed. Resolves false when it failed. */
  refresh(): Promise<boolean>;
}

const EVENTS_PATH = '/api/events';
const POLL_MS = 5_000;
const ROUTE_RECHECK_MS = 60_000;

export class LiveFeed {
  private source: EventSource | null = null;
  private state: LiveState = 'connecting';
  private pollTimer: number | undefined;
  private reopenTimer: number | undefined;
  private recheckTimer: number | undefined;
  private failures = 0;
  private polling = false;
  private lastEventId = '';

  constructor(private readonly handlers: LiveHandlers) {}

  get current(): LiveState {
    return this.state;
  }

  async start(): Promise<void> {
    if (await this.hasEventRoute()) this.open();
    else this.startPollingOnly();
  }

  /** Reopens the stream, e.g. after the API key changed. */
  restart(): void {
    this.closeSource();
    window.clearTimeout(this.reopenTimer);
    if (this.polling) return;
    this.open();
  }

  private async hasEventRoute(): Promise<boolean> {
    try {
      const res = await fetch('/docs/json', { cache: 'no-store' });
      if (!res.ok) return true;
      const spec = (await res.json()) as { paths?: Record<string, unknown> };
      return !spec.paths || EVENTS_PATH in spec.paths;
    } catch {
      return true;
    }
  }

  private startPollingOnly(): void {
    this.polling = true;
    this.setState('polling');
    this.schedulePoll();
    window.clearTimeout(this.recheckTimer);
    this.recheckTimer = window.setTimeout(() => {
      void this.hasEventRoute().then((found) => {
        if (found) {
          this.polling = false;
          this.open();
        } else this.startPollingOnly();
      });
    }, ROUTE_RECHECK_MS);
  }

  private open(): void {
    this.closeSource();
    // A new EventSource does not send Last-Event-ID by itself; the API also takes it as a query parameter.
    const path = this.lastEventId ? `${EVENTS_PATH}?lastEventId=${encodeURIComponent(this.lastEventId)}` : EVENTS_PATH;
    const source = new EventSource(withAccessToken(path));
    this.source = source;
    if (this.state !== 'live') this.setState(this.failures ? 'reconnecting' : 'connecting');
    source.onopen = () => {
      this.failures = 0;
      this.setState('live');
      this.stopPoll();
      void this.handlers.refresh();
    };
    source.onerror = () => {
      this.failures++;
      this.setState('reconnecting');
      this.schedulePoll();
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (an HTTP error rather than a dropped connection): try again ourselves.
        this.closeSource();
        window.clearTimeout(this.reopenTimer);
        this.reopenTimer = window.setTimeout(() => this.open(), Math.min(POLL_MS, 500 * 2 ** this.failures));
      }
    };
    source.addEventListener('task', (e) => {
      const message = e as MessageEvent<string>;
      if (/^\d+-\d+$/.test(message.lastEventId)) this.lastEventId = message.lastEventId;
      const event = parse<TransitionEvent>(message.data);
      if (event?.taskId) this.handlers.onTask(event);
    });
    source.addEventListener('pipeline', (e) => {
      const message = e as MessageEvent<string>;
      if (/^\d+-\d+$/.test(message.lastEventId)) this.lastEventId = message.lastEventId;
      const event = parse<PipelineProgress>(message.data);
      if (event?.executionArn) this.handlers.onPipeline(event);
    });
    source.addEventListener('budget', (e) => {
      const event = parse<BudgetEvent>((e as MessageEvent<string>).data);
      if (event?.budgetId) this.handlers.onBudget(event);
    });
    source.addEventListener('stats', (e) => {
      const stats = parse<TaskStats>((e as MessageEvent<string>).data);
      if (stats) this.handlers.onStats(stats);
    });
  }

  private closeSource(): void {
    if (!this.source) return;
    this.source.onopen = null;
    this.source.onerror = null;
    this.source.close();
    this.source = null;
  }

  private schedulePoll(): void {
    if (this.pollTimer !== undefined) return;
    this.pollTimer = window.setTimeout(() => {
      this.pollTimer = undefined;
      if (this.state === 'live') return;
      void this.handlers
        .refresh()
        .then((ok) => {
          if (this.polling) this.setState(ok ? 'polling' : 'reconnecting');
        })
        .finally(() => {
          if (this.state !== 'live') this.schedulePoll();
        });
    }, POLL_MS);
  }

  private stopPoll(): void {
    window.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private setState(state: LiveState): void {
    if (state === this.state) return;
    this.state = state;
    this.handlers.onState(state);
  }
}

function parse<T>(data: string): T | undefined {
  try {
    return JSON.parse(data) as T;
  } catch {
    return undefined;
  }
}
