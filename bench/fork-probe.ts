// The cold-start baseline: the least a Node.js child can do, tell its parent over IPC that it is up. Forking this
// measures what any process-per-environment runtime pays before it loads a handler.
//   node fork-probe.js --measure=N   forks itself N times (after 2 unmeasured forks) and prints the times as JSON.
// The measuring runs in its own small process, because fork time grows with the parent's size and the bench
// driver is much larger than the Lambda service that forks environments.
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';

function forkOnce(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      serialization: 'json',
      execArgv: [],
    });
    let readyAt = 0;
    child.once('message', () => (readyAt = performance.now()));
    child.once('error', reject);
    child.once('exit', () =>
      readyAt ? resolve(readyAt - t0) : reject(new Error('fork probe exited without a message')),
    );
  });
}

async function measure(n: number): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < n + 2; i++) {
    const ms = await forkOnce();
    if (i >= 2) times.push(ms);
  }
  process.stdout.write(JSON.stringify(times));
}

const measureArg = process.argv.find((a) => a.startsWith('--measure='));
if (measureArg) {
  measure(Number(measureArg.slice('--measure='.length))).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else if (process.send) {
  process.send({ ready: performance.now() }, () => process.disconnect());
}
