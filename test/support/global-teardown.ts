export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as { __spillwayTestStack?: { stop(graceMs?: number): Promise<void> } }).__spillwayTestStack;
  await stack?.stop(5_000);
}
