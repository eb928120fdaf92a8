import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as { __spillwayTestStack?: { stop(graceMs?: number): Promise<void> } }).__spillwayTestStack;
  await stack?.stop(5_000);
  const file = process.env.SPILLWAY_TEST_STACK_FILE;
  if (!file) return;
  try {
    const { packageCacheDir } = JSON.parse(readFileSync(file, 'utf8')) as { packageCacheDir?: string };
    if (packageCacheDir) rmSync(packageCacheDir, { recursive: true, force: true });
  } catch {
    // No stack file: the setup never got that far.
  }
  rmSync(path.join(path.dirname(file), `lambda-${process.pid}`), { recursive: true, force: true });
  rmSync(file, { force: true });
}
