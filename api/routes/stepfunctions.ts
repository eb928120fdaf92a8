// The Step Functions-compatible endpoint: AWS JSON 1.0 at the API's own address (`POST /` with
// `X-Amz-Target: AWSStepFunctions.<Operation>`), so `aws stepfunctions --endpoint-url http://localhost:8080 …` and
// @aws-sdk/client-sfn work unchanged. Errors come in Step Functions' shape (`__type` and `message`, HTTP 400).
// This plugin is encapsulated: its content-type parser and error handler apply to its route only.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ExecutionStatus, HistoryEvent, MapRunView } from '../../pipelines/execution-record';
import { EXECUTION_STATUSES } from '../../pipelines/execution-record';
import type { JsonValue } from '../../pipelines/json';
import { PipelineError, pipelineError } from '../services/pipeline-errors';
import { parseJsonField, type PipelineService } from '../services/pipeline-service';

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'AWSStepFunctions.';
/** StartSyncExecution waits this long at most (an Express execution runs for five minutes at most). */
const SYNC_TIMEOUT_MS = 5 * 60_000;

type Body = Record<string, unknown>;
type Handler = (body: Body) => Promise<unknown>;

/** AWS JSON 1.0 timestamps are epoch seconds. */
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

function str(body: Body, field: string, required = true): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (required) throw pipelineError('ValidationException', `1 validation error detected: ${field} must not be null`);
    return undefined;
  }
  if (typeof value !== 'string') throw pipelineError('ValidationException', `${field} must be a string`);
  return value;
}

function int(body: Body, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1000) {
    throw pipelineError('ValidationException', `${field} must be an integer from 0 to 1000`);
  }
  return value === 0 ? undefined : value;
}

function tagsOf(body: Body): Array<{ key: string; value: string }> | undefined {
  if (!Array.isArray(body.tags)) return undefined;
  return (body.tags as Array<{ key?: unknown; value?: unknown }>).map((t) => ({
    key: String(t.key ?? ''),
    value: String(t.value ?? ''),
  }));
}

function mapCounts(c: MapRunView['items']) {
  return {
    pending: c.pending,
    running: c.running,
    succeeded: c.succeeded,
    failed: c.failed,
    timedOut: 0,
    aborted: c.aborted,
    total: c.total,
    resultsWritten: c.succeeded + c.failed,
    failuresNotRedrivable: 0,
    pendingRedrive: 0,
  };
}

function historyEvent(e: HistoryEvent, includeData: boolean): Body {
  const out: Body = { ...e, timestamp: seconds(e.timestamp) };
  if (!includeData) {
    for (const [key, value] of Object.entries(out)) {
      if (key.endsWith('EventDetails') && value && typeof value === 'object') {
        const { input: _i, output: _o, ...rest } = value as Record<string, unknown>;
        out[key] = rest;
      }
    }
  }
  return out;
}

export function operations(svc: PipelineService): Record<string, Handler> {
  const executionBody = async (arn: unknown) => {
    const d = await svc.describeExecution(arn);
    return {
      executionArn: d.executionArn,
      stateMachineArn: d.stateMachineArn,
      name: d.name,
      status: d.status,
      startDate: seconds(d.startDate),
      ...(d.stopDate !== undefined ? { stopDate: seconds(d.stopDate) } : {}),
      input: JSON.stringify(d.input),
      inputDetails: { included: true },
      ...(d.output !== undefined ? { output: JSON.stringify(d.output), outputDetails: { included: true } } : {}),
      ...(d.error !== undefined ? { error: d.error } : {}),
      ...(d.cause !== undefined ? { cause: d.cause } : {}),
      redriveCount: d.redriveCount,
      ...(d.redriveDate !== undefined ? { redriveDate: seconds(d.redriveDate) } : {}),
      redriveStatus: d.redriveStatus,
      ...(d.redriveStatusReason ? { redriveStatusReason: d.redriveStatusReason } : {}),
    };
  };

  return {
    async CreateStateMachine(body) {
      const created = await svc.createStateMachine({
        name: str(body, 'name')!,
        definition: str(body, 'definition')!,
        roleArn: str(body, 'roleArn', false),
        type: (str(body, 'type', false) as 'STANDARD' | 'EXPRESS' | undefined) ?? 'STANDARD',
        tags: tagsOf(body),
        ...(body.loggingConfiguration !== undefined
          ? { loggingConfiguration: body.loggingConfiguration as JsonValue }
          : {}),
        ...(body.tracingConfiguration !== undefined
          ? { tracingConfiguration: body.tracingConfiguration as JsonValue }
          : {}),
      });
      return { stateMachineArn: created.arn, creationDate: seconds(created.creationDate) };
    },
    async UpdateStateMachine(body) {
      const record = await svc.updateStateMachine(body.stateMachineArn, {
        ...(body.definition !== undefined ? { definition: str(body, 'definition')! } : {}),
        ...(body.roleArn !== undefined ? { roleArn: str(body, 'roleArn')! } : {}),
      });
      return { updateDate: seconds(record.updateDate), revisionId: record.revisionId };
    },
    async DescribeStateMachine(body) {
      const m = await svc.describeStateMachine(body.stateMachineArn);
      return {
        stateMachineArn: m.arn,
        name: m.name,
        status: m.status,
        definition: m.definition,
        roleArn: m.roleArn,
        type: m.type,
        creationDate: seconds(m.creationDate),
        revisionId: m.revisionId,
        loggingConfiguration: m.loggingConfiguration ?? { level: 'OFF', includeExecutionData: false },
        tracingConfiguration: m.tracingConfiguration ?? { enabled: false },
        ...(m.description !== undefined ? { description: m.description } : {}),
      };
    },
    async ListStateMachines(body) {
      const page = await svc.listStateMachines(int(body, 'maxResults'), str(body, 'nextToken', false));
      return {
        stateMachines: page.stateMachines.map((m) => ({ ...m, creationDate: seconds(m.creationDate) })),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    },
    async DeleteStateMachine(body) {
      await svc.deleteStateMachine(body.stateMachineArn);
      return {};
    },
    async ValidateStateMachineDefinition(body) {
      const result = svc.validate(str(body, 'definition')!);
      const max = int(body, 'maxResults') ?? 100;
      const diagnostics = result.problems.map((p) => ({
        severity: 'ERROR',
        code: p.source === 'asl-validator' ? 'SCHEMA_VALIDATION_FAILED' : 'INVALID_DEFINITION',
        message: p.message,
        ...(p.state ? { location: `/States/${p.state}${p.field ? `/${p.field.replace(/\./g, '/')}` : ''}` } : {}),
      }));
      return {
        result: result.valid ? 'OK' : 'FAIL',
        diagnostics: diagnostics.slice(0, max),
        truncated: diagnostics.length > max,
      };
    },
    async StartExecution(body) {
      const started = await svc.startExecution({
        stateMachineArn: body.stateMachineArn,
        ...(body.name !== undefined ? { name: str(body, 'name')! } : {}),
        ...(body.input !== undefined ? { input: str(body, 'input')! } : {}),
      });
      return { executionArn: started.executionArn, startDate: seconds(started.startDate) };
    },
    async StartSyncExecution(body) {
      const machine = await svc.describeStateMachine(body.stateMachineArn);
      if (machine.type !== 'EXPRESS') {
        throw pipelineError(
          'StateMachineTypeNotSupported',
          'This operation is only supported by EXPRESS state machines',
        );
      }
      const started = await svc.startExecution({
        stateMachineArn: body.stateMachineArn,
        ...(body.name !== undefined ? { name: str(body, 'name')! } : {}),
        ...(body.input !== undefined ? { input: str(body, 'input')! } : {}),
      });
      await svc.awaitExecution(started.workflowId, SYNC_TIMEOUT_MS);
      const d = await executionBody(started.executionArn);
      return {
        executionArn: d.executionArn,
        stateMachineArn: d.stateMachineArn,
        name: d.name,
        startDate: d.startDate,
        stopDate: d.stopDate ?? seconds(Date.now()),
        status: d.status === 'SUCCEEDED' ? 'SUCCEEDED' : d.status === 'TIMED_OUT' ? 'TIMED_OUT' : 'FAILED',
        input: d.input,
        inputDetails: d.inputDetails,
        ...(d.output !== undefined ? { output: d.output, outputDetails: d.outputDetails } : {}),
        ...(d.error !== undefined ? { error: d.error } : {}),
        ...(d.cause !== undefined ? { cause: d.cause } : {}),
        billingDetails: {
          billedMemoryUsedInMB: 64,
          billedDurationInMilliseconds: Math.max(100, Math.ceil(((d.stopDate ?? 0) - (d.startDate ?? 0)) * 1000)),
        },
      };
    },
    DescribeExecution: async (body) => executionBody(body.executionArn),
    async ListExecutions(body) {
      const statusFilter = str(body, 'statusFilter', false);
      if (statusFilter !== undefined && !EXECUTION_STATUSES.includes(statusFilter as ExecutionStatus)) {
        throw pipelineError('ValidationException', `statusFilter must be one of ${EXECUTION_STATUSES.join(', ')}`);
      }
      if (body.stateMachineArn === undefined && body.mapRunArn !== undefined) {
        // Map Run child executions are Spillway batches, not executions; none are listed.
        return { executions: [] };
      }
      const page = await svc.listExecutions({
        stateMachineArn: body.stateMachineArn,
        ...(statusFilter ? { statusFilter: statusFilter as ExecutionStatus } : {}),
        ...(int(body, 'maxResults') !== undefined ? { maxResults: int(body, 'maxResults')! } : {}),
        ...(str(body, 'nextToken', false) ? { nextToken: str(body, 'nextToken')! } : {}),
      });
      return {
        executions: page.executions.map((e) => ({
          ...e,
          startDate: seconds(e.startDate),
          ...(e.stopDate !== undefined ? { stopDate: seconds(e.stopDate) } : {}),
          ...(e.redriveDate !== undefined ? { redriveDate: seconds(e.redriveDate) } : {}),
        })),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    },
    async GetExecutionHistory(body) {
      const history = await svc.executionHistory(body.executionArn);
      const max = int(body, 'maxResults') ?? 100;
      const includeData = body.includeExecutionData !== false;
      const events = body.reverseOrder === true ? [...history.events].reverse() : history.events;
      const token = str(body, 'nextToken', false);
      let start = 0;
      if (token !== undefined) {
        start = Number(Buffer.from(token, 'base64url').toString('utf8'));
        if (!Number.isInteger(start) || start < 0 || start > events.length) {
          throw pipelineError('InvalidToken', 'Invalid Token: the nextToken is not valid');
        }
      }
      const page = events.slice(start, start + max).map((e) => historyEvent(e, includeData));
      const next = start + max < events.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
      return { events: page, ...(next ? { nextToken: next } : {}) };
    },
    async StopExecution(body) {
      const stopped = await svc.stopExecution(body.executionArn, str(body, 'error', false), str(body, 'cause', false));
      return { stopDate: seconds(stopped.stopDate) };
    },
    async RedriveExecution(body) {
      const redriven = await svc.redriveExecution(body.executionArn);
      return { redriveDate: seconds(redriven.redriveDate) };
    },
    async SendTaskSuccess(body) {
      const { value } = parseJsonField(str(body, 'output')!, '{}', 'InvalidOutput', 'output');
      await svc.sendTaskOutcome(str(body, 'taskToken'), { kind: 'success', output: value });
      return {};
    },
    async SendTaskFailure(body) {
      await svc.sendTaskOutcome(str(body, 'taskToken'), {
        kind: 'failure',
        error: str(body, 'error', false) ?? '',
        cause: str(body, 'cause', false) ?? '',
      });
      return {};
    },
    async SendTaskHeartbeat(body) {
      await svc.sendTaskOutcome(str(body, 'taskToken'), { kind: 'heartbeat' });
      return {};
    },
    async DescribeMapRun(body) {
      const { run, executionArn } = await svc.describeMapRun(body.mapRunArn);
      return {
        mapRunArn: run.mapRunArn,
        executionArn,
        status: run.status,
        startDate: seconds(run.startDate),
        ...(run.stopDate !== undefined ? { stopDate: seconds(run.stopDate) } : {}),
        maxConcurrency: run.maxConcurrency,
        toleratedFailurePercentage: run.toleratedFailurePercentage,
        toleratedFailureCount: run.toleratedFailureCount,
        itemCounts: mapCounts(run.items),
        executionCounts: mapCounts(run.executions),
        redriveCount: 0,
      };
    },
    async ListMapRuns(body) {
      const runs = await svc.listMapRuns(body.executionArn);
      const exec = str(body, 'executionArn')!;
      const sm = svc.executionNameOf(exec);
      return {
        mapRuns: runs.map((r) => ({
          executionArn: exec,
          mapRunArn: r.mapRunArn,
          stateMachineArn: `${exec.replace(/:execution:[^:]+:[^:]+$/, `:stateMachine:${sm.machine}`)}/${r.stateName}`,
          startDate: seconds(r.startDate),
          ...(r.stopDate !== undefined ? { stopDate: seconds(r.stopDate) } : {}),
        })),
      };
    },
  };
}

function sendError(reply: FastifyReply, status: number, type: string, message: string) {
  return reply
    .code(status)
    .header('content-type', CONTENT_TYPE)
    .header('x-amzn-errortype', type)
    .send({ __type: `com.amazonaws.states#${type}`, message });
}

/** The key a Step Functions client presents: a bearer key, or the access key id of its SigV4 Authorization. */
function presentedKey(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  if (authorization.startsWith('Bearer ')) return authorization.slice('Bearer '.length).trim();
  return /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\//.exec(authorization)?.[1];
}

const digest = (value: string) => createHash('sha256').update(value).digest();

export interface StepFunctionsOptions {
  /**
   * SPILLWAY_API_KEYS. When set, a client must present one: as its AWS access key id (AWS_ACCESS_KEY_ID=<key>), whose
   * SigV4 signature is not checked, or as a bearer token. The key travels in clear text either way, as bearer keys do.
   */
  apiKeys?: readonly string[];
}

export async function stepFunctionsRoutes(app: FastifyInstance, options: StepFunctionsOptions = {}): Promise<void> {
  const handlers = operations(app.pipelines);
  const keys = (options.apiKeys ?? []).map(digest);
  app.addContentTypeParser(CONTENT_TYPE, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body === '' ? {} : JSON.parse(body as string));
    } catch {
      const err = new PipelineError('ValidationException', 'The request body is not valid JSON');
      (err as { sfnType?: string }).sfnType = 'SerializationException';
      done(err, undefined);
    }
  });
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof PipelineError) {
      const type = (err as { sfnType?: string }).sfnType ?? err.type;
      return sendError(reply, type === 'ServiceUnavailable' ? 503 : 400, type, err.message);
    }
    request.log.error({ err }, 'Step Functions request failed');
    return sendError(reply, 500, 'InternalFailure', 'An internal error occurred; it has been logged');
  });
  app.post('/', { schema: { hide: true } as Record<string, unknown> }, async (request, reply) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    reply.header('x-amzn-requestid', randomUUID());
    if (keys.length > 0) {
      const key = presentedKey(request.headers.authorization);
      if (!key) return sendError(reply, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
      const presented = digest(key);
      if (!keys.some((k) => timingSafeEqual(k, presented))) {
        return sendError(
          reply,
          403,
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
        );
      }
    }
    if (!target.startsWith(TARGET_PREFIX)) {
      return sendError(reply, 400, 'UnknownOperationException', `Unknown target "${target}"`);
    }
    const handler = handlers[target.slice(TARGET_PREFIX.length)];
    if (!handler) {
      return sendError(reply, 400, 'UnknownOperationException', `Operation ${target} is not supported by Spillway`);
    }
    const body = (request.body ?? {}) as Body;
    if (typeof body !== 'object' || Array.isArray(body)) {
      return sendError(reply, 400, 'SerializationException', 'The request body must be a JSON object');
    }
    const answer = await handler(body);
    return reply.code(200).header('content-type', CONTENT_TYPE).send(JSON.stringify(answer));
  });
}
