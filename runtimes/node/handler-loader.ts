// Finds and loads the handler that _HANDLER names, the way AWS's Node.js runtime does: `<dir>/<module>.<path>`,
// where the module is tried extensionless, as .js (CommonJS unless the nearest package.json says "type": "module"),
// .mjs and .cjs, and the path may go into nested objects. CommonJS is loaded with require (so Module._load hooks see
// it) and ES modules with import(). Module lookup is confined to the package (module-isolation.ts).
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RuntimeError, wrapCause } from './errors';
import { confineCommonJs, confineEsm } from './module-isolation';

export type Handler = (...args: unknown[]) => unknown;

export const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
export const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');

export interface HandlerMetadata {
  streaming: boolean;
  highWaterMark?: number;
  isAsync: boolean;
  argsNum: number;
}

// tsc compiles import() into require() for CommonJS output; an ES module needs the real thing.
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>;

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The nearest package.json up to the task root decides whether .js is an ES module. */
function typeModule(dir: string, taskRoot: string): boolean {
  for (let at = dir; ; at = path.dirname(at)) {
    if (path.basename(at) === 'node_modules') return false;
    const pj = path.join(at, 'package.json');
    if (existsSync(pj)) {
      try {
        return (JSON.parse(readFileSync(pj, 'utf8')) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    if (at === taskRoot || path.dirname(at) === at) return false;
  }
}

function requireFile(file: string): Record<string, unknown> {
  // The handler's path is only known at run time, as in the AWS runtime.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as Record<string, unknown>;
}

async function loadModule(taskRoot: string, moduleRoot: string, moduleName: string): Promise<Record<string, unknown>> {
  const base = path.resolve(taskRoot, moduleRoot, moduleName);
  if (isFile(base)) return requireFile(base);
  const esm = isFile(`${base}.js`) && typeModule(path.dirname(base), taskRoot);
  if (!esm && isFile(`${base}.js`)) return requireFile(`${base}.js`);
  const esmFile = esm ? `${base}.js` : isFile(`${base}.mjs`) ? `${base}.mjs` : undefined;
  if (esmFile) {
    confineEsm(taskRoot);
    return importModule(pathToFileURL(esmFile).href);
  }
  if (isFile(`${base}.cjs`)) return requireFile(`${base}.cjs`);
  // As AWS does last: a module name that Node can resolve from the task root (a package, say).
  const resolved = require.resolve(moduleName, { paths: [taskRoot, path.resolve(taskRoot, moduleRoot)] });
  return requireFile(resolved);
}

/** Loads the handler; throws the Runtime.* error AWS would. */
export async function loadHandler(taskRoot: string, fullHandler: string): Promise<Handler> {
  if (fullHandler.includes('..')) {
    throw new RuntimeError(
      'MalformedHandlerName',
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const handlerString = path.basename(fullHandler);
  const moduleRoot = fullHandler.slice(0, fullHandler.length - handlerString.length);
  const match = /^([^.]*)\.(.*)$/.exec(handlerString);
  if (!match?.[1] || match[2] === undefined || match[2] === '')
    throw new RuntimeError('MalformedHandlerName', 'Bad handler');
  const [, moduleName, handlerPath] = match;
  confineCommonJs(taskRoot);
  let mod: Record<string, unknown>;
  try {
    mod = await loadModule(taskRoot, moduleRoot, moduleName);
  } catch (err) {
    if (err instanceof SyntaxError) throw wrapCause('UserCodeSyntaxError', err);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      const error = err as Error;
      // The runtime's own absolute path to the handler means nothing to the user; AWS names the module.
      error.message = error.message.replace(`'${path.resolve(taskRoot, moduleRoot, moduleName)}'`, `'${moduleName}'`);
      throw wrapCause('ImportModuleError', error);
    }
    throw err;
  }
  let handler: unknown = mod;
  for (const key of handlerPath.split('.')) {
    handler = handler === undefined || handler === null ? undefined : (handler as Record<string, unknown>)[key];
  }
  if (handler === undefined || handler === null) {
    throw new RuntimeError('HandlerNotFound', `${fullHandler} is undefined or not exported`);
  }
  if (typeof handler !== 'function') throw new RuntimeError('HandlerNotFound', `${fullHandler} is not a function`);
  return handler as Handler;
}

export function handlerMetadata(handler: Handler): HandlerMetadata {
  const marked = (handler as unknown as Record<symbol, unknown>)[STREAMING];
  if (marked !== undefined && marked !== null && marked !== false && marked !== 'response') {
    throw new RuntimeError('MalformedStreamingHandler', 'Only response streaming is supported.');
  }
  const hwm = Number((handler as unknown as Record<symbol, unknown>)[HIGH_WATER_MARK]);
  return {
    streaming: marked === 'response',
    highWaterMark: Number.isFinite(hwm) && hwm > 0 ? hwm : undefined,
    isAsync: handler.constructor?.name === 'AsyncFunction',
    argsNum: handler.length,
  };
}
