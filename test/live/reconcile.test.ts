// Reconcile rebuilds the warm-up counts too: a warm-pool run records its totals in visibility, and reconcile folds
// every run through the same rule (warmupEffect) the live path used. It once deleted the counters and wrote back only
// the cost of warming, so warmups and warmupColdStarts read 0 after any reconcile.
import { WARM_POOL_WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE } from '../../domain/constants';
import { TASK_ATTEMPTS_KEY, TASK_COLD_STARTS_KEY, TASK_COST_KEY } from '../../domain/search-attributes';
import { reconcile } from '../../live/reconcile';
import type { WarmPoolResult } from '../../workflows/warm-pool';
import { eventually, startHarness, type TestHarness } from '../support/test-stack';

let harness: TestHarness;

beforeAll(async () => {
  harness = await startHarness();
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

/** Every warm-pool run's totals in visibility, summed as reconcile must count them. */
async function visibleWarmups(): Promise<{ runs: number; warmups: number; warmupColdStarts: number; cost: number }> {
  const total = { runs: 0, warmups: 0, warmupColdStarts: 0, cost: 0 };
  for await (const run of harness.client.workflow.list({ query: `WorkflowType = '${WARM_POOL_WORKFLOW_TYPE}'` })) {
    total.runs++;
    total.warmups += run.typedSearchAttributes.get(TASK_ATTEMPTS_KEY) ?? 0;
    total.warmupColdStarts += run.typedSearchAttributes.get(TASK_COLD_STARTS_KEY) ?? 0;
    total.cost += run.typedSearchAttributes.get(TASK_COST_KEY) ?? 0;
  }
  return total;
}

test('after a reconcile the warm-up counts are those of every warm-pool run in Temporal, not 0', async () => {
  const workflowId = `reconcile-warm-pool-${Date.now()}`;
  const result = await harness.client.workflow.execute<(input: { trigger: 'manual' }) => Promise<WarmPoolResult>>(
    WARM_POOL_WORKFLOW_TYPE,
    { taskQueue: WORKFLOW_TASK_QUEUE, workflowId, args: [{ trigger: 'manual' }], workflowExecutionTimeout: 120_000 },
  );
  const warmed = result.functions.reduce((sum, f) => sum + f.warmed, 0);
  const cold = result.functions.reduce((sum, f) => sum + f.coldStarts, 0);
  // The deployed examples keep environments warm (noop, image-processor, …), so the run warmed something.
  expect(warmed).toBeGreaterThan(0);
  // The live path counted this run under this file's prefix.
  expect(await harness.projection.counts()).toEqual(
    expect.objectContaining({ warmups: warmed, warmupColdStarts: cold }),
  );
  // Visibility is eventually consistent: wait until it lists the run with its totals.
  await eventually(async () => {
    const query = `WorkflowId = '${workflowId}' AND ${TASK_ATTEMPTS_KEY.name} = ${warmed}`;
    for await (const run of harness.client.workflow.list({ query })) return run;
    return undefined;
  });
  const expected = await visibleWarmups();

  const rebuilt = await reconcile({
    client: harness.client,
    namespace: harness.config.temporal.namespace,
    redis: harness.redis,
    prefix: harness.config.redis.prefix,
  });
  expect(rebuilt.warmPoolRuns).toBe(expected.runs);
  const counters = await harness.projection.counts();
  expect({ warmups: counters.warmups, warmupColdStarts: counters.warmupColdStarts }).toEqual({
    warmups: expected.warmups,
    warmupColdStarts: expected.warmupColdStarts,
  });
  expect(counters.warmups).toBeGreaterThanOrEqual(warmed);
  expect(counters['cost:warming']).toBeCloseTo(expected.cost, 12);
}, 180_000);
