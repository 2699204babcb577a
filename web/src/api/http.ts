import { ApiError, type FieldProblem } from './api-error.js';

/**
 * Where the hub is mounted: the path of the page's `<base href>`, which the hub writes into the
 * app shell ('/' standalone, '/ops/' when an application mounts it under /ops).
 */
export const HUB_BASE = typeof document === 'undefined' ? '/' : new URL(document.baseURI).pathname.replace(/[^/]*$/, '');

export const API_BASE = `${HUB_BASE}api/v1`;

type QueryValue = string | number | boolean | readonly (string | number)[] | null | undefined;
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * The session's CSRF token, learnt from sign-in or /me. It lives in memory only: the session
 * cookie is httpOnly, and a reload asks /me again.
 */
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** `a=1&b=x,y`, leaving out empty values; lists are sent comma-separated as the API accepts. */
export function toSearch(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    if (Array.isArray(value)) {
      if (value.length > 0) params.set(key, value.join(','));
    } else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function apiUrl(path: string, query?: Query): string {
  return `${API_BASE}${path}${toSearch(query)}`;
}

/** Calls the API with the session cookie; answers the parsed JSON or throws an ApiError. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError('SWY_ERR_NETWORK', 'The hub could not be reached. Check your connection and try again.', 0);
  }
  if (response.status === 204) return undefined as T;
  const body = await response.json().catch(() => null);
  if (!response.ok) throw toApiError(response.status, body);
  return body as T;
}

function toApiError(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: string; message?: string; fields?: FieldProblem[] } } | null)?.error;
  if (error?.code) return new ApiError(error.code, error.message ?? error.code, status, error.fields ?? []);
  return new ApiError('SWY_ERR_HTTP', `The hub answered HTTP ${status}`, status);
}

/** Posts a form (a file upload) with the session cookie and CSRF token; answers the parsed JSON or throws an ApiError. */
export async function apiForm<T>(path: string, form: FormData): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(apiUrl(path), { method: 'POST', headers, credentials: 'same-origin', body: form });
  } catch {
    throw new ApiError('SWY_ERR_NETWORK', 'The hub could not be reached. Check your connection and try again.', 0);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw toApiError(response.status, body);
  return body as T;
}
