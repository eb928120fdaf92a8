// A gate that tests open when they choose: an HTTP endpoint that answers 503 until released, then 200. Task
// functions poll it (the `flaky` function's `holdUntil`), so a test can hold attempts at a known point (running,
// holding a slot) and inject its fault there, instead of guessing with sleeps how far a burst has come.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HoldGate {
  /** Give this to `flaky` as `holdUntil`. */
  url: string;
  release(): void;
  /** How many times the gate was asked while closed: proof that holders are waiting on it. */
  closedPolls(): number;
  /**
   * How many different URLs asked while closed: give each holder its own (`holder(i)`) to know how many hold at once.
   */
  holders(): number;
  /** The gate's URL for one holder, told apart by holders(). */
  holder(name: string | number): string;
  close(): Promise<void>;
}

/** `host`: where it listens (default 127.0.0.1); a worker in another network namespace needs the bridge's address. */
export async function startHoldGate(host = '127.0.0.1'): Promise<HoldGate> {
  let open = false;
  let closedPolls = 0;
  const asked = new Set<string>();
  const server = createServer((req, res) => {
    if (!open) {
      closedPolls++;
      asked.add(req.url ?? '');
    }
    res.writeHead(open ? 200 : 503, { 'content-type': 'text/plain', connection: 'close' }).end(open ? 'go' : 'hold');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/hold`,
    release: () => (open = true),
    closedPolls: () => closedPolls,
    holders: () => asked.size,
    holder: (name) => `http://${host}:${port}/hold/${encodeURIComponent(String(name))}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
