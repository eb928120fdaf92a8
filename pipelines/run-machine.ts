// A loop that runs a whole machine on the stepping core, with every effect injected: how to run a task, how to
// sleep, what time it is, the random and UUID sources. The interpreter workflow passes Temporal's activities,
// sleep() and uuid4(); tests pass fakes. Parallel branches and Map items run as nested loops over the same core.

import type { StateMachineDefinition } from './definition';
import type { RandomSource } from './errors';
import { STATES_ERRORS } from './errors';
import type { Variables } from './data-flow';
import type {
  BranchOutcome,
  BranchRun,
  Completion,
  ExecutionInfo,
  MapAction,
  StateMachineInfo,
  StepEnv,
  TaskAction,
  TaskOutcome,
} from './interpreter';
import { completeMap, completeParallel, completeTask, enterState, foldBranches, foldMapItems } from './interpreter';
import type { JsonValue } from './json';
import type { RunState } from './run-state';
import { advanceRun, runEnv, startRun } from './run-state';

export interface MachineEffects {
  readonly execution: ExecutionInfo;
  readonly stateMachine: StateMachineInfo;
  /** The clock, in epoch ms (Date.now() is deterministic inside a workflow). */
  now(): number;
  readonly random: RandomSource;
  uuid(): string;
  runTask(action: TaskAction, env: StepEnv): Promise<TaskOutcome>;
  sleep(ms: number): Promise<void>;
  /** The $$.Task.Token for a state entry, if the caller issues tokens. */
  taskToken?(run: RunState): string | undefined;
  /** Called after every step with the run as it now stands (history, queries, search attributes). */
  onStep?(run: RunState, completion: Completion): void;
  /** A guard against definitions that loop forever. @default 25000 (Step Functions' event history cap) */
  readonly maxTransitions?: number;
}

/** Runs a machine (or a branch) to its end and returns the finished RunState. */
export async function runMachine(
  machine: StateMachineDefinition,
  input: JsonValue,
  effects: MachineEffects,
  variables: Variables = {},
): Promise<RunState> {
  const maxTransitions = effects.maxTransitions ?? 25_000;
  let run = startRun(machine, input, effects.now(), variables);
  while (run.status === 'running') {
    if (run.transitions >= maxTransitions) {
      const completion: Completion = {
        kind: 'fail',
        error: STATES_ERRORS.Runtime,
        cause: `The run exceeded ${maxTransitions} state transitions`,
      };
      run = advanceRun(run, completion, effects.now());
      effects.onStep?.(run, completion);
      break;
    }
    const completion = await step(machine, run, effects);
    if (completion.kind === 'retry') await effects.sleep(completion.delayMs);
    run = advanceRun(run, completion, effects.now());
    effects.onStep?.(run, completion);
  }
  return run;
}

function envFor(run: RunState, effects: MachineEffects): StepEnv {
  const taskToken = effects.taskToken?.(run);
  return runEnv(run, {
    execution: effects.execution,
    stateMachine: effects.stateMachine,
    nowMs: effects.now(),
    random: effects.random,
    uuid: () => effects.uuid(),
    ...(taskToken !== undefined ? { taskToken } : {}),
  });
}

async function step(machine: StateMachineDefinition, run: RunState, effects: MachineEffects): Promise<Completion> {
  const env = envFor(run, effects);
  const action = await enterState(machine, run.stateName, run.input, env, run.retryCounters);
  switch (action.kind) {
    case 'task': {
      const outcome = await effects.runTask(action, env);
      return completeTask(machine, run.stateName, run.input, outcome, run.retryCounters, envFor(run, effects));
    }
    case 'wait': {
      const ms = action.seconds !== undefined ? action.seconds * 1000 : Math.max(0, action.untilMs! - effects.now());
      await effects.sleep(ms);
      return action.then;
    }
    case 'parallel': {
      const outcomes = await Promise.all(action.branches.map((b) => runBranch(b, effects)));
      return completeParallel(
        machine,
        run.stateName,
        run.input,
        foldBranches(outcomes),
        run.retryCounters,
        envFor(run, effects),
      );
    }
    case 'map': {
      const outcomes = await runItems(action, effects);
      return completeMap(
        machine,
        run.stateName,
        run.input,
        foldMapItems(action, outcomes),
        run.retryCounters,
        envFor(run, effects),
      );
    }
    default:
      return action;
  }
}

async function runBranch(branch: BranchRun, effects: MachineEffects): Promise<BranchOutcome> {
  const done = await runMachine(branch.machine, branch.input, effects, branch.variables);
  return done.status === 'succeeded'
    ? { status: 'succeeded', output: done.output ?? null }
    : { status: 'failed', error: done.error ?? '', cause: done.cause ?? '' };
}

/** Runs the items with at most maxConcurrency in flight (0: all at once); outcomes come back in item order. */
async function runItems(action: MapAction, effects: MachineEffects): Promise<BranchOutcome[]> {
  const outcomes: BranchOutcome[] = new Array<BranchOutcome>(action.items.length);
  const limit = action.maxConcurrency > 0 ? action.maxConcurrency : action.items.length;
  let next = 0;
  const worker = async () => {
    while (next < action.items.length) {
      const i = next++;
      outcomes[i] = await runBranch(action.items[i]!, effects);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, action.items.length) }, worker));
  return outcomes;
}
