// One loopback HTTP client for every measurement, so the baselines and the measured routes pay the same client
// costs: node:http with a keep-alive agent, no retries, a bounded wait per request.
import http from 'node:http';

export const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

/**
 * One request. A keep-alive socket the server closed while idle fails as ECONNRESET before the request reached the
 * server; that one case is retried once, as Node's documentation advises (req.reusedSocket).
 */
export async function request(url: string, options: RequestOptions = {}): Promise<HttpResult> {
  try {
    return await requestOnce(url, options);
  } catch (err) {
    if ((err as { reusedSocket?: boolean }).reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
      return requestOnce(url, options);
    }
    throw err;
  }
}

function requestOnce(url: string, options: RequestOptions): Promise<HttpResult> {
  const { method = options.body === undefined ? 'GET' : 'POST', body, timeoutMs = 30_000 } = options;
  const headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', (err: Error & { reusedSocket?: boolean }) => {
      err.reusedSocket = req.reusedSocket;
      reject(err);
    });
    req.end(body);
  });
}

/** A JSON request that must answer one of the expected statuses; returns the parsed body. */
export async function requestJson<T>(url: string, options: RequestOptions = {}, expect: number[] = [200]): Promise<T> {
  const res = await request(url, options);
  if (!expect.includes(res.status)) {
    throw new Error(
      `${options.method ?? (options.body ? 'POST' : 'GET')} ${url} answered ${res.status}: ${res.body.slice(0, 300)}`,
    );
  }
  return JSON.parse(res.body) as T;
}
