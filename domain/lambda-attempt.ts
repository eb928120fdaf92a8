// Builds the record of one Lambda attempt from what the invocation reported, with its cost. The activity uses it
// for synchronous invocations and the callback route for asynchronous ones, so both account the same way.
import { lambdaCost, type PriceTable } from './cost-model';
import type { Architecture } from './deployed-function';
import type { AttemptRecord, TaskError } from './task-model';

export interface LambdaFacts {
  coldStart: boolean;
  durationMs: number;
  billedDurationMs?: number;
  initDurationMs?: number;
  memoryMB: number;
  maxMemoryUsedMB?: number;
  /** How much the invocations started with it stretched a cold start's init (domain/placement-predictor.ts). */
  initContention?: number;
}

export function lambdaAttemptRecord(input: {
  attempt: number;
  functionVersion?: string;
  codeSha256?: string;
  startedAt: string;
  finishedAt: string;
  outcome: 'succeeded' | 'failed';
  error?: TaskError;
  facts: LambdaFacts;
  architecture: Architecture;
  prices: PriceTable;
}): AttemptRecord {
  const { facts } = input;
  const billedDurationMs = facts.billedDurationMs ?? Math.max(1, Math.ceil(facts.durationMs));
  const initDurationMs = facts.coldStart ? facts.initDurationMs : undefined;
  return {
    attempt: input.attempt,
    placement: 'LAMBDA',
    functionVersion: input.functionVersion,
    codeSha256: input.codeSha256,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    durationMs: Math.round(facts.durationMs * 1000) / 1000,
    outcome: input.outcome,
    error: input.error,
    coldStart: facts.coldStart,
    initDurationMs,
    ...(initDurationMs !== undefined && facts.initContention !== undefined && facts.initContention >= 1
      ? { initContention: Math.round(facts.initContention * 100) / 100 }
      : {}),
    billedDurationMs,
    memoryMB: facts.memoryMB,
    maxMemoryUsedMB: facts.maxMemoryUsedMB,
    costUsd: lambdaCost(input.prices, {
      memoryMB: facts.memoryMB,
      billedDurationMs,
      initDurationMs,
      architecture: input.architecture,
    }),
  };
}
