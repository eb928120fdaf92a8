// State and LastUpdateStatus as AWS reports them while a package is being prepared, and what is refused meanwhile.
// The service holds each change until the test opens its gate (activationHold), so "still Pending" stays certain
// however long the calls in between take on a busy machine.
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  PublishVersionCommand,
  ResourceConflictException,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import type { Harness } from './helpers';
import { decodePayload, ROLE, startHarness, waitActive, waitUpdated, zipOf } from './helpers';

let h: Harness;
/** While closed, every activation waits: functions stay Pending and updates InProgress. */
const gate = {
  waiters: [] as Array<() => void>,
  open: true,
  wait(): Promise<void> {
    return this.open ? Promise.resolve() : new Promise<void>((resolve) => this.waiters.push(resolve));
  },
  close() {
    this.open = false;
  },
  release() {
    this.open = true;
    for (const resolve of this.waiters.splice(0)) resolve();
  },
};
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:slow-start';

const pkg = (marker: string) =>
  zipOf([
    {
      name: 'index.js',
      data: `exports.handler = async () => ({ marker: '${marker}', setting: process.env.SETTING });`,
    },
  ]);

beforeAll(async () => {
  h = await startHarness({ activationHold: () => gate.wait() });
});

afterAll(async () => {
  gate.release();
  await h.stop();
});

function conflict(promise: Promise<unknown>): Promise<ResourceConflictException> {
  return promise.then(
    () => {
      throw new Error('expected ResourceConflictException');
    },
    (err: unknown) => err as ResourceConflictException,
  );
}

test('a new function is Pending until its package is ready; Invoke meanwhile is ResourceConflictException', async () => {
  gate.close();
  const created = await h.client.send(
    new CreateFunctionCommand({
      FunctionName: 'slow-start',
      Runtime: 'nodejs20.x',
      Role: ROLE,
      Handler: 'index.handler',
      Code: { ZipFile: await pkg('one') },
      Environment: { Variables: { SETTING: 'first' } },
    }),
  );
  expect(created).toMatchObject({ State: 'Pending', StateReasonCode: 'Creating' });
  const err = await conflict(h.client.send(new InvokeCommand({ FunctionName: 'slow-start' })));
  expect(err).toBeInstanceOf(ResourceConflictException);
  expect(err.$metadata.httpStatusCode).toBe(409);
  expect(err.message).toBe(
    'The operation cannot be performed at this time. The function is currently in the following state: Pending',
  );
  const updateErr = await conflict(
    h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'slow-start', Timeout: 9 })),
  );
  expect(updateErr).toBeInstanceOf(ResourceConflictException);
  const still = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'slow-start' }));
  expect(still).toMatchObject({ State: 'Pending', StateReasonCode: 'Creating' });
  gate.release();
  await waitActive(h.client, 'slow-start');
  const out = await h.client.send(new InvokeCommand({ FunctionName: 'slow-start' }));
  expect(decodePayload(out.Payload)).toEqual({ marker: 'one', setting: 'first' });
});

test('during an update the previous package still runs, and further updates and publishing are refused', async () => {
  gate.close();
  const started = await h.client.send(
    new UpdateFunctionCodeCommand({ FunctionName: 'slow-start', ZipFile: await pkg('two') }),
  );
  expect(started).toMatchObject({
    State: 'Active',
    LastUpdateStatus: 'InProgress',
    LastUpdateStatusReasonCode: 'Creating',
  });
  const during = await h.client.send(new InvokeCommand({ FunctionName: 'slow-start' }));
  expect(decodePayload(during.Payload)).toEqual({ marker: 'one', setting: 'first' });
  const config = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'slow-start' }));
  expect(config.LastUpdateStatus).toBe('InProgress');

  const again = await conflict(
    h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'slow-start', ZipFile: await pkg('three') })),
  );
  expect(again.message).toBe(
    `The operation cannot be performed at this time. An update is in progress for resource: ${ARN}`,
  );
  const publish = await conflict(h.client.send(new PublishVersionCommand({ FunctionName: 'slow-start' })));
  expect(publish).toBeInstanceOf(ResourceConflictException);

  gate.release();
  await waitUpdated(h.client, 'slow-start');
  const after = await h.client.send(new InvokeCommand({ FunctionName: 'slow-start' }));
  expect(decodePayload(after.Payload)).toEqual({ marker: 'two', setting: 'first' });
  const done = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'slow-start' }));
  expect(done).toMatchObject({ State: 'Active', LastUpdateStatus: 'Successful' });
  expect(done.LastUpdateStatusReason).toBeUndefined();
});
