// Everything the pipeline routes do, against Temporal, which holds the record: a state machine is a long-lived
// pipelineStateMachine workflow (its definition and revisions), an execution is a runPipeline workflow (its
// record behind queries), lists come from visibility, and a redrive is a new run of the execution's workflow id.
// Both the Step Functions endpoint (api/routes/stepfunctions.ts) and /api/pipelines call this service.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { fromVisibility, type VisibleExecution } from '../../clients/visibility-page';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import {
  PIPELINE_DESCRIBE_QUERY,
  PIPELINE_HISTORY_QUERY,
  PIPELINE_REDRIVE_QUERY,
  PIPELINE_STOP_SIGNAL,
  PIPELINE_TASK_TOKEN_UPDATE,
  PIPELINE_WORKFLOW_TYPE,
  SEARCH_ATTRIBUTES,
  STATE_MACHINE_DELETE_UPDATE,
  STATE_MACHINE_QUERY,
  STATE_MACHINE_UPDATE,
  STATE_MACHINE_WORKFLOW_TYPE,
  WORKFLOW_TASK_QUEUE,
} from '../../domain/constants';
import type { SpillwayConfig } from '../../domain/config';
import type {
  PipelineDescription,
  PipelineHistory,
  PipelineInput,
  PipelineResult,
  RedriveSeed,
  StateMachineChange,
  StateMachineRecord,
  StateMachineType,
  TaskTokenOutcome,
} from '../../domain/pipeline-model';
import { verifyTaskToken } from '../../domain/pipeline-task-token';
import { PIPELINE_NAME_KEY, PIPELINE_STATUS_KEY } from '../../domain/search-attributes';
import { EXECUTION_MODES, type ExecutionMode } from '../../domain/task-model';
import {
  executionArn,
  executionWorkflowId,
  nameProblem,
  parseExecutionWorkflowId,
  parseStatesArn,
  stateMachineArn,
  stateMachineWorkflowId,
  type ArnScope,
} from '../../pipelines/arns';
import type { StateMachineDefinition } from '../../pipelines/definition';
import type { ExecutionStatus, HistoryEvent, MapRunView } from '../../pipelines/execution-record';
import type { JsonValue } from '../../pipelines/json';
import { validateDefinition, type DefinitionProblem } from '../../pipelines/validate';
import { withTimeout } from '../with-timeout';
import { pipelineError } from './pipeline-errors';
import { createRemotePipelines } from './sfn-remote';
import type { SfnConfig } from './sfn-config';

const QUERY_TIMEOUT_MS = 15_000;
/** Step Functions' limit on an execution's input and a task's output. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
export const DEFAULT_ROLE_ARN = 'arn:aws:iam::123456789012:role/spillway-pipelines';
/** A tag that sets the placement of the machine's Task states that name none. */
export const EXECUTION_MODE_TAG = 'spillway:ExecutionMode';

export interface PipelineServiceOptions {
  client: Client;
  config: SpillwayConfig;
  scope: ArnScope;
  /** A remote Step Functions to run pipelines on as well (api/services/sfn-remote.ts). */
  sfn?: SfnConfig;
  log?: (message: string) => void;
}

export interface CreateMachineRequest {
  name: string;
  definition: string;
  roleArn?: string;
  type?: StateMachineType;
  tags?: Array<{ key: string; value: string }>;
  defaultExecutionMode?: ExecutionMode;
  description?: string;
  loggingConfiguration?: JsonValue;
  tracingConfiguration?: JsonValue;
}

export interface ExecutionSummary {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  redriveCount: number;
  redriveDate?: number;
}

export interface ExecutionDetail extends ExecutionSummary {
  input: JsonValue;
  output?: JsonValue;
  error?: string;
  cause?: string;
  redriveStatus: 'REDRIVABLE' | 'NOT_REDRIVABLE';
  redriveStatusReason?: string;
  description?: PipelineDescription;
  temporalStatus: string;
  workflowId: string;
}

function inputHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON text that a Step Functions field holds (an input, an output); throws the named error otherwise. */
export function parseJsonField(
  text: string | undefined,
  fallback: string,
  error: 'InvalidExecutionInput' | 'InvalidOutput',
  field: string,
): { text: string; value: JsonValue } {
  const raw = text ?? fallback;
  if (Buffer.byteLength(raw) > MAX_PAYLOAD_BYTES) {
    throw pipelineError(error, `${field} is larger than ${MAX_PAYLOAD_BYTES} bytes`);
  }
  try {
    return { text: raw, value: JSON.parse(raw) as JsonValue };
  } catch (err) {
    throw pipelineError(error, `${field} is not valid JSON: ${(err as Error).message}`);
  }
}

/** The Step Functions status of an execution from what Temporal says and what the workflow recorded. */
function statusOf(temporalStatus: string, recorded: ExecutionStatus | undefined): ExecutionStatus {
  switch (temporalStatus) {
    case 'RUNNING':
      return 'RUNNING';
    case 'COMPLETED':
      return 'SUCCEEDED';
    case 'FAILED':
      return recorded === 'TIMED_OUT' ? 'TIMED_OUT' : 'FAILED';
    case 'TIMED_OUT':
      return 'TIMED_OUT';
    default:
      return 'ABORTED'; // CANCELLED, TERMINATED
  }
}

const ENDED: ReadonlySet<ExecutionStatus> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
/** A run whose record has ended closes a moment later (it publishes its end first); a redrive waits that long. */
const CLOSING_WAIT_MS = 10_000;

export function definitionProblemsText(problems: DefinitionProblem[]): string {
  const shown = problems.slice(0, 10).map((p) => p.message);
  const more = problems.length > shown.length ? ` (and ${problems.length - shown.length} more)` : '';
  return `Invalid State Machine Definition: ${shown.join('; ')}${more}`;
}

export function createPipelineService(options: PipelineServiceOptions) {
  const { client, config, scope } = options;
  const log = options.log ?? console.warn;
  const namespace = config.temporal.namespace;

  // ---------- state machines ----------

  function machineNameOf(arn: unknown): string {
    const parsed = parseStatesArn(arn);
    if (!parsed || parsed.kind !== 'stateMachine') throw pipelineError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    return parsed.machine;
  }

  function checkDefinition(text: string): StateMachineDefinition {
    let definition: unknown;
    try {
      definition = JSON.parse(text);
    } catch (err) {
      throw pipelineError(
        'InvalidDefinition',
        `Invalid State Machine Definition: not JSON (${(err as Error).message})`,
      );
    }
    const result = validateDefinition(definition);
    if (!result.valid) throw pipelineError('InvalidDefinition', definitionProblemsText(result.problems));
    return definition as StateMachineDefinition;
  }

  function defaultModeOf(request: {
    defaultExecutionMode?: ExecutionMode;
    tags?: Array<{ key: string; value: string }>;
  }) {
    const tagged = request.tags?.find((t) => t.key === EXECUTION_MODE_TAG)?.value;
    const mode = request.defaultExecutionMode ?? tagged ?? 'LOCAL';
    if (!(EXECUTION_MODES as readonly string[]).includes(mode)) {
      throw pipelineError('ValidationException', `${EXECUTION_MODE_TAG} must be LOCAL, LAMBDA or AUTO, not "${mode}"`);
    }
    return mode as ExecutionMode;
  }

  function checkRole(roleArn: string) {
    if (!/^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/.+$/.test(roleArn)) {
      throw pipelineError('InvalidArn', `Invalid Arn: '${roleArn}'`);
    }
  }

  async function createStateMachine(request: CreateMachineRequest): Promise<StateMachineRecord & { existed: boolean }> {
    const problem = nameProblem(request.name, 'name');
    if (problem) throw pipelineError('InvalidName', `Invalid Name: ${problem}`);
    checkDefinition(request.definition);
    const roleArn = request.roleArn ?? DEFAULT_ROLE_ARN;
    checkRole(roleArn);
    const type = request.type ?? 'STANDARD';
    const now = Date.now();
    const record: StateMachineRecord = {
      name: request.name,
      arn: stateMachineArn(scope, request.name),
      type,
      definition: request.definition,
      roleArn,
      creationDate: now,
      updateDate: now,
      revisionId: randomUUID(),
      ...(request.description !== undefined ? { description: request.description } : {}),
      defaultExecutionMode: defaultModeOf(request),
      tags: request.tags ?? [],
      ...(request.loggingConfiguration !== undefined ? { loggingConfiguration: request.loggingConfiguration } : {}),
      ...(request.tracingConfiguration !== undefined ? { tracingConfiguration: request.tracingConfiguration } : {}),
      revisions: [],
      status: 'ACTIVE',
    };
    try {
      await client.workflow.start(STATE_MACHINE_WORKFLOW_TYPE, {
        taskQueue: WORKFLOW_TASK_QUEUE,
        workflowId: stateMachineWorkflowId(request.name),
        args: [record],
        // A deleted machine's name may be used again.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        memo: { creationDate: now, type },
        typedSearchAttributes: [
          { key: PIPELINE_NAME_KEY, value: request.name },
          { key: PIPELINE_STATUS_KEY, value: 'ACTIVE' },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // As Step Functions: creating the same machine again is idempotent, a different one is refused.
      const existing = await describeStateMachine(record.arn);
      if (existing.definition === record.definition && existing.roleArn === record.roleArn && existing.type === type) {
        return { ...existing, existed: true };
      }
      throw pipelineError('StateMachineAlreadyExists', `State Machine Already Exists: '${record.arn}'`);
    }
    return { ...record, existed: false };
  }

  async function machineHandle(arn: unknown) {
    const name = machineNameOf(arn);
    const handle = client.workflow.getHandle(stateMachineWorkflowId(name));
    let description: WorkflowExecutionDescription;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw pipelineError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
      }
      throw err;
    }
    if (description.status.name !== 'RUNNING' || description.type !== STATE_MACHINE_WORKFLOW_TYPE) {
      throw pipelineError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
    }
    return handle;
  }

  async function describeStateMachine(arn: unknown): Promise<StateMachineRecord> {
    const handle = await machineHandle(arn);
    return withTimeout(handle.query<StateMachineRecord>(STATE_MACHINE_QUERY), QUERY_TIMEOUT_MS);
  }

  async function updateStateMachine(
    arn: unknown,
    change: { definition?: string; roleArn?: string; defaultExecutionMode?: ExecutionMode; description?: string },
  ): Promise<StateMachineRecord> {
    if (
      change.definition === undefined &&
      change.roleArn === undefined &&
      change.defaultExecutionMode === undefined &&
      change.description === undefined
    ) {
      throw pipelineError('MissingRequiredParameter', 'Either the definition or the roleArn must be specified');
    }
    if (change.definition !== undefined) checkDefinition(change.definition);
    if (change.roleArn !== undefined) checkRole(change.roleArn);
    if (change.defaultExecutionMode !== undefined) defaultModeOf(change);
    const handle = await machineHandle(arn);
    const request: StateMachineChange = { ...change, at: Date.now(), revisionId: randomUUID() };
    return handle.executeUpdate<StateMachineRecord, [StateMachineChange]>(STATE_MACHINE_UPDATE, { args: [request] });
  }

  async function deleteStateMachine(arn: unknown): Promise<void> {
    let handle;
    try {
      handle = await machineHandle(arn);
    } catch (err) {
      // As Step Functions: deleting a machine that is not there succeeds.
      if ((err as { type?: string }).type === 'StateMachineDoesNotExist') return;
      throw err;
    }
    await handle.executeUpdate(STATE_MACHINE_DELETE_UPDATE, { args: [] });
  }

  // Page tokens are Temporal's, signed with the list's query: a forged or foreign token is refused here, at once,
  // instead of after the client's retries of the error Temporal answers it with (about 20 s).
  const pageTokenKey = createHash('sha256').update(`spillway-page-token\n${config.lambda.callbackSecret}`).digest();
  const pageTokenMac = (query: string, body: string) =>
    createHmac('sha256', pageTokenKey).update(`${query}\n${body}`).digest().subarray(0, 16);
  const invalidToken = () => pipelineError('InvalidToken', 'Invalid Token: the nextToken is not valid');

  function readPageToken(query: string, nextToken: string): Uint8Array {
    const [body, mac, extra] = nextToken.split('.');
    if (!body || !mac || extra !== undefined) throw invalidToken();
    const given = Buffer.from(mac, 'base64url');
    const expected = pageTokenMac(query, body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidToken();
    return Buffer.from(body, 'base64url');
  }

  function pageToken(query: string, raw: Uint8Array): string {
    const body = Buffer.from(raw).toString('base64url');
    return `${body}.${pageTokenMac(query, body).toString('base64url')}`;
  }

  async function listPage(query: string, pageSize: number, nextToken?: string) {
    const token = nextToken ? readPageToken(query, nextToken) : undefined;
    let response;
    try {
      response = await client.workflowService.listWorkflowExecutions({
        namespace,
        pageSize,
        nextPageToken: token,
        query,
      });
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (nextToken && (code === 2 || code === 3 || code === 13)) throw invalidToken();
      throw err;
    }
    const infos: VisibleExecution[] = response.executions.map((raw) => fromVisibility(raw, client));
    const next = response.nextPageToken;
    return { infos, nextToken: next && next.length > 0 ? pageToken(query, next) : undefined };
  }

  async function listStateMachines(maxResults = 100, nextToken?: string) {
    const page = await listPage(
      `WorkflowType = '${STATE_MACHINE_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`,
      Math.min(Math.max(maxResults, 1), 1000),
      nextToken,
    );
    const stateMachines = page.infos.map((info) => {
      const name = info.workflowId.replace(/^sfn-machine:/, '');
      const memo = (info.memo ?? {}) as { creationDate?: number; type?: StateMachineType };
      return {
        stateMachineArn: stateMachineArn(scope, name),
        name,
        type: memo.type ?? 'STANDARD',
        creationDate: memo.creationDate ?? info.startTime.getTime(),
      };
    });
    return { stateMachines, nextToken: page.nextToken };
  }

  function validate(definition: string) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(definition);
    } catch (err) {
      return {
        valid: false,
        problems: [{ message: `The definition is not JSON: ${(err as Error).message}`, source: 'spillway' as const }],
      };
    }
    return validateDefinition(parsed);
  }

  // ---------- executions ----------

  function executionNameOf(arn: unknown): { machine: string; name: string } {
    const parsed = parseStatesArn(arn);
    if (!parsed || parsed.kind !== 'execution') throw pipelineError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    return { machine: parsed.machine, name: parsed.name };
  }

  async function startExecution(request: {
    stateMachineArn: unknown;
    name?: string;
    input?: string;
  }): Promise<{ executionArn: string; startDate: number; existed: boolean; workflowId: string }> {
    const machine = await describeStateMachine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    const problem = nameProblem(name, 'name');
    if (problem) throw pipelineError('InvalidName', `Invalid Name: ${problem}`);
    const { text, value } = parseJsonField(request.input, '{}', 'InvalidExecutionInput', 'input');
    const arn = executionArn(scope, machine.name, name);
    const workflowId = executionWorkflowId(machine.name, name);
    const startTime = new Date();
    const input: PipelineInput = {
      version: 1,
      definition: JSON.parse(machine.definition) as StateMachineDefinition,
      input: value,
      type: machine.type,
      context: {
        executionArn: arn,
        executionName: name,
        startTime: startTime.toISOString(),
        roleArn: machine.roleArn,
        stateMachineArn: machine.arn,
        stateMachineName: machine.name,
        region: scope.region,
        account: scope.account,
        defaultExecutionMode: machine.defaultExecutionMode,
      },
    };
    try {
      await client.workflow.start(PIPELINE_WORKFLOW_TYPE, {
        taskQueue: WORKFLOW_TASK_QUEUE,
        workflowId,
        args: [input],
        // An execution's name stays used once it has ended: a redrive is the only way to run it again.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        memo: { inputHash: inputHash(text), revisionId: machine.revisionId, startDate: startTime.getTime() },
        typedSearchAttributes: [
          { key: PIPELINE_NAME_KEY, value: machine.name },
          { key: PIPELINE_STATUS_KEY, value: 'RUNNING' },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const existingHandle = client.workflow.getHandle(workflowId);
      const existing = await existingHandle.describe();
      // As Step Functions: the same name and input while it runs is the same execution; anything else is refused,
      // a run whose record has ended (it is closing) included, as DescribeExecution already reports it ended.
      const ended = async () => {
        const d = await withTimeout(
          existingHandle.query<PipelineDescription>(PIPELINE_DESCRIBE_QUERY),
          QUERY_TIMEOUT_MS,
        ).catch(() => undefined);
        return d !== undefined && ENDED.has(d.record.status);
      };
      if (existing.status.name === 'RUNNING' && existing.memo?.inputHash === inputHash(text) && !(await ended())) {
        const startDate =
          typeof existing.memo?.startDate === 'number' ? existing.memo.startDate : existing.startTime.getTime();
        return { executionArn: arn, startDate, existed: true, workflowId };
      }
      throw pipelineError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    return { executionArn: arn, startDate: startTime.getTime(), existed: false, workflowId };
  }

  /** Waits for an execution to end (StartSyncExecution); at most `timeoutMs`. */
  async function awaitExecution(workflowId: string, timeoutMs: number): Promise<void> {
    const handle = client.workflow.getHandle(workflowId);
    await withTimeout(
      handle.result().then(
        (r: PipelineResult) => r,
        () => undefined,
      ),
      timeoutMs,
    ).catch(() => undefined);
  }

  async function executionHandle(arn: unknown) {
    const { machine, name } = executionNameOf(arn);
    const workflowId = executionWorkflowId(machine, name);
    const handle = client.workflow.getHandle(workflowId);
    let description: WorkflowExecutionDescription;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw pipelineError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
      }
      throw err;
    }
    if (description.type !== PIPELINE_WORKFLOW_TYPE) {
      throw pipelineError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    }
    return { handle, description, machine, name, workflowId };
  }

  async function describeExecution(arn: unknown): Promise<ExecutionDetail> {
    const { handle, description, machine, name, workflowId } = await executionHandle(arn);
    let d: PipelineDescription | undefined;
    try {
      d = await withTimeout(handle.query<PipelineDescription>(PIPELINE_DESCRIBE_QUERY), QUERY_TIMEOUT_MS);
    } catch (err) {
      log(`describe query of ${workflowId} failed, answering from visibility: ${(err as Error).message}`);
    }
    const temporalStatus = description.status.name;
    // A run whose record has ended is only publishing its end and closes a moment later: say how it ended already,
    // so that whoever saw the end on the live stream and asks is not told RUNNING.
    const recorded = d?.record.status;
    const status =
      temporalStatus === 'RUNNING' && recorded && ENDED.has(recorded) ? recorded : statusOf(temporalStatus, recorded);
    const record = d?.record;
    const redrivable = status !== 'RUNNING' && status !== 'SUCCEEDED' && d?.type !== 'EXPRESS';
    return {
      executionArn: executionArn(scope, machine, name),
      stateMachineArn: stateMachineArn(scope, machine),
      name,
      status,
      startDate: record?.startDate ?? description.startTime.getTime(),
      ...(status !== 'RUNNING' ? { stopDate: record?.stopDate ?? description.closeTime?.getTime() ?? Date.now() } : {}),
      input: record?.input ?? null,
      ...(record?.output !== undefined && status === 'SUCCEEDED' ? { output: record.output } : {}),
      ...(record?.error !== undefined && status !== 'SUCCEEDED' && status !== 'RUNNING' ? { error: record.error } : {}),
      ...(record?.cause !== undefined && status !== 'SUCCEEDED' && status !== 'RUNNING' ? { cause: record.cause } : {}),
      redriveCount: record?.redriveCount ?? 0,
      ...(record?.redriveDate !== undefined ? { redriveDate: record.redriveDate } : {}),
      redriveStatus: redrivable ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
      ...(redrivable
        ? {}
        : {
            redriveStatusReason:
              status === 'RUNNING'
                ? 'Execution is RUNNING and cannot be redriven'
                : status === 'SUCCEEDED'
                  ? 'Execution is SUCCEEDED and cannot be redriven'
                  : 'Express executions cannot be redriven',
          }),
      ...(d ? { description: d } : {}),
      temporalStatus,
      workflowId,
    };
  }

  async function listExecutions(request: {
    stateMachineArn: unknown;
    statusFilter?: ExecutionStatus;
    maxResults?: number;
    nextToken?: string;
  }): Promise<{ executions: ExecutionSummary[]; nextToken?: string }> {
    const machine = machineNameOf(request.stateMachineArn);
    // As Step Functions: the executions of a machine that does not exist (or no longer does) are not listed.
    await machineHandle(request.stateMachineArn);
    const clauses = [`WorkflowType = '${PIPELINE_WORKFLOW_TYPE}'`, `${SEARCH_ATTRIBUTES.pipelineName} = '${machine}'`];
    if (request.statusFilter) {
      // RUNNING and SUCCEEDED are Temporal's own statuses; the others need the recorded status too.
      const byStatus: Record<ExecutionStatus, string> = {
        RUNNING: `ExecutionStatus = 'Running'`,
        SUCCEEDED: `ExecutionStatus = 'Completed'`,
        FAILED: `ExecutionStatus = 'Failed' AND ${SEARCH_ATTRIBUTES.pipelineStatus} = 'FAILED'`,
        TIMED_OUT: `(ExecutionStatus = 'TimedOut' OR ${SEARCH_ATTRIBUTES.pipelineStatus} = 'TIMED_OUT') AND ExecutionStatus != 'Running'`,
        ABORTED: `ExecutionStatus IN ('Canceled', 'Terminated')`,
        PENDING_REDRIVE: `ExecutionStatus = 'Running' AND ${SEARCH_ATTRIBUTES.pipelineStatus} = 'PENDING_REDRIVE'`,
      };
      clauses.push(byStatus[request.statusFilter]);
    }
    const page = await listPage(
      clauses.join(' AND '),
      Math.min(Math.max(request.maxResults ?? 100, 1), 1000),
      request.nextToken,
    );
    // A redriven execution has several runs; the newest (listed first) is the execution.
    const seen = new Set<string>();
    const executions: ExecutionSummary[] = [];
    for (const info of page.infos) {
      if (seen.has(info.workflowId)) continue;
      seen.add(info.workflowId);
      const ids = parseExecutionWorkflowId(info.workflowId);
      if (!ids) continue;
      const recorded = info.typedSearchAttributes.get(PIPELINE_STATUS_KEY) as ExecutionStatus | undefined;
      const status = statusOf(info.status.name, recorded);
      executions.push({
        executionArn: executionArn(scope, ids.machine, ids.name),
        stateMachineArn: stateMachineArn(scope, ids.machine),
        name: ids.name,
        status,
        startDate: info.startTime.getTime(),
        ...(info.closeTime ? { stopDate: info.closeTime.getTime() } : {}),
        redriveCount: typeof info.memo?.redriveCount === 'number' ? info.memo.redriveCount : 0,
        ...(typeof info.memo?.redriveDate === 'number' ? { redriveDate: info.memo.redriveDate } : {}),
      });
    }
    return { executions, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  async function executionHistory(arn: unknown): Promise<PipelineHistory> {
    const { handle } = await executionHandle(arn);
    return withTimeout(handle.query<PipelineHistory>(PIPELINE_HISTORY_QUERY), QUERY_TIMEOUT_MS);
  }

  async function stopExecution(arn: unknown, error?: string, cause?: string): Promise<{ stopDate: number }> {
    const { handle, description } = await executionHandle(arn);
    if (description.status.name === 'RUNNING') {
      await handle.signal(PIPELINE_STOP_SIGNAL, { error, cause });
      await handle.cancel();
    }
    return { stopDate: description.closeTime?.getTime() ?? Date.now() };
  }

  async function redriveExecution(arn: unknown): Promise<{ redriveDate: number }> {
    const found = await executionHandle(arn);
    const { handle, workflowId } = found;
    let description = found.description;
    if (description.status.name === 'RUNNING') {
      // Its record may have ended already, the run closing: wait for that, briefly, rather than refuse.
      const d = await withTimeout(handle.query<PipelineDescription>(PIPELINE_DESCRIBE_QUERY), QUERY_TIMEOUT_MS).catch(
        () => undefined,
      );
      if (d && ENDED.has(d.record.status)) {
        await withTimeout(
          handle.result().catch(() => undefined),
          CLOSING_WAIT_MS,
        ).catch(() => undefined);
        description = await handle.describe();
      }
    }
    const status = description.status.name;
    if (status === 'RUNNING' || status === 'COMPLETED') {
      throw pipelineError(
        'ExecutionNotRedrivable',
        `Execution is ${status === 'RUNNING' ? 'RUNNING' : 'SUCCEEDED'} and cannot be redriven: '${String(arn)}'`,
      );
    }
    const [d, seed] = await Promise.all([
      withTimeout(handle.query<PipelineDescription>(PIPELINE_DESCRIBE_QUERY), QUERY_TIMEOUT_MS),
      withTimeout(handle.query<RedriveSeed | undefined>(PIPELINE_REDRIVE_QUERY), QUERY_TIMEOUT_MS),
    ]);
    if (d.type === 'EXPRESS') {
      throw pipelineError('ExecutionNotRedrivable', `Express executions cannot be redriven: '${String(arn)}'`);
    }
    if (!seed) throw pipelineError('ExecutionNotRedrivable', `Execution has nothing to redrive: '${String(arn)}'`);
    const redriveDate = Date.now();
    const input: PipelineInput = {
      version: 1,
      definition: d.definition,
      input: d.record.input,
      type: d.type,
      context: d.context,
      redrive: { count: d.record.redriveCount + 1, date: redriveDate, seed },
    };
    try {
      await client.workflow.start(PIPELINE_WORKFLOW_TYPE, {
        taskQueue: WORKFLOW_TASK_QUEUE,
        workflowId,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        memo: { ...(description.memo ?? {}), redriveCount: input.redrive!.count, redriveDate },
        typedSearchAttributes: [
          { key: PIPELINE_NAME_KEY, value: d.context.stateMachineName },
          { key: PIPELINE_STATUS_KEY, value: 'RUNNING' },
        ],
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw pipelineError('ExecutionNotRedrivable', `Execution is already being redriven: '${String(arn)}'`);
      }
      throw err;
    }
    return { redriveDate };
  }

  async function sendTaskOutcome(token: unknown, outcome: TaskTokenOutcome): Promise<void> {
    const claims = verifyTaskToken(config.lambda.callbackSecret, token);
    if (!claims) throw pipelineError('InvalidToken', 'Invalid Token: the task token is not one this endpoint issued');
    const handle = client.workflow.getHandle(claims.w, claims.r);
    try {
      await handle.executeUpdate(PIPELINE_TASK_TOKEN_UPDATE, { args: [{ entry: claims.e, outcome }] });
    } catch (err) {
      // The token was signed here, so its execution existed: it has ended, and its task with it.
      if (
        err instanceof WorkflowNotFoundError ||
        err instanceof WorkflowUpdateFailedError ||
        /completed|not found|TaskTimedOut/i.test((err as Error).message)
      ) {
        throw pipelineError('TaskTimedOut', 'Task Timed Out: the task of this token is no longer waiting');
      }
      throw err;
    }
  }

  // ---------- Map Runs ----------

  async function describeMapRun(arn: unknown): Promise<{ run: MapRunView; executionArn: string }> {
    const parsed = parseStatesArn(arn);
    if (!parsed || parsed.kind !== 'mapRun') throw pipelineError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    const exec = executionArn(scope, parsed.machine, parsed.execution);
    let detail: ExecutionDetail;
    try {
      detail = await describeExecution(exec);
    } catch (err) {
      if ((err as { type?: string }).type === 'ExecutionDoesNotExist') {
        throw pipelineError('ResourceNotFound', `Resource Not Found: '${String(arn)}'`);
      }
      throw err;
    }
    const run = detail.description?.record.mapRuns.find((r) => r.mapRunArn === arn);
    if (!run) throw pipelineError('ResourceNotFound', `Resource Not Found: '${String(arn)}'`);
    return { run, executionArn: exec };
  }

  async function listMapRuns(arn: unknown): Promise<MapRunView[]> {
    const detail = await describeExecution(arn);
    return detail.description?.record.mapRuns ?? [];
  }

  const temporalUi = (workflowId: string) =>
    `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;

  const remote = createRemotePipelines({
    client,
    config,
    sfn: options.sfn ?? { ...scope, remotePollMs: 2000 },
  });

  return {
    scope,
    remote,
    temporalUi,
    createStateMachine,
    describeStateMachine,
    updateStateMachine,
    deleteStateMachine,
    listStateMachines,
    validate,
    startExecution,
    awaitExecution,
    describeExecution,
    listExecutions,
    executionHistory,
    stopExecution,
    redriveExecution,
    sendTaskOutcome,
    describeMapRun,
    listMapRuns,
    machineNameOf,
    executionNameOf,
  };
}

export type PipelineService = ReturnType<typeof createPipelineService>;
export type { HistoryEvent };
