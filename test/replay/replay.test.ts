// Rolling upgrades cannot break running tasks: every history recorded under test/replay/histories/ (by
// `npm run replay:record`, from the code of its day) replays against the current workflow bundle without a
// nondeterminism error. A workflow change that would make a running task fail when a new build picks it up fails
// here first. To change workflow code in a way that is not replay-safe, guard it with `patched()` and record the
// new behaviour as an additional history; keep the old files.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import * as workflows from '../../workflows';
import { WORKFLOW_BUNDLE_PATH } from '../../worker/bundle-workflows';
import { historyFromFile } from './history-file';

const HISTORIES = path.join(__dirname, 'histories');
const ROOT = path.resolve(__dirname, '..', '..');
/** The bundle `npm run build` makes, which the worker runs; from sources when there is none. */
const BUNDLE = path.join(ROOT, 'dist', path.basename(WORKFLOW_BUNDLE_PATH));

interface IndexEntry {
  file: string;
  workflowType: string;
  workflowId: string;
  description: string;
}

const index = JSON.parse(readFileSync(path.join(HISTORIES, 'index.json'), 'utf8')) as { histories: IndexEntry[] };
const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json') && f !== 'index.json');

const load = (file: string) => historyFromFile(readFileSync(path.join(HISTORIES, file), 'utf8'));

function workflowTypeOf(history: ReturnType<typeof load>): string | undefined {
  return history.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? undefined;
}

/**
 * Replays every file under the workflow id it was recorded with (index.json): a workflow may derive commands from
 * its own id (runPipeline names its task and Map batch children after it), so any other id is a false mismatch.
 */
async function replayAll(options: ReplayWorkerOptions) {
  const results = new Map<string, string | undefined>();
  const recordedId = new Map(index.histories.map((h) => [h.file, h.workflowId]));
  const fileOf = new Map<string, string>();
  const histories = files.map((file) => {
    const workflowId = recordedId.get(file) ?? file.replace(/\.json$/, '');
    fileOf.set(workflowId, file);
    return { workflowId, history: load(file) };
  });
  for await (const result of Worker.runReplayHistories(options, histories)) {
    results.set(
      fileOf.get(result.workflowId) ?? `${result.workflowId}.json`,
      result.error ? `${result.error.name}: ${result.error.message}` : undefined,
    );
  }
  return results;
}

beforeAll(() => {
  try {
    // The nondeterminism this file provokes on purpose is logged by the SDK's core as warnings: keep only errors.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // Installed by another test file of this process.
  }
});

const current: ReplayWorkerOptions = existsSync(BUNDLE)
  ? { workflowBundle: { codePath: BUNDLE } }
  : { workflowsPath: require.resolve('../../workflows') };

describe('recorded histories replay against the current workflow code', () => {
  let results: Map<string, string | undefined>;
  beforeAll(async () => {
    results = await replayAll(current);
  }, 120_000);

  test.each(files)('%s', (file) => {
    expect({ file, error: results.get(file) }).toEqual({ file, error: undefined });
  });
});

test('every history is listed in index.json, and every listed one exists', () => {
  expect(index.histories.map((h) => h.file).sort()).toEqual([...files].sort());
  for (const entry of index.histories)
    expect([entry.file, workflowTypeOf(load(entry.file))]).toEqual([entry.file, entry.workflowType]);
});

test('every workflow type the worker registers has recorded histories', () => {
  // A new workflow (the pipeline interpreter) needs scenarios in record-histories.ts and `npm run replay:record`.
  const exported = Object.entries(workflows)
    .filter(([, value]) => typeof value === 'function')
    .map(([name]) => name)
    .sort();
  const recorded = [...new Set(files.map((f) => workflowTypeOf(load(f))))].sort();
  expect(recorded).toEqual(exported);
});

test('a change that is not replay-safe is caught: a new timer at the start of runTask', async () => {
  const results = await replayAll({ workflowsPath: require.resolve('./fixtures/not-replay-safe-workflows') });
  const runTaskFiles = files.filter((f) => workflowTypeOf(load(f)) === 'runTask');
  expect(runTaskFiles.length).toBeGreaterThan(0);
  for (const file of runTaskFiles) {
    expect([file, results.get(file)]).toEqual([file, expect.stringMatching(/^DeterminismViolationError: /)]);
  }
  // warmPool is unchanged in the fixture, so it still replays.
  for (const file of files.filter((f) => workflowTypeOf(load(f)) === 'warmPool')) {
    expect([file, results.get(file)]).toEqual([file, undefined]);
  }
}, 120_000);
