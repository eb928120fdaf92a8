// A PostgreSQL of the test's own, so a case can stop and start it under load without touching the machine's one
// (which other tests share): initdb into a temporary folder, trust authentication for the `postgres` role, listening
// on 127.0.0.1 and a free port. initdb and postgres refuse to run as root, so when the test runs as root they run as
// the `postgres` system user (runuser). Stopped and removed by destroy().
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/* eslint-disable @typescript-eslint/no-require-imports */
const { freePort } = require('../../scripts/lib/net.js') as { freePort(): Promise<number> };
/* eslint-enable @typescript-eslint/no-require-imports */

/** The newest installed PostgreSQL server binaries (Debian layout), if any. */
function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

function systemUser(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

const runningAsRoot = () => process.getuid?.() === 0;

export function privatePostgresSupport(): { ok: true } | { ok: false; reason: string } {
  if (!binDir()) return { ok: false, reason: 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin' };
  if (runningAsRoot() && !systemUser('postgres')) {
    return { ok: false, reason: 'running as root, and there is no postgres user to run initdb and postgres as' };
  }
  return { ok: true };
}

export class PrivatePostgres {
  readonly host = '127.0.0.1';
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'spillway-postgres-'));
  private readonly data = path.join(this.dir, 'data');
  private readonly log = path.join(this.dir, 'postgres.log');
  private readonly bin = binDir() as string;
  private running = false;

  private constructor(readonly port: number) {}

  static async create(): Promise<PrivatePostgres> {
    const pg = new PrivatePostgres(await freePort());
    const owner = runningAsRoot() ? systemUser('postgres') : undefined;
    if (owner) chownSync(pg.dir, owner.uid, owner.gid);
    mkdirSync(pg.data, { mode: 0o700 });
    if (owner) chownSync(pg.data, owner.uid, owner.gid);
    pg.run('initdb', ['-D', pg.data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    await pg.start();
    return pg;
  }

  private run(tool: string, args: string[]): string {
    const command = path.join(this.bin, tool);
    const [file, argv] = runningAsRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=${this.host} -c fsync=off -c max_connections=200`;
    this.run('pg_ctl', ['-D', this.data, '-l', this.log, '-o', options, '-w', '-t', '60', 'start']);
    this.running = true;
  }

  /**
   * Stops the server: `immediate` is a crash as far as the data goes (no checkpoint; the next start recovers from
   * the WAL), `fast` a clean shutdown. Both end every connection at once.
   */
  async stop(mode: 'immediate' | 'fast' = 'fast'): Promise<void> {
    if (!this.running) return;
    this.run('pg_ctl', ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop']);
    this.running = false;
  }

  get isRunning(): boolean {
    return this.running;
  }

  async destroy(): Promise<void> {
    try {
      await this.stop('immediate');
    } catch {
      // Not running.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
