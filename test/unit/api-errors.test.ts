import {
  NamespaceNotFoundError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { toSpillwayError } from '../../api/errors';

const grpc = (code: number, message = 'grpc failure') =>
  new ServiceError(message, { cause: Object.assign(new Error(message), { code }) });

describe('the one mapping of failures to HTTP', () => {
  const cases: Array<[string, unknown, number, string]> = [
    ['a task that does not exist', new WorkflowNotFoundError('gone', 't-1', undefined), 404, 'SPILLWAY_TASK_NOT_FOUND'],
    [
      'an id already used',
      new WorkflowExecutionAlreadyStartedError('used', 't-1', 'runTask'),
      409,
      'SPILLWAY_TASK_ALREADY_EXISTS',
    ],
    // Temporal's answer while its database is down: the server is there but cannot serve.
    ['a namespace Temporal cannot read', new NamespaceNotFoundError('default'), 503, 'SPILLWAY_TEMPORAL_UNAVAILABLE'],
    ['Temporal unreachable', grpc(14), 503, 'SPILLWAY_TEMPORAL_UNAVAILABLE'],
    ['a Temporal deadline', grpc(4), 503, 'SPILLWAY_TEMPORAL_UNAVAILABLE'],
    ['Temporal NOT_FOUND', grpc(5), 404, 'SPILLWAY_TASK_NOT_FOUND'],
    ['a body that is not JSON', new SyntaxError('Unexpected token'), 400, 'SPILLWAY_INVALID_JSON'],
    ['anything else', new Error('kaboom'), 500, 'SPILLWAY_INTERNAL_ERROR'],
  ];

  it.each(cases)('%s', (_name, err, statusCode, code) => {
    const mapped = toSpillwayError(err);
    expect({ statusCode: mapped.statusCode, code: mapped.code }).toEqual({ statusCode, code });
  });

  it('never lets an internal message through', () => {
    expect(toSpillwayError(new Error('password=hunter2')).message).not.toMatch(/hunter2/);
  });

  it('names the namespace it could not read', () => {
    expect(toSpillwayError(new NamespaceNotFoundError('tenant-a')).message).toMatch(/"tenant-a"/);
  });
});
