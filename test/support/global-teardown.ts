import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as { __spillwayTestStack?: { stop(graceMs?: number): Promise<void> } }).__spillwayTestStack;
  await stack?.stop(5_000);
  const file = process.env.SPILLWAY_TEST_STACK_FILE;
  if (file) rmSync(file, { force: true });
}
