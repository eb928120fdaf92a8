// The process inside one execution environment: loads the handler once (the cold start), then runs one
// invocation at a time as the service sends them, like the AWS Node.js runtime. Console output is formatted the
// way the AWS runtime formats it and written to stdout, which the service collects into the invocation log.
import { existsSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { format } from 'node:util';
import type { ChildMessage, FunctionErrorBody, InvokeMessage } from './protocol';
import { endOfOutputMarker, HANDLER_ENV, TASK_ROOT_ENV } from './protocol';

/** The part of the AWS Lambda Node.js context object this runtime provides. */
interface HandlerContext {
  functionName: string;
  functionVersion: string;
  awsRequestId: string;
  memoryLimitInMB: string;
  logGroupName?: string;
  getRemainingTimeInMillis(): number;
}

type AnyHandler = (
  event: unknown,
  context: HandlerContext,
  callback?: (err: unknown, result?: unknown) => void,
) => unknown;

let currentRequestId: string | undefined;

function send(message: ChildMessage): void {
  process.send?.(message);
}

function toErrorBody(err: unknown): FunctionErrorBody {
  if (err instanceof Error) {
    // A function may say when it should be tried again (a downstream Retry-After); Spillway honours it.
    const after = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    return {
      errorType: err.name || 'Error',
      errorMessage: err.message,
      trace: (err.stack ?? '').split('\n'),
      ...(typeof after === 'number' && after >= 0 ? { retryAfterSeconds: after } : {}),
    };
  }
  return { errorType: typeof err === 'string' ? 'string' : 'Error', errorMessage: String(err), trace: [] };
}

function captureConsole(): void {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' } as const;
  for (const [method, level] of Object.entries(levels)) {
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const line = `${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${format(...args)}\n`;
      process.stdout.write(line);
    };
  }
}

/**
 * Confines CommonJS module lookup to the package, as on AWS where /var/task has no parent with node_modules. The
 * task root lives under Spillway's data directory, inside the repository, and Node's walk up the parents would
 * otherwise find Spillway's own node_modules and run code the package never shipped. What stays: node_modules
 * folders inside the task root, and NODE_PATH (AWS's /opt/nodejs layer folders, or the function's own setting).
 * Node exposes no public hook for CommonJS lookup paths, so this patches Module._nodeModulePaths, as tools like
 * app-module-path do.
 */
function confineModuleLookup(taskRoot: string): void {
  const loader = Module as unknown as { _nodeModulePaths(from: string): string[]; globalPaths: string[] };
  const original = loader._nodeModulePaths.bind(Module);
  const root = path.resolve(taskRoot);
  loader._nodeModulePaths = (from: string) =>
    original(from).filter((dir) => dir === path.join(root, 'node_modules') || dir.startsWith(root + path.sep));
  const nodePath = (process.env.NODE_PATH ?? '').split(path.delimiter).filter(Boolean);
  loader.globalPaths.splice(0, loader.globalPaths.length, ...nodePath);
}

function runtimeError(name: string, message: string, cause?: unknown): Error {
  const err = new Error(message);
  err.name = name;
  if (cause instanceof Error && cause.stack)
    err.stack = `${name}: ${message}\n${cause.stack.split('\n').slice(1).join('\n')}`;
  return err;
}

/** AWS tries the handler's module as .js, .mjs and .cjs, in that order. */
function findModuleFile(base: string): string {
  for (const ext of ['.js', '.mjs', '.cjs']) if (existsSync(base + ext)) return base + ext;
  return base;
}

function loadHandler(): AnyHandler {
  const spec = process.env[HANDLER_ENV] ?? '';
  const taskRoot = path.resolve(process.env[TASK_ROOT_ENV] ?? process.cwd());
  const dot = spec.lastIndexOf('.');
  if (dot <= 0 || dot === spec.length - 1) {
    throw runtimeError('Runtime.MalformedHandlerName', `Bad handler ${spec}: expected <module>.<function>`);
  }
  const moduleName = spec.slice(0, dot);
  const exportName = spec.slice(dot + 1);
  const modulePath = path.resolve(taskRoot, moduleName);
  if (modulePath !== taskRoot && !modulePath.startsWith(taskRoot + path.sep)) {
    throw runtimeError('Runtime.ImportModuleError', `Error: Cannot find module '${moduleName}' inside the task root`);
  }
  confineModuleLookup(taskRoot);
  let mod: Record<string, unknown>;
  try {
    // The handler path is only known at run time, as in the AWS runtime, so this is a dynamic require.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(findModuleFile(modulePath)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      const message = String((err as Error).message).replace(`'${modulePath}'`, `'${moduleName}'`);
      throw runtimeError('Runtime.ImportModuleError', `Error: ${message}`, err);
    }
    if (err instanceof SyntaxError)
      throw runtimeError('Runtime.UserCodeSyntaxError', `SyntaxError: ${err.message}`, err);
    throw err;
  }
  const handler = mod[exportName];
  if (typeof handler !== 'function') {
    throw runtimeError('Runtime.HandlerNotFound', `${spec} is undefined or not exported`);
  }
  return handler as AnyHandler;
}

function runHandler(handler: AnyHandler, event: unknown, context: HandlerContext): Promise<unknown> {
  // Callback-style handlers (three parameters) finish when they call back; the rest return a promise or a value.
  if (handler.length >= 3) {
    return new Promise((resolve, reject) => {
      const done = (err: unknown, result?: unknown) => (err ? reject(err) : resolve(result));
      Promise.resolve(handler(event, context, done)).catch(reject);
    });
  }
  return Promise.resolve().then(() => handler(event, context));
}

async function invoke(handler: AnyHandler, message: InvokeMessage): Promise<void> {
  currentRequestId = message.requestId;
  const context: HandlerContext = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? '',
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    awsRequestId: message.requestId,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
  try {
    const event: unknown = message.payload === '' ? {} : JSON.parse(message.payload);
    const result = await runHandler(handler, event, context);
    process.stdout.write(endOfOutputMarker(message.requestId));
    send({
      type: 'result',
      requestId: message.requestId,
      result: JSON.stringify(result) ?? 'null',
      rss: process.memoryUsage().rss,
    });
  } catch (err) {
    const error = toErrorBody(err);
    console.error('Invoke Error \t%s', JSON.stringify(error));
    process.stdout.write(endOfOutputMarker(message.requestId));
    send({ type: 'error', requestId: message.requestId, error, rss: process.memoryUsage().rss });
  } finally {
    currentRequestId = undefined;
  }
}

async function main(): Promise<void> {
  captureConsole();
  let handler: AnyHandler;
  try {
    handler = loadHandler();
  } catch (err) {
    send({ type: 'init-error', error: toErrorBody(err) });
    return;
  }
  process.on('message', (message: InvokeMessage) => {
    if (message.type === 'invoke') void invoke(handler, message);
  });
  // The host is gone (killed, crashed): nobody will take this environment's answers, and a handler left running
  // would repeat side effects that its retry, elsewhere, makes again.
  process.on('disconnect', () => process.exit(129));
  send({ type: 'ready', rss: process.memoryUsage().rss });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
