// Preloaded (NODE_OPTIONS=--require) by the fault-injection suite into every execution environment, those of the
// worker's local pool and those of the local Lambda service: wraps the deployed `flaky` function's handler so that
// every execution of its side effect is appended, one JSON line per event, to the ledger file named by FAULTS_LEDGER.
// The suite counts executions per task and attempt from this file, independently of what Spillway itself reports.
// Plain JavaScript: it runs before anything is compiled.
'use strict';
const { appendFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const ledger = process.env.FAULTS_LEDGER;
const taskRoot = process.env.LAMBDA_TASK_ROOT;
const isFlaky = process.env.AWS_LAMBDA_FUNCTION_NAME === 'flaky' && taskRoot;
// The process that hosts this environment (the worker or the Lambda service), read now: once the host is killed the
// environment's parent changes.
const hostPid = process.ppid;
const where = process.env.SPILLWAY_PLACEMENT === 'LOCAL' ? 'LOCAL' : 'LAMBDA';

function record(entry) {
  // One write(2) with O_APPEND per line: lines from concurrent processes never interleave.
  appendFileSync(ledger, `${JSON.stringify({ ...entry, pid: hostPid, at: Date.now() })}\n`);
}

function wrap(handler) {
  // Two declared parameters, like the original: the Lambda bootstrap picks the calling style by arity.
  return function probedHandler(event, context) {
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

if (ledger && isFlaky) {
  const target = path.join(taskRoot, 'index.js');
  const load = Module._load;
  Module._load = function probedLoad(request, parent, isMain) {
    const exports = load.apply(this, arguments);
    if (typeof request !== 'string') return exports;
    let file;
    try {
      file = Module._resolveFilename(request, parent, isMain);
    } catch {
      return exports; // Not resolvable as a file (a builtin): nothing to wrap.
    }
    if (file !== target || !exports || typeof exports.handler !== 'function') return exports;
    // A bundle's exports are getters that cannot be assigned: hand the runtime a copy with the handler wrapped.
    return { ...exports, handler: wrap(exports.handler) };
  };
}
