// Which AUTO tasks the API places at submission (domain/task-model.ts placedAtSubmission), and what they start with
// in visibility (domain/search-attributes.ts): a placed one is RUNNING where it was placed, like a requested mode.
import {
  EXECUTION_MODE_KEY,
  PLACEMENT_KEY,
  TASK_STATUS_KEY,
  taskSearchAttributes,
} from '../../../domain/search-attributes';
import { placedAtSubmission, startsRunning, TASK_WORKFLOW_REVISION, type TaskInput } from '../../../domain/task-model';

const task = (over: Partial<TaskInput> = {}): TaskInput => ({
  version: 1,
  id: 'task-1',
  name: 'n',
  type: 'flaky',
  executionMode: 'AUTO',
  functionName: 'flaky',
  payload: {},
  retry: { maximumAttempts: 3, initialIntervalMs: 1000, backoffCoefficient: 2, maximumIntervalMs: 60_000 },
  timeoutSeconds: 60,
  submittedAt: '2026-12-07T00:00:00.000Z',
  workflowRevision: TASK_WORKFLOW_REVISION,
  ...over,
});

describe('placedAtSubmission', () => {
  test.each<[string, Partial<TaskInput>, boolean]>([
    ['an AUTO task with nothing to wait for', {}, true],
    ['a LOCAL task (nothing to decide)', { executionMode: 'LOCAL' }, false],
    ['a LAMBDA task', { executionMode: 'LAMBDA' }, false],
    ['a start time', { startAt: '2026-12-08T00:00:00.000Z' }, false],
    ['a debounce window', { debounce: { key: 'k', periodSeconds: 5, mode: 'trailing' } }, false],
    [
      'a pause at submission',
      { startPaused: { by: 'ops', at: '2026-12-07T00:00:00.000Z', reason: 'r', scope: 'type' } },
      false,
    ],
    ['a concurrency slot', { concurrency: { key: 'k', limit: 1 } }, false],
    ['a rate limit', { rateLimit: { key: 'k', limit: 1, periodMs: 1000 } }, false],
    ['a schedule`s template', { scheduleId: 'nightly' }, false],
    ['an operator`s override', { placementOverride: { placement: 'LOCAL', reason: 'drain' } }, false],
    ['a task from before revision 4', { workflowRevision: 3 }, false],
  ])('%s', (_name, over, expected) => {
    expect(placedAtSubmission(task(over as Partial<TaskInput>))).toBe(expected);
  });
});

describe('what a task starts with in visibility', () => {
  const attributes = (t: TaskInput) =>
    Object.fromEntries(taskSearchAttributes(t).map((p) => [p.key.name, p.value as unknown]));

  test('an AUTO task not yet placed is QUEUED as AUTO, with no placement', () => {
    expect(startsRunning(task())).toBe(false);
    const sa = attributes(task());
    expect([sa[EXECUTION_MODE_KEY.name], sa[TASK_STATUS_KEY.name], sa[PLACEMENT_KEY.name]]).toEqual([
      'AUTO',
      'QUEUED',
      undefined,
    ]);
  });

  test('an AUTO task placed at submission is RUNNING where it was placed, and says why', () => {
    const placed = task({ decidedPlacement: { placement: 'LAMBDA', reason: 'predictive AUTO: LAMBDA wins' } });
    expect(startsRunning(placed)).toBe(true);
    const sa = attributes(placed);
    expect([sa[EXECUTION_MODE_KEY.name], sa[TASK_STATUS_KEY.name], sa[PLACEMENT_KEY.name]]).toEqual([
      'LAMBDA',
      'RUNNING',
      'predictive AUTO: LAMBDA wins',
    ]);
  });

  test('an operator`s override still names the placement', () => {
    const sa = attributes(task({ placementOverride: { placement: 'LOCAL', reason: 'Lambda drained by ops' } }));
    expect([sa[EXECUTION_MODE_KEY.name], sa[PLACEMENT_KEY.name]]).toEqual(['LOCAL', 'Lambda drained by ops']);
  });
});
