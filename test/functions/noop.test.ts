import { handler } from '../../examples/functions/noop';
import { taskEvent, testContext } from './context';

describe('noop', () => {
  it('returns ok with the task id and attempt', async () => {
    const { context } = testContext('noop');
    const event = taskEvent('noop', {}, 3);
    await expect(handler(event, context)).resolves.toEqual({ ok: true, taskId: event.taskId, attempt: 3 });
  });

  it('answers a warm-up event without running the task', async () => {
    const { context } = testContext('noop');
    const result = (await handler({ spillway: { warmup: true } }, context)) as Record<string, unknown>;
    expect(result.warmed).toBe(true);
    expect(typeof result.coldStart).toBe('boolean');
    expect(result).not.toHaveProperty('ok');
  });
});
