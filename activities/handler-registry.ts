// Maps function names to their handler modules in functions/. Modules load on first use, so a worker that never
// runs image tasks never pays for loading the image library.
import path from 'node:path';
import { findFunction } from '../domain/function-catalog';
import type { TaskHandler } from '../domain/handler-contract';

/** Thrown by the registry when a task names a function that the catalog does not declare. */
export class UnknownFunctionError extends Error {
  override readonly name = 'UnknownFunctionError';
}

export interface HandlerRegistry {
  resolve(functionName: string): TaskHandler;
}

export function createHandlerRegistry(functionsRoot = path.resolve(__dirname, '..', 'functions')): HandlerRegistry {
  const loaded = new Map<string, TaskHandler>();
  return {
    resolve(functionName) {
      const cached = loaded.get(functionName);
      if (cached) return cached;
      const spec = findFunction(functionName);
      if (!spec) throw new UnknownFunctionError(`no function named "${functionName}" is declared`);
      const dot = spec.handler.lastIndexOf('.');
      const modulePath = path.join(functionsRoot, spec.handler.slice(0, dot));
      const exportName = spec.handler.slice(dot + 1);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(modulePath) as Record<string, unknown>;
      const handler = mod[exportName];
      if (typeof handler !== 'function') {
        throw new UnknownFunctionError(`${modulePath} does not export a handler named "${exportName}"`);
      }
      loaded.set(functionName, handler as TaskHandler);
      return handler as TaskHandler;
    },
  };
}
