// Spillway's own REST for pipelines: the same state machines and executions as the Step Functions endpoint,
// in Spillway's shapes (ISO dates, parsed JSON, links) and with its error registry.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { JsonValue } from '../../pipelines/json';
import { errorResponses } from '../schemas/common';
import {
  ActionResponse,
  CreatePipelineBody,
  ExecutionListResponse,
  ExecutionParams,
  ExecutionResponse,
  HistoryResponse,
  ListExecutionsQuery,
  ListPipelinesQuery,
  PipelineListResponse,
  PipelineParams,
  PipelineResponse,
  StartedExecutionResponse,
  StartExecutionBody,
  StopBody,
  RemoteExecutionResponse,
  RemoteStartBody,
  UpdatePipelineBody,
  ValidateBody,
  ValidationResponse,
} from '../schemas/pipeline-schemas';
import { Type } from '@sinclair/typebox';
import { PipelineError, restError } from '../services/pipeline-errors';
import type { StateMachineRecord } from '../../domain/pipeline-model';
import { executionArn, stateMachineArn } from '../../pipelines/arns';
import { executionCostUsd } from '../../pipelines/execution-record';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const text = (definition: unknown) => (typeof definition === 'string' ? definition : JSON.stringify(definition));

/** Service calls with pipeline failures mapped to SPILLWAY_* errors. */
async function rest<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof PipelineError) throw restError(err);
    throw err;
  }
}

export const pipelineRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const svc = app.pipelines;
  const scope = svc.scope;
  const machineLinks = (name: string) => ({
    self: `/api/pipelines/${encodeURIComponent(name)}`,
    executions: `/api/pipelines/${encodeURIComponent(name)}/executions`,
  });
  const execLinks = (machine: string, name: string, workflowId?: string) => {
    const base = `/api/pipelines/${encodeURIComponent(machine)}/executions/${encodeURIComponent(name)}`;
    const id = workflowId ?? `sfn-exec:${machine}:${name}`;
    return {
      self: base,
      history: `${base}/history`,
      stop: `${base}/stop`,
      redrive: `${base}/redrive`,
      temporalUi: svc.temporalUi(id),
    };
  };
  const machineView = (m: StateMachineRecord) => {
    let definition: unknown = m.definition;
    try {
      definition = JSON.parse(m.definition);
    } catch {
      // Stored as given; always JSON, since it was validated.
    }
    return {
      name: m.name,
      arn: m.arn,
      type: m.type,
      definition,
      roleArn: m.roleArn,
      defaultExecutionMode: m.defaultExecutionMode,
      creationDate: iso(m.creationDate)!,
      updateDate: iso(m.updateDate)!,
      revisionId: m.revisionId,
      revisions: m.revisions.length,
      ...(m.description !== undefined ? { description: m.description } : {}),
      status: m.status,
      links: machineLinks(m.name),
    };
  };
  const tags = ['pipelines'];

  app.get(
    '/api/pipelines',
    {
      schema: {
        tags,
        operationId: 'listPipelines',
        summary: 'List pipelines (state machines)',
        querystring: ListPipelinesQuery,
        response: { 200: PipelineListResponse, ...errorResponses(400, 429, 503) },
      },
    },
    async (request) =>
      rest(async () => {
        const page = await svc.listStateMachines(
          request.query.limit ? Number(request.query.limit) : 100,
          request.query.cursor,
        );
        return {
          pipelines: page.stateMachines.map((m) => ({
            name: m.name,
            arn: m.stateMachineArn,
            type: m.type,
            creationDate: iso(m.creationDate)!,
          })),
          nextCursor: page.nextToken ?? null,
        };
      }),
  );

  app.post(
    '/api/pipelines',
    {
      schema: {
        tags,
        operationId: 'createPipeline',
        summary: 'Create a pipeline from an Amazon States Language definition (validated)',
        body: CreatePipelineBody,
        response: { 200: PipelineResponse, 201: PipelineResponse, ...errorResponses(400, 409, 413, 415, 429, 503) },
      },
    },
    async (request, reply) =>
      rest(async () => {
        const b = request.body;
        const created = await svc.createStateMachine({
          name: b.name,
          definition: text(b.definition),
          ...(b.roleArn ? { roleArn: b.roleArn } : {}),
          ...(b.type ? { type: b.type } : {}),
          ...(b.defaultExecutionMode ? { defaultExecutionMode: b.defaultExecutionMode } : {}),
          ...(b.description !== undefined ? { description: b.description } : {}),
        });
        return reply
          .code(created.existed ? 200 : 201)
          .header('location', machineLinks(created.name).self)
          .send(machineView(created));
      }),
  );

  app.post(
    '/api/pipelines/validate',
    {
      schema: {
        tags,
        operationId: 'validatePipeline',
        summary: 'Validate a definition; every problem names the state and the field',
        body: ValidateBody,
        response: { 200: ValidationResponse, ...errorResponses(400, 413, 415, 429) },
      },
    },
    async (request) => svc.validate(text(request.body.definition)),
  );

  app.get(
    '/api/pipelines/:name',
    {
      schema: {
        tags,
        operationId: 'getPipeline',
        summary: 'A pipeline and its definition',
        params: PipelineParams,
        response: { 200: PipelineResponse, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) =>
      rest(async () => machineView(await svc.describeStateMachine(stateMachineArn(scope, request.params.name)))),
  );

  app.put(
    '/api/pipelines/:name',
    {
      schema: {
        tags,
        operationId: 'updatePipeline',
        summary: 'Update a pipeline: a new revision; running executions keep theirs',
        params: PipelineParams,
        body: UpdatePipelineBody,
        response: { 200: PipelineResponse, ...errorResponses(400, 404, 413, 415, 429, 503) },
      },
    },
    async (request) =>
      rest(async () => {
        const b = request.body;
        const record = await svc.updateStateMachine(stateMachineArn(scope, request.params.name), {
          ...(b.definition !== undefined ? { definition: text(b.definition) } : {}),
          ...(b.roleArn !== undefined ? { roleArn: b.roleArn } : {}),
          ...(b.defaultExecutionMode !== undefined ? { defaultExecutionMode: b.defaultExecutionMode } : {}),
          ...(b.description !== undefined ? { description: b.description } : {}),
        });
        return machineView(record);
      }),
  );

  app.delete(
    '/api/pipelines/:name',
    {
      schema: {
        tags,
        operationId: 'deletePipeline',
        summary: 'Delete a pipeline; its running executions go on',
        params: PipelineParams,
        response: { 204: { type: 'null' }, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request, reply) =>
      rest(async () => {
        await svc.describeStateMachine(stateMachineArn(scope, request.params.name));
        await svc.deleteStateMachine(stateMachineArn(scope, request.params.name));
        return reply.code(204).send();
      }),
  );

  app.post(
    '/api/pipelines/:name/executions',
    {
      schema: {
        tags,
        operationId: 'startPipelineExecution',
        summary: 'Start an execution; its name is an idempotency key (same name and input: the same execution)',
        params: PipelineParams,
        body: StartExecutionBody,
        response: {
          200: StartedExecutionResponse,
          201: StartedExecutionResponse,
          ...errorResponses(400, 404, 409, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) =>
      rest(async () => {
        const started = await svc.startExecution({
          stateMachineArn: stateMachineArn(scope, request.params.name),
          ...(request.body.name ? { name: request.body.name } : {}),
          ...(request.body.input !== undefined ? { input: JSON.stringify(request.body.input) } : {}),
        });
        const name = started.executionArn.split(':').at(-1)!;
        const links = execLinks(request.params.name, name, started.workflowId);
        return reply
          .code(started.existed ? 200 : 201)
          .header('location', links.self)
          .send({
            name,
            executionArn: started.executionArn,
            startDate: iso(started.startDate)!,
            idempotentReplay: started.existed,
            links,
          });
      }),
  );

  app.get(
    '/api/pipelines/:name/executions',
    {
      schema: {
        tags,
        operationId: 'listPipelineExecutions',
        summary: "A pipeline's executions from Temporal visibility, newest first",
        params: PipelineParams,
        querystring: ListExecutionsQuery,
        response: { 200: ExecutionListResponse, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) =>
      rest(async () => {
        const page = await svc.listExecutions({
          stateMachineArn: stateMachineArn(scope, request.params.name),
          ...(request.query.status ? { statusFilter: request.query.status } : {}),
          ...(request.query.limit ? { maxResults: Number(request.query.limit) } : {}),
          ...(request.query.cursor ? { nextToken: request.query.cursor } : {}),
        });
        return {
          executions: page.executions.map((e) => ({
            name: e.name,
            executionArn: e.executionArn,
            stateMachineArn: e.stateMachineArn,
            status: e.status,
            startDate: iso(e.startDate)!,
            ...(e.stopDate !== undefined ? { stopDate: iso(e.stopDate) } : {}),
            redriveCount: e.redriveCount,
            links: execLinks(request.params.name, e.name),
          })),
          nextCursor: page.nextToken ?? null,
        };
      }),
  );

  const arnOf = (p: { name: string; execution: string }) => executionArn(scope, p.name, p.execution);

  app.get(
    '/api/pipelines/:name/executions/:execution',
    {
      schema: {
        tags,
        operationId: 'getPipelineExecution',
        summary: 'One execution: status, input and output, every state with its attempts, placement and cost, Map Runs',
        params: ExecutionParams,
        response: { 200: ExecutionResponse, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) =>
      rest(async () => {
        const d = await svc.describeExecution(arnOf(request.params));
        const record = d.description?.record;
        return {
          name: d.name,
          executionArn: d.executionArn,
          stateMachineArn: d.stateMachineArn,
          status: d.status,
          temporalStatus: d.temporalStatus,
          startDate: iso(d.startDate)!,
          ...(d.stopDate !== undefined ? { stopDate: iso(d.stopDate) } : {}),
          input: d.input,
          ...(d.output !== undefined ? { output: d.output } : {}),
          ...(d.error !== undefined ? { error: d.error } : {}),
          ...(d.cause !== undefined ? { cause: d.cause } : {}),
          redriveCount: d.redriveCount,
          ...(d.redriveDate !== undefined ? { redriveDate: iso(d.redriveDate) } : {}),
          redriveStatus: d.redriveStatus,
          ...(d.description ? { definition: d.description.definition as unknown as JsonValue } : {}),
          ...(d.description ? { defaultExecutionMode: d.description.context.defaultExecutionMode } : {}),
          ...(record ? { transitions: record.transitions, historyDropped: record.dropped } : {}),
          states: record?.states ?? {},
          ...(record ? { costUsd: executionCostUsd(record.states), revision: record.revision ?? 0 } : {}),
          mapRuns: record?.mapRuns ?? [],
          links: execLinks(request.params.name, request.params.execution, d.workflowId),
        };
      }),
  );

  app.get(
    '/api/pipelines/:name/executions/:execution/history',
    {
      schema: {
        tags,
        operationId: 'getPipelineExecutionHistory',
        summary: "The execution's history in Step Functions' shape (bounded: see `dropped`)",
        params: ExecutionParams,
        response: { 200: HistoryResponse, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) =>
      rest(async () => {
        const history = await svc.executionHistory(arnOf(request.params));
        return { events: history.events.map((e) => ({ ...e, timestamp: iso(e.timestamp) })), dropped: history.dropped };
      }),
  );

  app.post(
    '/api/pipelines/:name/executions/:execution/stop',
    {
      schema: {
        tags,
        operationId: 'stopPipelineExecution',
        summary: 'Stop a running execution (it ends ABORTED; its running tasks are cancelled)',
        params: ExecutionParams,
        body: StopBody,
        response: { 202: ActionResponse, ...errorResponses(400, 404, 409, 415, 429, 503) },
      },
    },
    async (request, reply) =>
      rest(async () => {
        const d = await svc.describeExecution(arnOf(request.params));
        if (d.status !== 'RUNNING') {
          throw new PipelineError('TaskTimedOut', `execution "${d.name}" has already ended (${d.status})`);
        }
        await svc.stopExecution(arnOf(request.params), request.body?.error, request.body?.cause);
        return reply.code(202).send({
          name: d.name,
          executionArn: d.executionArn,
          action: 'stop',
          at: new Date().toISOString(),
          links: execLinks(request.params.name, request.params.execution, d.workflowId),
        });
      }),
  );

  app.post(
    '/api/pipelines/:name/executions/:execution/redrive',
    {
      schema: {
        tags,
        operationId: 'redrivePipelineExecution',
        summary: 'Redrive a FAILED, TIMED_OUT or ABORTED execution from the states that did not succeed',
        params: ExecutionParams,
        response: { 202: ActionResponse, ...errorResponses(400, 404, 409, 429, 503) },
      },
    },
    async (request, reply) =>
      rest(async () => {
        const { redriveDate } = await svc.redriveExecution(arnOf(request.params));
        return reply.code(202).send({
          name: request.params.execution,
          executionArn: arnOf(request.params),
          action: 'redrive',
          at: iso(redriveDate)!,
          links: execLinks(request.params.name, request.params.execution),
        });
      }),
  );

  // ---------- executions on a remote (AWS) Step Functions ----------
  const remoteView = (r: {
    executionArn: string;
    workflowId: string;
    status: string;
    startDate?: number;
    stopDate?: number;
    output?: string;
    error?: string;
    cause?: string;
    polls?: number;
    endpoint?: string;
  }) => {
    let output: unknown = r.output;
    try {
      if (typeof r.output === 'string') output = JSON.parse(r.output);
    } catch {
      // Shown as text.
    }
    return {
      executionArn: r.executionArn,
      workflowId: r.workflowId,
      status: r.status,
      ...(r.startDate !== undefined ? { startDate: iso(r.startDate) } : {}),
      ...(r.stopDate !== undefined ? { stopDate: iso(r.stopDate) } : {}),
      ...(output !== undefined ? { output } : {}),
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.cause !== undefined ? { cause: r.cause } : {}),
      ...(r.polls !== undefined ? { polls: r.polls } : {}),
      ...(r.endpoint !== undefined ? { endpoint: r.endpoint } : {}),
    };
  };

  app.post(
    '/api/pipelines/remote/executions',
    {
      schema: {
        tags,
        operationId: 'startRemotePipelineExecution',
        summary: 'Start an execution on the configured AWS Step Functions and follow it (SFN_ENDPOINT / SFN_REMOTE)',
        body: RemoteStartBody,
        response: { 201: RemoteExecutionResponse, ...errorResponses(400, 409, 415, 429, 503) },
      },
    },
    async (request, reply) =>
      rest(async () => {
        const started = await svc.remote.start({
          stateMachineArn: request.body.stateMachineArn,
          ...(request.body.name ? { name: request.body.name } : {}),
          ...(request.body.input !== undefined ? { input: JSON.stringify(request.body.input) } : {}),
        });
        return reply.code(201).send(remoteView({ ...started, status: 'RUNNING' }));
      }),
  );

  app.get(
    '/api/pipelines/remote/executions',
    {
      schema: {
        tags,
        operationId: 'listRemotePipelineExecutions',
        summary: 'Executions followed on the remote Step Functions, from Temporal visibility',
        response: {
          200: Type.Object({ executions: Type.Array(RemoteExecutionResponse) }),
          ...errorResponses(429, 503),
        },
      },
    },
    async () => rest(async () => ({ executions: (await svc.remote.list()).map(remoteView) })),
  );

  app.get(
    '/api/pipelines/remote/executions/:id',
    {
      schema: {
        tags,
        operationId: 'getRemotePipelineExecution',
        summary: 'One followed remote execution: its last DescribeExecution',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: RemoteExecutionResponse, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) => rest(async () => remoteView(await svc.remote.describe(request.params.id))),
  );
};
