// Kills every execution environment when the process that hosts them dies, however it dies (kill -9 included), so
// no handler keeps running for a host nobody listens to: its retry, elsewhere, would repeat its side effects.
//
// Each environment leads a process group of its own (everything it starts is in it). A small /bin/sh watchdog, in a
// session of its own so a signal to the host's group does not take it first, reads the group ids from a pipe whose
// other end only the host holds: `+<pgid>` when an environment starts, `-<pgid>` when it is gone. When the host dies
// the kernel closes that end, the watchdog reads end-of-file and kills every group still listed. It works for any
// runtime, a shell script or a Go binary alike, because it needs nothing from the process it kills.
//
// The watchdog lives while at least one environment does (plus a short grace), so an idle host holds no process.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';

const WATCHDOG = [
  'groups=" "',
  'while IFS= read -r line; do',
  '  case $line in',
  '    +*) groups="$groups${line#+} " ;;',
  '    -*) id=${line#-}; case $groups in *" $id "*) groups="${groups%% $id *} ${groups#* $id }" ;; esac ;;',
  '  esac',
  'done',
  'for g in $groups; do kill -9 -$g 2>/dev/null; done',
].join('\n');

/** How long the watchdog outlives the last environment, so a pool that cycles does not respawn it each time. */
const IDLE_GRACE_MS = 30_000;

export class ProcessReaper {
  private watchdog: ChildProcess | undefined;
  private readonly groups = new Set<number>();
  private idleTimer: NodeJS.Timeout | undefined;

  /** Registers a group leader; from now on the group dies with this process. */
  watch(pgid: number): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    // Started (if need be) before the group is added: a new watchdog is told the groups alive so far.
    const dog = this.ensure();
    this.groups.add(pgid);
    dog?.stdin?.write(`+${pgid}\n`);
  }

  /** The group is gone (its leader exited and was killed as a group). */
  release(pgid: number): void {
    if (!this.groups.delete(pgid)) return;
    this.watchdog?.stdin?.write(`-${pgid}\n`);
    if (this.groups.size === 0 && this.watchdog) {
      this.idleTimer = setTimeout(() => this.stop(), IDLE_GRACE_MS);
      this.idleTimer.unref();
    }
  }

  /** Ends the watchdog; whatever is still registered is killed by it on the way out. */
  stop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const dog = this.watchdog;
    this.watchdog = undefined;
    dog?.stdin?.end();
  }

  private ensure(): ChildProcess | undefined {
    if (this.watchdog && this.watchdog.exitCode === null && this.watchdog.signalCode === null) return this.watchdog;
    let dog: ChildProcess;
    try {
      dog = spawn('/bin/sh', ['-c', WATCHDOG], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    } catch {
      return undefined;
    }
    dog.on('error', () => undefined);
    dog.stdin?.on('error', () => undefined);
    // Neither the watchdog nor its pipe may keep the host's event loop alive.
    dog.unref();
    (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.watchdog = dog;
    // A watchdog started again after an idle period learns the groups that are alive now.
    for (const pgid of this.groups) dog.stdin?.write(`+${pgid}\n`);
    dog.once('exit', () => {
      if (this.watchdog === dog) this.watchdog = undefined;
    });
    return dog;
  }
}

/** One per process: every runtime host in it shares the watchdog. */
let shared: ProcessReaper | undefined;
export function processReaper(): ProcessReaper {
  shared ??= new ProcessReaper();
  return shared;
}
