// The dashboard's calls go through the typed client (client/, generated from the API's OpenAPI document), so a route
// or a shape that changes fails the dashboard's type check instead of its users. This module adds what a browser
// needs on top: the optional API key, kept in sessionStorage and sent as a bearer token. When a call answers 401
// SPILLWAY_UNAUTHORIZED, the registered handler asks for a key and the call is retried once with it.
import { createSpillwayClient, SpillwayApiError, unwrap } from '../../client';

/** An answer of the API that is not a success (status and stable SPILLWAY_* code), or NETWORK_ERROR (status 0). */
export { SpillwayApiError as ApiError };
/** The data of a typed call of `http`; an answer that is not a success throws its error body as ApiError. */
export { unwrap };

const KEY_STORAGE = 'spillway.apiKey';

type KeyPrompt = (reason: string) => Promise<string | null>;

let apiKey: string | null = readStoredKey();
let keyPrompt: KeyPrompt | null = null;
let pendingPrompt: Promise<string | null> | null = null;
const keyListeners = new Set<() => void>();

function readStoredKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function getApiKey(): string | null {
  return apiKey;
}

export function setApiKey(key: string | null): void {
  apiKey = key && key.trim() ? key.trim() : null;
  try {
    if (apiKey) sessionStorage.setItem(KEY_STORAGE, apiKey);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // Storage can be disabled; the key then lives for this page only.
  }
  for (const listener of keyListeners) listener();
}

export function onApiKeyChange(listener: () => void): void {
  keyListeners.add(listener);
}

export function setKeyPrompt(prompt: KeyPrompt): void {
  keyPrompt = prompt;
}

/** A URL with the key as ?access_token=, for EventSource, which cannot send headers. */
export function withAccessToken(path: string): string {
  if (!apiKey) return path;
  return `${path}${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(apiKey)}`;
}

async function askForKey(reason: string): Promise<string | null> {
  if (!keyPrompt) return null;
  // Several calls may fail at once; they all wait on one prompt.
  pendingPrompt ??= keyPrompt(reason).finally(() => {
    pendingPrompt = null;
  });
  return pendingPrompt;
}

/** The browser's fetch with the key: every call of the typed client goes through it. */
async function keyedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  // A Request's body can be read once; each round sends a copy, so the call can be repeated with a new key.
  const original = new Request(input, { ...init, cache: 'no-store' });
  for (let round = 0; ; round++) {
    const request = original.clone();
    if (apiKey) request.headers.set('authorization', `Bearer ${apiKey}`);
    let res: Response;
    try {
      res = await fetch(request);
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new SpillwayApiError(0, 'NETWORK_ERROR', 'The API cannot be reached');
    }
    if (res.status !== 401 || round >= 2) return res;
    const body = (await res
      .clone()
      .json()
      .catch(() => undefined)) as { code?: string; message?: string } | undefined;
    if (body?.code !== 'SPILLWAY_UNAUTHORIZED') return res;
    const key = await askForKey(body.message ?? 'An API key is needed');
    if (!key) return res;
    setApiKey(key);
  }
}

/** Every operation of the API this page was served by, typed by path and method (the client's openapi-fetch). */
export const http = createSpillwayClient({ baseUrl: location.origin, fetch: keyedFetch }).http;

export function describeError(err: unknown): string {
  if (err instanceof SpillwayApiError) return `${err.message} (${err.code})`;
  if (err instanceof Error) return err.message;
  return String(err);
}
