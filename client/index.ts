// The Spillway client: a typed client of the REST API, generated from its OpenAPI document (schema.ts, through
// openapi-fetch), and a few hand-written calls on top: submit, get, list, cancel, wait for completion and follow
// the live events. Runs wherever fetch does (Node 20+, browsers); the dashboard and the tests use it too.
import createFetchClient, { type Client, type Middleware } from 'openapi-fetch';
import { FINAL_STATUSES } from '../domain/task-model';
import type { TransitionEvent } from '../live/task-projection';
import type { components, operations, paths } from './schema';

type Json<Op extends keyof operations, Status extends number> =
  operations[Op]['responses'] extends Record<Status, { content: { 'application/json': infer T } }> ? T : never;
type Body<Op extends keyof operations> = operations[Op] extends {
  requestBody: { content: { 'application/json': infer T } };
}
  ? T
  : never;

/** The whole state of one task (GET /api/tasks/{id}). */
export type Task = Json<'getTask', 200>;
export type TaskStatus = Task['status'];
export type Attempt = Task['attempts'][number];
export type TaskError = NonNullable<Task['error']>;
export type TaskLinks = Task['links'];
/** What POST /api/tasks answers: the new task (201), or the existing one for a repeated idempotencyKey (200). */
export type CreatedTask = Json<'createTask', 201>;
export type CreateTaskRequest = Body<'createTask'>;
export type BulkResponse = Json<'createTasks', 207>;
export type TaskList = Json<'listTasks', 200>;
export type TaskSummary = TaskList['tasks'][number];
export type ListTasksQuery = NonNullable<operations['listTasks']['parameters']['query']>;
export type TaskStatsResponse = Json<'getTaskStats', 200>;
export type CancelResult = Json<'cancelTask', 202>;
export type WarmPoolResult = Json<'runWarmPool', 200>;
export type FunctionList = Json<'listFunctions', 200>;
export type ErrorBody = components['schemas']['ErrorResponse'];
/** Recurring tasks (Temporal Schedules): the list, and one with its next runs and recent tasks. */
export type ScheduleList = Json<'listSchedules', 200>;
export type ScheduleView = Json<'getSchedule', 200>;
/** Failed tasks not yet redriven, grouped by type and error, and what a redrive answers. */
export type DeadLetters = Json<'listDeadLetters', 200>;
export type RedriveResults = Json<'redriveDeadLetters', 200>;
export type RedrivenTask = Json<'redriveTask', 201>;
export type BatchView = Json<'getBatch', 200>;
/** Operator controls in force (pauses, the placement override) and their audit. */
export type ControlsView = Json<'getControls', 200>;
export type ScopePauseResult = Json<'pauseScope', 200>;
export type TaskPauseResult = Json<'pauseTask', 200>;
/** Each cost budget's spend, committed spend, forecast and limit in its current period. */
export type BudgetList = Json<'listBudgets', 200>;
export type { TransitionEvent };

/** A task's final statuses (COMPLETED, FAILED, CANCELLED, EXPIRED): it changes no more. From the task model itself. */
export { FINAL_STATUSES };

/** An answer of the API that is not a success: its status and stable SPILLWAY_* code. */
export class SpillwayApiError extends Error {
  override readonly name = 'SpillwayApiError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** waitForCompletion ran out of time before the task reached a final status. */
export class SpillwayTimeoutError extends Error {
  override readonly name = 'SpillwayTimeoutError';
  constructor(
    readonly taskId: string,
    readonly lastStatus: TaskStatus | undefined,
    timeoutMs: number,
  ) {
    super(`task ${taskId} did not finish within ${timeoutMs} ms (last status: ${lastStatus ?? 'unknown'})`);
  }
}

export interface SpillwayClientOptions {
  /** Where the API is, e.g. http://localhost:8080. */
  baseUrl: string;
  /** One of the deployment's SPILLWAY_API_KEYS, sent as a bearer token; leave out when it asks for none. */
  apiKey?: string;
  /** A fetch of your own (tests, proxies, retries). Default: the global fetch. */
  fetch?: typeof globalThis.fetch;
}

/** One message of the live feed (GET /api/events). */
export type LiveEvent =
  { event: 'task'; id: string; data: TransitionEvent } | { event: 'stats'; data: TaskStatsResponse };

export interface WaitOptions {
  /** Default 5 minutes. */
  timeoutMs?: number;
  /** How often the task is read. Default 500 ms. */
  intervalMs?: number;
  signal?: AbortSignal;
}

function toError(status: number, body: unknown): SpillwayApiError {
  const e = (body ?? {}) as Partial<ErrorBody>;
  return new SpillwayApiError(status, e.code ?? `HTTP_${status}`, e.message ?? `the API answered ${status}`);
}

/** The data of a typed call of `http`, or its error body as a SpillwayApiError. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw toError(response.status, error);
  return data as T;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** Splits a text/event-stream into its messages (event, id, data), as the EventSource spec reads them. */
export async function* readEventStream(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ event: string; id?: string; data: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let id: string | undefined;
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length) yield { event, id, data: data.join('\n') };
          event = 'message';
          id = undefined;
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

export function createSpillwayClient(options: SpillwayClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
  /** The generated client: every operation of the API, typed by path and method. */
  const http: Client<paths> = createFetchClient<paths>({ baseUrl, fetch: fetchImpl });
  if (options.apiKey) {
    const auth: Middleware = {
      onRequest({ request }) {
        request.headers.set('authorization', `Bearer ${options.apiKey}`);
        return request;
      },
    };
    http.use(auth);
  }

  const get = (id: string): Promise<Task> =>
    unwrap(http.GET('/api/tasks/{id}', { params: { path: { id } } })) as Promise<Task>;

  return {
    http,

    /** Submits one task; a repeated idempotencyKey answers the task it started before. */
    submit: (task: CreateTaskRequest): Promise<CreatedTask> => unwrap(http.POST('/api/tasks', { body: task })),

    /** Submits up to 1,000 tasks; each item succeeds or fails on its own. */
    submitMany: (tasks: CreateTaskRequest[]): Promise<BulkResponse> =>
      unwrap(http.POST('/api/tasks/bulk', { body: { tasks } })),

    get,

    /** A page of tasks, running ones first; pass `nextCursor` back as `cursor` for the next page. */
    list: (query: ListTasksQuery = {}): Promise<TaskList> => unwrap(http.GET('/api/tasks', { params: { query } })),

    /** Asks a running task to stop; SPILLWAY_TASK_NOT_CANCELLABLE (409) when it has already ended. */
    cancel: (id: string): Promise<CancelResult> =>
      unwrap(http.POST('/api/tasks/{id}/cancel', { params: { path: { id } } })),

    stats: (): Promise<TaskStatsResponse> => unwrap(http.GET('/api/tasks/stats')),

    /**
     * A COMPLETED task's result, whether it came back inline or went to the object store for its size
     * (`resultObject`); SPILLWAY_TASK_RESULT_NOT_READY (409) before the task has completed.
     */
    result: <R = unknown>(id: string): Promise<R> =>
      unwrap(http.GET('/api/tasks/{id}/result', { params: { path: { id } } })) as Promise<R>,

    /** Reads the task until it reaches a final status, and returns it then (COMPLETED, FAILED, CANCELLED or EXPIRED). */
    async waitForCompletion(id: string, wait: WaitOptions = {}): Promise<Task> {
      const timeoutMs = wait.timeoutMs ?? 300_000;
      const deadline = Date.now() + timeoutMs;
      let last: Task | undefined;
      for (;;) {
        wait.signal?.throwIfAborted();
        last = await get(id);
        if (FINAL_STATUSES.includes(last.status)) return last;
        const left = deadline - Date.now();
        if (left <= 0) throw new SpillwayTimeoutError(id, last.status, timeoutMs);
        await sleep(Math.min(wait.intervalMs ?? 500, left), wait.signal);
      }
    },

    /**
     * Follows the live feed: every task transition, and a stats snapshot at most once a second, until `signal`
     * aborts or the API closes the stream. `lastEventId` resumes after an event seen before.
     */
    async *events(follow: { signal?: AbortSignal; lastEventId?: string } = {}): AsyncGenerator<LiveEvent> {
      const url = new URL(`${baseUrl}/api/events`);
      if (follow.lastEventId) url.searchParams.set('lastEventId', follow.lastEventId);
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
      const response = await fetchImpl(url, { headers, signal: follow.signal });
      if (!response.ok || !response.body) {
        throw toError(response.status, await response.json().catch(() => undefined));
      }
      try {
        for await (const message of readEventStream(response.body)) {
          if (message.event === 'task' && message.id) {
            yield { event: 'task', id: message.id, data: JSON.parse(message.data) as TransitionEvent };
          } else if (message.event === 'stats') {
            yield { event: 'stats', data: JSON.parse(message.data) as TaskStatsResponse };
          }
        }
      } catch (err) {
        if (follow.signal?.aborted) return;
        throw err;
      }
    },
  };
}

export type SpillwayClient = ReturnType<typeof createSpillwayClient>;
