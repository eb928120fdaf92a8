// Step Functions names and ARNs as AWS builds them, and the Temporal ids Spillway derives from them. Pure, shared
// by the API (which parses what clients send) and the workflows (which put ARNs into the context object).
//
//   arn:aws:states:<region>:<account>:stateMachine:<name>
//   arn:aws:states:<region>:<account>:execution:<machine>:<name>
//   arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<execution>.<n>

import { TASK_ID_PATTERN } from '../domain/task-id';
import { hashHex } from './encoding';

export interface ArnScope {
  region: string;
  account: string;
}

/**
 * AWS's rule for state machine, execution and Map Run names: 1–80 characters, none of these. Spillway also refuses
 * the single quote, which AWS allows: names go into Temporal visibility queries as quoted literals.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what the rule forbids
const FORBIDDEN_NAME_CHARS = /[\s<>{}[\]?*"'#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;
export const MAX_NAME_LENGTH = 80;

/** Why a name is not a valid state machine or execution name, or undefined when it is. */
export function nameProblem(name: unknown, what = 'name'): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return `${what} must be a non-empty string`;
  if (name.length > MAX_NAME_LENGTH) return `${what} must be at most ${MAX_NAME_LENGTH} characters`;
  if (FORBIDDEN_NAME_CHARS.test(name)) {
    return `${what} "${name}" contains a character Step Functions does not allow (whitespace, brackets, wildcards, or any of " ' # % \\ ^ | ~ \` $ & , ; : /)`;
  }
  return undefined;
}

export function stateMachineArn(scope: ArnScope, name: string): string {
  return `arn:aws:states:${scope.region}:${scope.account}:stateMachine:${name}`;
}

export function executionArn(scope: ArnScope, machine: string, name: string): string {
  return `arn:aws:states:${scope.region}:${scope.account}:execution:${machine}:${name}`;
}

export function mapRunArn(scope: ArnScope, machine: string, label: string, execution: string, seq: number): string {
  return `arn:aws:states:${scope.region}:${scope.account}:mapRun:${machine}/${label}:${execution}.${seq}`;
}

export type StatesArn =
  | { kind: 'stateMachine'; region: string; account: string; machine: string; version?: string }
  | { kind: 'execution'; region: string; account: string; machine: string; name: string }
  | { kind: 'mapRun'; region: string; account: string; machine: string; label: string; execution: string; seq: number };

const ARN = /^arn:aws[a-zA-Z-]*:states:([a-z0-9-]+):(\d{12}):(stateMachine|execution|express|mapRun):(.+)$/;

/** Parses a Step Functions ARN; undefined when it is not one Spillway can hold. */
export function parseStatesArn(arn: unknown): StatesArn | undefined {
  if (typeof arn !== 'string' || arn.length > 2048) return undefined;
  const m = ARN.exec(arn);
  if (!m) return undefined;
  const [, region, account, kind, rest] = m as unknown as [string, string, string, string, string];
  const parts = rest.split(':');
  if (kind === 'stateMachine') {
    if (parts.length > 2 || nameProblem(parts[0])) return undefined;
    return { kind, region, account, machine: parts[0]!, ...(parts[1] !== undefined ? { version: parts[1] } : {}) };
  }
  if (kind === 'execution' || kind === 'express') {
    if (parts.length !== 2 || nameProblem(parts[0]) || nameProblem(parts[1])) return undefined;
    return { kind: 'execution', region, account, machine: parts[0]!, name: parts[1]! };
  }
  if (parts.length !== 2) return undefined;
  const slash = parts[0]!.indexOf('/');
  const dot = parts[1]!.lastIndexOf('.');
  if (slash < 1 || dot < 1) return undefined;
  const seq = Number(parts[1]!.slice(dot + 1));
  if (!Number.isInteger(seq) || seq < 0) return undefined;
  return {
    kind: 'mapRun',
    region,
    account,
    machine: parts[0]!.slice(0, slash),
    label: parts[0]!.slice(slash + 1),
    execution: parts[1]!.slice(0, dot),
    seq,
  };
}

/** The Temporal workflow id of a state machine's record (workflows/pipeline-state-machine.ts). */
export function stateMachineWorkflowId(name: string): string {
  return `sfn-machine:${name}`;
}

/** The Temporal workflow id of one execution: one execution is one workflow, redrives are later runs of it. */
export function executionWorkflowId(machine: string, name: string): string {
  return `sfn-exec:${machine}:${name}`;
}

/** The inverse of executionWorkflowId; undefined for any other id. */
export function parseExecutionWorkflowId(id: string): { machine: string; name: string } | undefined {
  const m = /^sfn-exec:([^:]+):([^:]+)$/.exec(id);
  return m ? { machine: m[1]!, name: m[2]! } : undefined;
}

/** A short, stable key of an execution for the ids of its tasks (12 hex digits of the workflow id's SHA-256). */
export function executionKey(workflowId: string): string {
  return hashHex(workflowId, 'SHA-256').slice(0, 12);
}

/** The ids of pipeline tasks are task ids like any other. */
export const PIPELINE_TASK_ID = TASK_ID_PATTERN;

/**
 * The id of the Spillway task one Task state attempt runs as: `pl-<execution key>-<scope>-<n>-<state>`, where the
 * scope names the run (`r0`, `r1` after a redrive, `r0m2b5` in batch 5 of the second distributed Map) and n counts
 * the attempts that run made. Unique within the execution, readable in GET /api/tasks, and a valid task id.
 */
export function pipelineTaskId(key: string, scope: string, seq: number, stateName: string): string {
  const head = `pl-${key}-${scope}-${seq}-`;
  const safe = stateName.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 128 - head.length) || 'state';
  return `${head}${safe}`;
}

/** The execution key a pipeline task id carries, so the dashboard can tell which execution a task event is of. */
export function executionKeyOfTaskId(taskId: string): string | undefined {
  return /^pl-([0-9a-f]{12})-/.exec(taskId)?.[1];
}
