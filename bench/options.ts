// Command-line flags and environment variables of `npm run bench`. Flags win over variables.
//   --quick                 small sizes for a fast check (BENCH_QUICK=1)
//   --sizes=100,500,2000    LOCAL-overhead run sizes (BENCH_SIZES)
//   --concurrency=20        tasks in flight in the LOCAL-overhead runs (BENCH_CONCURRENCY)
//   --history=10000         finished tasks before the read-path measurements (BENCH_HISTORY)
//   --burst=40              tasks in the AUTO burst (BENCH_BURST)
//   --pool=10 --threshold=5 SCHEDULER_LOCAL_WORKER_POOL_SIZE / SCHEDULER_LAMBDA_TASK_THRESHOLD (BENCH_POOL, BENCH_THRESHOLD)
//   --only=local,lambda,auto,policy,regions,reads,scale   sections to run (BENCH_ONLY); memory comes with `local`;
//                           `scale` needs PostgreSQL; `policy` compares the AUTO policies (bench/auto-policy.ts);
//                           `regions` runs predictive AUTO across two Lambda regions (bench/two-region.ts)
//   --policy-rounds=3       times each contender of the AUTO policies section runs each burst; it is judged on the
//                           medians (BENCH_POLICY_ROUNDS; 1 with --quick)
//   --profile               CPU-profile the worker and the API (--cpu-prof) and summarise the profiles (BENCH_PROFILE=1)
//   --keep                  keep the temporary stack directory (Temporal DB, Redis data) (BENCH_KEEP=1)

export type Section = 'local' | 'lambda' | 'auto' | 'policy' | 'regions' | 'reads' | 'scale';
export const SECTIONS: readonly Section[] = ['local', 'lambda', 'auto', 'policy', 'regions', 'reads', 'scale'];

export interface BenchOptions {
  quick: boolean;
  sizes: number[];
  /** The size whose run the memory figures come from: the largest. */
  memorySize: number;
  concurrency: number;
  warmupTasks: number;
  history: number;
  burst: number;
  burstSleepMs: number;
  pool: number;
  threshold: number;
  /** Rounds of the AUTO policies section (bench/auto-policy.ts): each contender runs each burst this many times. */
  policyRounds: number;
  lambdaSamples: number;
  coldSamples: number;
  warmupBurst: number;
  readSamples: number;
  sections: Section[];
  profile: boolean;
  keep: boolean;
  lambdaIdleReclaimMs: number;
}

function flag(argv: string[], name: string): string | undefined {
  for (const arg of argv) {
    if (arg === `--${name}`) return 'true';
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

function positiveInt(raw: string | undefined, name: string, fallback: number, max = 1_000_000): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new Error(`${name} must be a whole number from 1 to ${max}, got "${raw}"`);
  return value;
}

function truthy(raw: string | undefined): boolean {
  return raw !== undefined && /^(1|true|yes|on)$/i.test(raw);
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const known = [
    'quick',
    'sizes',
    'concurrency',
    'history',
    'burst',
    'pool',
    'threshold',
    'policy-rounds',
    'only',
    'profile',
    'keep',
    'help',
  ];
  for (const arg of argv) {
    const name = /^--([a-z-]+)/.exec(arg)?.[1];
    if (!name || !known.includes(name))
      throw new Error(`unknown argument "${arg}"; known: ${known.map((k) => `--${k}`).join(' ')}`);
  }
  const get = (name: string, envName: string) => flag(argv, name) ?? env[envName];
  const quick = truthy(get('quick', 'BENCH_QUICK'));
  const sizesRaw = get('sizes', 'BENCH_SIZES');
  const sizes = sizesRaw
    ? sizesRaw.split(',').map((s) => positiveInt(s.trim(), 'sizes', 1, 100_000))
    : quick
      ? [100]
      : [100, 500, 2000];
  const onlyRaw = get('only', 'BENCH_ONLY');
  const sections = onlyRaw ? onlyRaw.split(',').map((s) => s.trim()) : [...SECTIONS];
  for (const s of sections) {
    if (!SECTIONS.includes(s as Section)) throw new Error(`--only takes ${SECTIONS.join(',')}; got "${s}"`);
  }
  return {
    quick,
    sizes,
    memorySize: Math.max(...sizes),
    concurrency: positiveInt(get('concurrency', 'BENCH_CONCURRENCY'), 'concurrency', 20, 1000),
    warmupTasks: quick ? 10 : 30,
    history: positiveInt(get('history', 'BENCH_HISTORY'), 'history', quick ? 1000 : 10_000, 1_000_000),
    burst: positiveInt(get('burst', 'BENCH_BURST'), 'burst', 40, 1000),
    burstSleepMs: 1000,
    pool: positiveInt(get('pool', 'BENCH_POOL'), 'pool', 10, 1000),
    threshold: positiveInt(get('threshold', 'BENCH_THRESHOLD'), 'threshold', 5, 100_000),
    policyRounds: positiveInt(get('policy-rounds', 'BENCH_POLICY_ROUNDS'), 'policy-rounds', quick ? 1 : 3, 20),
    lambdaSamples: quick ? 100 : 500,
    coldSamples: quick ? 5 : 20,
    warmupBurst: 10,
    readSamples: quick ? 50 : 200,
    sections: sections as Section[],
    profile: truthy(get('profile', 'BENCH_PROFILE')),
    keep: truthy(get('keep', 'BENCH_KEEP')),
    lambdaIdleReclaimMs: 5000,
  };
}

export const USAGE = `usage: npm run bench [-- --quick] [--sizes=100,500,2000] [--concurrency=20] [--history=10000]
                 [--burst=40] [--pool=10] [--threshold=5] [--policy-rounds=3]
                 [--only=local,lambda,auto,policy,regions,reads,scale]
                 [--profile] [--keep]`;
