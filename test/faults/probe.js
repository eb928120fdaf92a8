// Preloaded (NODE_OPTIONS=--require) into the worker and into every local Lambda execution environment by the
// fault-injection suite: wraps the `flaky` handler so that every execution of its side effect is appended, one JSON
// line per event, to the ledger file named by FAULTS_LEDGER. The suite counts executions per task and attempt from
// this file, independently of what Spillway itself reports. Plain JavaScript: it runs before anything is compiled.
'use strict';
const { appendFileSync } = require('node:fs');
const Module = require('node:module');

const ledger = process.env.FAULTS_LEDGER;
const TARGET = /[\\/]functions[\\/]flaky[\\/]index\.js$/;

function record(entry) {
  // One write(2) with O_APPEND per line: lines from concurrent processes never interleave.
  appendFileSync(ledger, `${JSON.stringify({ ...entry, pid: process.pid, at: Date.now() })}\n`);
}

function wrap(handler) {
  // Two declared parameters, like the original: the Lambda bootstrap picks the calling style by arity.
  return function probedHandler(event, context) {
    const where = process.env.AWS_LAMBDA_FUNCTION_NAME ? 'LAMBDA' : 'LOCAL';
    if (!event || typeof event.taskId !== 'string') return handler(event, context);
    const base = { taskId: event.taskId, attempt: event.attempt, where };
    record({ ...base, phase: 'start' });
    return Promise.resolve()
      .then(() => handler(event, context))
      .then(
        (result) => {
          record({ ...base, phase: 'end', ok: true });
          return result;
        },
        (err) => {
          record({ ...base, phase: 'end', ok: false, error: err && err.name });
          throw err;
        },
      );
  };
}

if (ledger) {
  const load = Module._load;
  const wrapped = new WeakSet();
  Module._load = function probedLoad(request, parent, isMain) {
    const exports = load.apply(this, arguments);
    if (typeof request !== 'string' || !request.includes('flaky')) return exports;
    try {
      const file = Module._resolveFilename(request, parent, isMain);
      if (TARGET.test(file) && exports && typeof exports.handler === 'function' && !wrapped.has(exports)) {
        wrapped.add(exports);
        exports.handler = wrap(exports.handler);
      }
    } catch {
      // Not resolvable as a file (a builtin): nothing to wrap.
    }
    return exports;
  };
}
