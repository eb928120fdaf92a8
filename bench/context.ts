// What every section gets: the options, the running stack, a Temporal client, the memory sampler and where to put
// its rows and target verdicts.
import type { Client } from '@temporalio/client';
import type { BenchStack } from './bench-stack';
import type { MemorySampler } from './memory';
import type { BenchOptions } from './options';
import type { Row, TargetResult } from './report';

export interface BenchContext {
  options: BenchOptions;
  stack: BenchStack;
  client: Client;
  memory: MemorySampler;
  rows: Row[];
  targets: TargetResult[];
  log(message: string): void;
}
