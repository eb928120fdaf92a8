import { PermanentTaskError, TaskCancelledError } from '../../domain/handler-contract';
import { handler } from '../../examples/functions/flaky';
import type { FlakyResult } from '../../examples/functions/flaky';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { taskEvent, testContext } from './context';

const run = (payload: unknown, attempt = 1, ctx = testContext('flaky')) =>
  handler(taskEvent('flaky', payload, attempt), ctx.context) as Promise<FlakyResult>;

describe('flaky', () => {
  it('succeeds at once with an empty payload', async () => {
    await expect(run({}, 1)).resolves.toEqual({ attempt: 1, heldMs: 0, sleptMs: 0, succeededAfterFailures: 0 });
  });

  it('fails while attempt <= failAttempts with the given error name, then succeeds', async () => {
    const payload = { failAttempts: 2, errorType: 'UpstreamDown' };
    for (const attempt of [1, 2]) {
      const error = await run(payload, attempt).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('UpstreamDown');
      expect((error as Error).message).toContain(`attempt ${attempt}`);
    }
    await expect(run(payload, 3)).resolves.toEqual({ attempt: 3, heldMs: 0, sleptMs: 0, succeededAfterFailures: 2 });
  });

  it('uses FlakyError as the default error name', async () => {
    await expect(run({ failAttempts: 1 }, 1)).rejects.toMatchObject({ name: 'FlakyError' });
  });

  it('throws PermanentTaskError when permanent, on every attempt unless failAttempts limits it', async () => {
    await expect(run({ permanent: true }, 1)).rejects.toBeInstanceOf(PermanentTaskError);
    await expect(run({ permanent: true }, 7)).rejects.toBeInstanceOf(PermanentTaskError);
    await expect(run({ permanent: true, failAttempts: 1 }, 1)).rejects.toBeInstanceOf(PermanentTaskError);
    await expect(run({ permanent: true, failAttempts: 1 }, 2)).resolves.toMatchObject({ attempt: 2 });
  });

  describe('crash', () => {
    const saved = process.env.AWS_LAMBDA_FUNCTION_NAME;
    afterEach(() => {
      if (saved === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      else process.env.AWS_LAMBDA_FUNCTION_NAME = saved;
      jest.restoreAllMocks();
    });

    it('throws CrashRequestedError outside Lambda instead of exiting', async () => {
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      const exit = jest.spyOn(process, 'exit').mockImplementation(() => undefined as never);
      await expect(run({ crash: true }, 1)).rejects.toMatchObject({ name: 'CrashRequestedError' });
      expect(exit).not.toHaveBeenCalled();
    });

    it('exits the process inside Lambda, only while attempt <= crashAttempts', async () => {
      process.env.AWS_LAMBDA_FUNCTION_NAME = 'flaky';
      const exit = jest.spyOn(process, 'exit').mockImplementation((code) => {
        throw new Error(`exit ${String(code)}`);
      });
      await expect(run({ crash: true, crashAttempts: 1 }, 1)).rejects.toThrow('exit 1');
      expect(exit).toHaveBeenCalledWith(1);
      await expect(run({ crash: true, crashAttempts: 1 }, 2)).resolves.toMatchObject({ attempt: 2 });
      expect(exit).toHaveBeenCalledTimes(1);
    });
  });

  it('sleeps for sleepMs and reports progress', async () => {
    const ctx = testContext('flaky');
    const result = await run({ sleepMs: 600 }, 1, ctx);
    expect(result.sleptMs).toBeGreaterThanOrEqual(600);
    expect(ctx.progress.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(ctx.progress).toHaveBeenCalledWith(expect.objectContaining({ sleepMs: 600 }));
  });

  it('stops sleeping when cancelled', async () => {
    const ctx = testContext('flaky');
    // The longest sleep there is: only cancellation can end it before the test times out.
    const pending = run({ sleepMs: 900_000 }, 1, ctx);
    setTimeout(() => ctx.controller.abort(), 100);
    await expect(pending).rejects.toBeInstanceOf(TaskCancelledError);
  });

  describe('holdUntil', () => {
    let server: Server;
    let url: string;
    let open = false;
    let polls = 0;
    beforeAll(async () => {
      server = createServer((_req, res) => {
        polls++;
        res.writeHead(open ? 200 : 503).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/release`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('holds the attempt until the URL answers 2xx, then runs it', async () => {
      open = false;
      polls = 0;
      const pending = run({ holdUntil: url, failAttempts: 0 }, 1);
      let settled = false;
      void pending.finally(() => (settled = true));
      // Held for as long as the URL says no: several polls and still not settled.
      while (polls < 3) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(settled).toBe(false);
      open = true;
      await expect(pending).resolves.toEqual({
        attempt: 1,
        heldMs: expect.any(Number),
        sleptMs: 0,
        succeededAfterFailures: 0,
      });
    });

    it('goes on by itself after holdMaxMs', async () => {
      open = false;
      await expect(run({ holdUntil: url, holdMaxMs: 300 }, 2)).resolves.toMatchObject({ attempt: 2 });
    });

    it('stops holding when cancelled', async () => {
      open = false;
      const ctx = testContext('flaky');
      const pending = run({ holdUntil: url, holdMaxMs: 900_000 }, 1, ctx);
      setTimeout(() => ctx.controller.abort(), 100);
      await expect(pending).rejects.toBeInstanceOf(TaskCancelledError);
    });
  });

  it('hangs until cancelled', async () => {
    const ctx = testContext('flaky');
    const pending = run({ hang: true }, 1, ctx);
    let settled = false;
    pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(settled).toBe(false);
    expect(ctx.progress).toHaveBeenCalled();
    ctx.controller.abort();
    await expect(pending).rejects.toBeInstanceOf(TaskCancelledError);
  });

  it.each([
    [{ failAttempts: -1 }, 'failAttempts'],
    [{ failAttempts: 1.5 }, 'failAttempts'],
    [{ sleepMs: 900_001 }, 'sleepMs'],
    [{ sleepMs: '10' }, 'sleepMs'],
    [{ permanent: 'yes' }, 'permanent'],
    [{ errorType: '' }, 'errorType'],
    [{ crashAttempts: -2 }, 'crashAttempts'],
    [{ holdUntil: 'file:///etc/passwd' }, 'holdUntil'],
    [{ holdUntil: 'not a url' }, 'holdUntil'],
    [{ holdMaxMs: -1 }, 'holdMaxMs'],
    ['not an object', 'payload'],
  ])('rejects the bad payload %j', async (payload, field) => {
    await expect(run(payload)).rejects.toMatchObject({
      name: 'InvalidPayloadError',
      message: expect.stringContaining(field),
    });
  });

  it('answers a warm-up event without failing', async () => {
    const result = await handler({ spillway: { warmup: true } }, testContext('flaky').context);
    expect(result).toMatchObject({ warmed: true });
  });
});
