// Fetch wrapper: JSON in and out, API errors as ApiError (message + code), and the optional API key. When a call
// answers 401 SPILLWAY_UNAUTHORIZED the registered handler asks for a key, which is kept in sessionStorage and sent
// as a bearer token; the call is then retried once.
import type { ApiErrorBody } from './types';

const KEY_STORAGE = 'spillway.apiKey';

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiResponse<T> {
  status: number;
  data: T;
}

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

function isErrorBody(value: unknown): value is ApiErrorBody {
  return typeof value === 'object' && value !== null && 'message' in value && 'code' in value;
}

async function askForKey(reason: string): Promise<string | null> {
  if (!keyPrompt) return null;
  // Several calls may fail at once; they all wait on one prompt.
  pendingPrompt ??= keyPrompt(reason).finally(() => {
    pendingPrompt = null;
  });
  return pendingPrompt;
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<ApiResponse<T>> {
  for (let round = 0; ; round++) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    let res: Response;
    try {
      res = await fetch(path, {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: init.signal,
        cache: 'no-store',
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError(0, 'NETWORK_ERROR', 'The API cannot be reached');
    }
    const text = await res.text();
    let data: unknown = undefined;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (res.ok) return { status: res.status, data: data as T };
    const body = isErrorBody(data) ? data : undefined;
    if (res.status === 401 && body?.code === 'SPILLWAY_UNAUTHORIZED' && round < 2) {
      const key = await askForKey(body.message);
      if (key) {
        setApiKey(key);
        continue;
      }
    }
    throw new ApiError(
      res.status,
      body?.code ?? `HTTP_${res.status}`,
      body?.message ?? (res.statusText || `Request failed with status ${res.status}`),
    );
  }
}

export function describeError(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  if (err instanceof Error) return err.message;
  return String(err);
}
