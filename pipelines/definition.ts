// TypeScript shapes of an Amazon States Language definition, as Spillway runs it: the field names are the ASL
// spec's and the AWS Step Functions developer guide's, so a definition written for AWS type-checks unchanged.
// validateDefinition() (validate.ts) is what proves that a JSON document has this shape; these types only describe.

import type { ExecutionMode } from '../domain/task-model';
import type { JsonObject, JsonValue } from './json';

export type QueryLanguage = 'JSONPath' | 'JSONata';
export const QUERY_LANGUAGES: readonly QueryLanguage[] = ['JSONPath', 'JSONata'];

/** A top-level machine, a Parallel branch or a Map's ItemProcessor: a set of states and where to start. */
export interface StateMachineDefinition {
  Comment?: string;
  StartAt: string;
  States: Record<string, State>;
  /** Default for every state that names none; JSONPath if absent. Allowed on branches too (an interpreter view). */
  QueryLanguage?: QueryLanguage;
  Version?: string;
  TimeoutSeconds?: number;
}

export type StateType = 'Task' | 'Pass' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';
export const STATE_TYPES: readonly StateType[] = [
  'Task',
  'Pass',
  'Choice',
  'Wait',
  'Succeed',
  'Fail',
  'Parallel',
  'Map',
];

/** Assign: variable name → value; JSONPath states use `name.$` keys for paths and intrinsics, JSONata `{% %}`. */
export type AssignBlock = JsonObject;

interface CommonFields {
  Comment?: string;
  QueryLanguage?: QueryLanguage;
}

interface TransitionFields {
  Next?: string;
  End?: boolean;
}

/** JSONPath-mode data-flow fields. `null` has its own meaning for each (see data-flow.ts). */
interface JsonPathIo {
  InputPath?: string | null;
  OutputPath?: string | null;
}

export interface Retrier {
  ErrorEquals: string[];
  /** Seconds before the first retry. @default 1 */
  IntervalSeconds?: number;
  /** Retries allowed; 0 means this retrier never retries. @default 3 */
  MaxAttempts?: number;
  /** Multiplier of the interval after each retry, at least 1. @default 2.0 */
  BackoffRate?: number;
  /** Cap on any one delay, in seconds. */
  MaxDelaySeconds?: number;
  /** FULL draws each delay uniformly from [0, computed delay). @default "NONE" */
  JitterStrategy?: 'FULL' | 'NONE';
  Comment?: string;
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  /** JSONPath mode: where the error output goes in the raw input. @default "$" */
  ResultPath?: string | null;
  /** JSONata mode: the state output. @default "{% $states.errorOutput %}" */
  Output?: JsonValue;
  Assign?: AssignBlock;
  Comment?: string;
}

interface ErrorHandling {
  Retry?: Retrier[];
  Catch?: Catcher[];
}

/** Spillway's own extension of a Task state: where its attempts run (see domain/placement-policy.ts). */
export interface SpillwayTaskOptions {
  ExecutionMode?: ExecutionMode;
}

export interface TaskState extends CommonFields, TransitionFields, JsonPathIo, ErrorHandling {
  Type: 'Task';
  Resource: string;
  Parameters?: JsonValue;
  Arguments?: JsonValue;
  ResultSelector?: JsonValue;
  ResultPath?: string | null;
  Output?: JsonValue;
  Assign?: AssignBlock;
  /** Seconds (or a JSONata expression in JSONata mode). AWS's default is 99999999. */
  TimeoutSeconds?: number | string;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number | string;
  HeartbeatSecondsPath?: string;
  Credentials?: JsonValue;
  Spillway?: SpillwayTaskOptions;
}

export interface PassState extends CommonFields, TransitionFields, JsonPathIo {
  Type: 'Pass';
  Parameters?: JsonValue;
  Result?: JsonValue;
  ResultPath?: string | null;
  Output?: JsonValue;
  Assign?: AssignBlock;
}

/** A JSONPath Choice rule: exactly one comparison (with Variable), or And/Or/Not. */
export interface ChoiceRule {
  Variable?: string;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Not?: ChoiceRule;
  /** JSONata mode: an expression that evaluates to a boolean. */
  Condition?: string | boolean;
  /** Only on top-level rules. */
  Next?: string;
  Assign?: AssignBlock;
  Output?: JsonValue;
  Comment?: string;
  StringEquals?: string;
  StringEqualsPath?: string;
  StringLessThan?: string;
  StringLessThanPath?: string;
  StringGreaterThan?: string;
  StringGreaterThanPath?: string;
  StringLessThanEquals?: string;
  StringLessThanEqualsPath?: string;
  StringGreaterThanEquals?: string;
  StringGreaterThanEqualsPath?: string;
  StringMatches?: string;
  NumericEquals?: number;
  NumericEqualsPath?: string;
  NumericLessThan?: number;
  NumericLessThanPath?: string;
  NumericGreaterThan?: number;
  NumericGreaterThanPath?: string;
  NumericLessThanEquals?: number;
  NumericLessThanEqualsPath?: string;
  NumericGreaterThanEquals?: number;
  NumericGreaterThanEqualsPath?: string;
  BooleanEquals?: boolean;
  BooleanEqualsPath?: string;
  TimestampEquals?: string;
  TimestampEqualsPath?: string;
  TimestampLessThan?: string;
  TimestampLessThanPath?: string;
  TimestampGreaterThan?: string;
  TimestampGreaterThanPath?: string;
  TimestampLessThanEquals?: string;
  TimestampLessThanEqualsPath?: string;
  TimestampGreaterThanEquals?: string;
  TimestampGreaterThanEqualsPath?: string;
  IsNull?: boolean;
  IsPresent?: boolean;
  IsNumeric?: boolean;
  IsString?: boolean;
  IsBoolean?: boolean;
  IsTimestamp?: boolean;
}

export interface ChoiceState extends CommonFields, JsonPathIo {
  Type: 'Choice';
  Choices: ChoiceRule[];
  Default?: string;
  Output?: JsonValue;
  Assign?: AssignBlock;
}

export interface WaitState extends CommonFields, TransitionFields, JsonPathIo {
  Type: 'Wait';
  Seconds?: number | string;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  Output?: JsonValue;
  Assign?: AssignBlock;
}

export interface SucceedState extends CommonFields, JsonPathIo {
  Type: 'Succeed';
  Output?: JsonValue;
}

export interface FailState extends CommonFields {
  Type: 'Fail';
  Error?: string;
  ErrorPath?: string;
  Cause?: string;
  CausePath?: string;
}

export interface ParallelState extends CommonFields, TransitionFields, JsonPathIo, ErrorHandling {
  Type: 'Parallel';
  Branches: StateMachineDefinition[];
  Parameters?: JsonValue;
  Arguments?: JsonValue;
  ResultSelector?: JsonValue;
  ResultPath?: string | null;
  Output?: JsonValue;
  Assign?: AssignBlock;
}

export interface ItemProcessor extends StateMachineDefinition {
  ProcessorConfig?: { Mode?: 'INLINE' | 'DISTRIBUTED'; ExecutionType?: 'STANDARD' | 'EXPRESS' };
}

export interface MapState extends CommonFields, TransitionFields, JsonPathIo, ErrorHandling {
  Type: 'Map';
  /** The current name of the sub-machine; `Iterator` is the older one, still accepted. */
  ItemProcessor?: ItemProcessor;
  Iterator?: StateMachineDefinition;
  ItemsPath?: string;
  /** JSONata mode: an array, or an expression that evaluates to one. */
  Items?: JsonValue;
  ItemSelector?: JsonValue;
  /** The older name of ItemSelector. */
  Parameters?: JsonValue;
  ItemReader?: JsonObject;
  ItemBatcher?: JsonObject;
  ResultWriter?: JsonObject;
  Label?: string;
  MaxConcurrency?: number | string;
  MaxConcurrencyPath?: string;
  ToleratedFailurePercentage?: number | string;
  ToleratedFailurePercentagePath?: string;
  ToleratedFailureCount?: number | string;
  ToleratedFailureCountPath?: string;
  ResultSelector?: JsonValue;
  ResultPath?: string | null;
  Output?: JsonValue;
  Assign?: AssignBlock;
}

export type State =
  TaskState | PassState | ChoiceState | WaitState | SucceedState | FailState | ParallelState | MapState;

/** The sub-machine a Map state runs for each item, whichever field name the definition used. */
export function mapItemMachine(state: MapState): ItemProcessor {
  const machine = state.ItemProcessor ?? state.Iterator;
  if (!machine) throw new MapWithoutProcessorError();
  return machine;
}

/** Thrown by mapItemMachine for a Map state with neither ItemProcessor nor Iterator (validation rejects those). */
export class MapWithoutProcessorError extends Error {
  constructor() {
    super('Map state has neither ItemProcessor nor Iterator');
    this.name = 'MapWithoutProcessorError';
  }
}

/** The query language a state evaluates with: its own, else the machine's, else JSONPath. */
export function queryLanguageOf(state: { QueryLanguage?: QueryLanguage }, machine: { QueryLanguage?: QueryLanguage }) {
  return state.QueryLanguage ?? machine.QueryLanguage ?? 'JSONPath';
}
