// The unit of overhead in benchmarks: anything imported here shows up in every cold start measured, so it
// imports nothing but the wrapper.
import { wrapHandler } from '../../../sdk/wrap-handler';

export interface NoopResult {
  ok: true;
  taskId: string;
  attempt: number;
}

export const handler = wrapHandler<unknown, NoopResult>(async (event) => ({
  ok: true,
  taskId: event.taskId,
  attempt: event.attempt,
}));
