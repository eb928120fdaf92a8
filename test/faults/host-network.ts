// "Other hosts" on one machine: network namespaces of the test's own, each joined to a private bridge on the host
// side by a veth pair. The servers bind to the bridge's address, so a worker in a namespace reaches them only over
// its link, and cutting that link (its host end down) partitions the worker from everything while it keeps running.
// Needs root (CAP_NET_ADMIN); netnsSupport() says whether this machine allows it. Everything created is removed by
// destroy(), and by an exit hook if a run dies before its afterAll.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function quietly(args: string[]): void {
  try {
    ip(args);
  } catch {
    // Already gone.
  }
}

/** Whether network namespaces and veth pairs can be made here; with the reason when they cannot. */
export function netnsSupport(): { ok: true } | { ok: false; reason: string } {
  const probe = `spw-probe-${process.pid}`;
  try {
    ip(['netns', 'add', probe]);
  } catch (err) {
    const detail = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
    return { ok: false, reason: `cannot create a network namespace (ip netns add: ${detail || 'failed'})` };
  }
  try {
    const veth = `spwp${randomBytes(3).toString('hex')}`;
    ip(['link', 'add', `${veth}a`, 'type', 'veth', 'peer', 'name', `${veth}b`]);
    quietly(['link', 'del', `${veth}a`]);
    return { ok: true };
  } catch (err) {
    const detail = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
    return { ok: false, reason: `cannot create a veth pair (ip link add: ${detail || 'failed'})` };
  } finally {
    quietly(['netns', 'del', probe]);
  }
}

export interface NamespacedHost {
  name: string;
  netns: string;
  /** The host's address on the bridge. */
  address: string;
  /** The host side of its veth pair: down means partitioned. */
  hostLink: string;
}

const alive = new Set<HostNetwork>();
process.once('exit', () => {
  for (const network of alive) network.destroy();
});

export class HostNetwork {
  readonly id = randomBytes(3).toString('hex');
  readonly bridge = `spw${this.id}b`;
  /** Where the servers listen: the host side of the bridge. */
  readonly hostIp: string;
  private readonly subnet: string;
  private readonly hosts = new Map<string, NamespacedHost>();

  private constructor(subnet: string) {
    this.subnet = subnet;
    this.hostIp = `${subnet}.1`;
  }

  /** A bridge on a 10.231.x.0/24 subnet no interface of this machine uses yet. */
  static create(): HostNetwork {
    const used = ip(['-4', '-o', 'addr', 'show']);
    let subnet = '';
    for (let tries = 0; tries < 50 && !subnet; tries++) {
      const candidate = `10.231.${1 + Math.floor(Math.random() * 254)}`;
      if (!used.includes(` ${candidate}.`)) subnet = candidate;
    }
    if (!subnet) throw new Error('no free 10.231.x.0/24 subnet for the test network');
    const network = new HostNetwork(subnet);
    alive.add(network);
    try {
      ip(['link', 'add', network.bridge, 'type', 'bridge']);
      ip(['addr', 'add', `${network.hostIp}/24`, 'dev', network.bridge]);
      ip(['link', 'set', network.bridge, 'up']);
    } catch (err) {
      network.destroy();
      throw err;
    }
    return network;
  }

  /** A namespace joined to the bridge, with loopback up (a worker's local pool talks to its environments there). */
  addHost(name: string): NamespacedHost {
    const index = this.hosts.size + 1;
    const host: NamespacedHost = {
      name,
      netns: `spillway-${this.id}-${name}`,
      address: `${this.subnet}.${10 + index}`,
      hostLink: `spw${this.id}h${index}`,
    };
    const nsLink = `spw${this.id}n${index}`;
    this.hosts.set(name, host);
    ip(['netns', 'add', host.netns]);
    ip(['link', 'add', host.hostLink, 'type', 'veth', 'peer', 'name', nsLink]);
    ip(['link', 'set', nsLink, 'netns', host.netns]);
    ip(['link', 'set', host.hostLink, 'master', this.bridge]);
    ip(['link', 'set', host.hostLink, 'up']);
    ip(['netns', 'exec', host.netns, 'ip', 'addr', 'add', `${host.address}/24`, 'dev', nsLink]);
    ip(['netns', 'exec', host.netns, 'ip', 'link', 'set', nsLink, 'up']);
    ip(['netns', 'exec', host.netns, 'ip', 'link', 'set', 'lo', 'up']);
    return host;
  }

  host(name: string): NamespacedHost {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no host ${name} on the test network`);
    return host;
  }

  /** The command prefix that runs a program on that host. */
  exec(name: string): string[] {
    return ['ip', 'netns', 'exec', this.host(name).netns];
  }

  /** Cuts the host off: its link goes down, packets stop both ways, connections hang as they would on a partition. */
  cut(name: string): void {
    ip(['link', 'set', this.host(name).hostLink, 'down']);
  }

  heal(name: string): void {
    ip(['link', 'set', this.host(name).hostLink, 'up']);
  }

  /** Whether a TCP connect from that host to host:port succeeds within timeoutMs (run inside the namespace). */
  canReach(name: string, address: string, port: number, timeoutMs = 2_000): boolean {
    const probe =
      "const s=require('node:net').connect({host:process.argv[1],port:+process.argv[2]});" +
      's.setTimeout(+process.argv[3],()=>process.exit(1));s.once("connect",()=>process.exit(0));' +
      's.once("error",()=>process.exit(1));';
    try {
      execFileSync(
        'ip',
        [
          'netns',
          'exec',
          this.host(name).netns,
          process.execPath,
          '-e',
          probe,
          address,
          String(port),
          String(timeoutMs),
        ],
        { stdio: 'ignore', timeout: timeoutMs + 5_000 },
      );
      return true;
    } catch {
      return false;
    }
  }

  /** Removes every namespace, link and the bridge; safe to call twice. */
  destroy(): void {
    for (const host of this.hosts.values()) {
      quietly(['netns', 'del', host.netns]);
      quietly(['link', 'del', host.hostLink]);
    }
    this.hosts.clear();
    quietly(['link', 'del', this.bridge]);
    alive.delete(this);
  }
}
