// The ASL evaluation library as workflow code imports it. Everything exported here is deterministic and free of
// Node built-ins, and test/workflow/asl-sandbox.test.ts bundles this entry point into a real workflow to prove it.
// validate.ts is deliberately not exported: it uses asl-validator (ajv, jsonpath-plus with `vm`), which belongs in
// the API process; import it from './validate' there.

export * from './choice';
export * from './data-flow';
export * from './definition';
export * from './encoding';
export * from './errors';
export * from './interpreter';
export * from './intrinsics';
export * from './json';
export * from './jsonata-eval';
export * from './paths';
export * from './random';
export * from './run-machine';
export * from './run-state';
export * from './task-resource';
export * from './timestamps';
export * from './arns';
export * from './execution-record';
export * from './map-run';
export * from './progress';
