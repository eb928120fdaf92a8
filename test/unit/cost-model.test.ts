import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { estimateCosts, lambdaCost, localCost, validatePriceTable } from '../../domain/cost-model';
import { loadPriceTable } from '../../domain/price-table';

const prices = validatePriceTable({
  effectiveDate: '2026-11-01',
  currency: 'USD',
  lambda: { requestUsd: 0.0000002, gbSecondUsd: { x86_64: 0.0000166667, arm64: 0.0000133334 } },
  local: { vCpuSecondUsd: 0.0000125 },
});

test('Lambda cost is requests plus GB-seconds of billed duration at the architecture price', () => {
  // 1024 MB for 1000 ms = 1 GB-second.
  expect(lambdaCost(prices, { memoryMB: 1024, billedDurationMs: 1000, architecture: 'x86_64' })).toBeCloseTo(
    0.0000168667,
    12,
  );
  expect(lambdaCost(prices, { memoryMB: 1024, billedDurationMs: 1000, architecture: 'arm64' })).toBeCloseTo(
    0.0000135334,
    12,
  );
  // 128 MB for 1 ms, a million times.
  expect(
    lambdaCost(prices, { memoryMB: 128, billedDurationMs: 1, architecture: 'x86_64', requests: 1_000_000 }),
  ).toBeCloseTo(0.2 + 1_000_000 * (0.125 * 0.001 * 0.0000166667), 6);
});

test('a cold start bills its init duration too', () => {
  const warm = lambdaCost(prices, { memoryMB: 512, billedDurationMs: 100, architecture: 'x86_64' });
  const cold = lambdaCost(prices, {
    memoryMB: 512,
    billedDurationMs: 100,
    initDurationMs: 150.2,
    architecture: 'x86_64',
  });
  expect(cold - warm).toBeCloseTo(0.5 * 0.151 * 0.0000166667, 12);
});

test('local cost is the vCPU-second price times CPU time', () => {
  expect(localCost(prices, 2000)).toBeCloseTo(0.000025, 12);
});

test('an estimate prices both placements and both architectures', () => {
  const estimate = estimateCosts(prices, 400, 1024);
  expect(estimate).toEqual({
    priceTableDate: '2026-11-01',
    local: expect.any(Number),
    lambda: { x86_64: expect.any(Number), arm64: expect.any(Number) },
    basis: { expectedDurationMs: 400, memoryMB: 1024 },
  });
  expect(estimate.lambda.arm64).toBeLessThan(estimate.lambda.x86_64);
});

test('a bad price table is refused with a clear message', () => {
  expect(() => validatePriceTable({ effectiveDate: 'yesterday' })).toThrow(/not a valid price table/);
});

test('the shipped price table is valid and dated', () => {
  expect(loadPriceTable().effectiveDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
});

test('a price table asked for by file is that file, even after the default one was loaded', () => {
  const shipped = loadPriceTable();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spillway-prices-'));
  try {
    const file = path.join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ ...shipped, effectiveDate: '2001-02-03' }));
    expect(loadPriceTable(file).effectiveDate).toBe('2001-02-03');
    // And the default is still the shipped one.
    expect(loadPriceTable().effectiveDate).toBe(shipped.effectiveDate);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
