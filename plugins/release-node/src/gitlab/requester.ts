import type { Gitlab } from '@gitbeaker/rest';
import { fetchWithRetry, type RetryPolicy } from '../http/retry';
import type { SystemError } from '../http/SystemError';
import { urlForErrors } from '../http/where';

type GitlabOptions = ConstructorParameters<typeof Gitlab>[0];
/** gitbeaker's requester factory, as its `Gitlab` constructor takes it. */
export type GitbeakerRequesterFn = NonNullable<GitlabOptions['requesterFn']>;
type ResourceOptions = Parameters<GitbeakerRequesterFn>[0];
type Requester = ReturnType<GitbeakerRequesterFn>;
type RequestOptions = NonNullable<Parameters<Requester['get']>[1]>;

/**
 * Where gitbeaker thinks the API is. It builds `<host>/api/v4/<prefix>`; the requester swaps this for
 * the configured API base URL, so any base (a path prefix, a sandbox) works.
 */
export const GITBEAKER_HOST = 'http://gitbeaker.invalid';
const GITBEAKER_API = `${GITBEAKER_HOST}/api/v4`;

/**
 * GitLab's answer to a call that failed, or no answer at all (status undefined). Holds what GitLab said
 * and nothing of the request (so never the token).
 */
export class GitlabRequestError extends Error {
  readonly status?: number;
  readonly description: string;
  readonly retryable: boolean;
  /** The URL called, without credentials. */
  readonly url?: string;

  constructor(options: {
    status?: number;
    description: string;
    retryable: boolean;
    url?: string;
  }) {
    super(options.description);
    this.name = 'GitlabRequestError';
    this.status = options.status;
    this.description = options.description;
    this.retryable = options.retryable;
    this.url = options.url && urlForErrors(options.url);
  }
}

function decamelize(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

/** GitLab's snake_case keys from gitbeaker's camelCase ones, as gitbeaker's own requester sends them. */
export function decamelizeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decamelizeKeys);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [decamelize(k), decamelizeKeys(v)]),
  );
}

/** A query string in Rails' bracket form (`iids[]=1&iids[]=2`, `a[b]=c`), as GitLab parses it. */
export function formatQuery(params: Record<string, unknown> = {}): string {
  const pairs: string[] = [];
  const add = (key: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      value.forEach(v => add(`${key}[]`, v));
    } else if (isPlainObject(value)) {
      Object.entries(value).forEach(([k, v]) => add(`${key}[${k}]`, v));
    } else {
      const text = value instanceof Date ? value.toISOString() : String(value);
      pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(text)}`);
    }
  };
  Object.entries(decamelizeKeys(params) as Record<string, unknown>).forEach(
    ([k, v]) => add(k, v),
  );
  return pairs.join('&');
}

async function parseBody(response: Response, asStream?: boolean) {
  if (asStream) return response.body;
  if (response.status === 204) return null;
  const type = (response.headers.get('content-type') ?? '')
    .split(';')[0]
    .trim();
  if (type === 'application/json') {
    const text = await response.text();
    return text ? JSON.parse(text) : {};
  }
  if (type.startsWith('text/')) return response.text();
  return response.blob();
}

async function describeFailure(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text);
    const said = body?.message ?? body?.error ?? '';
    return typeof said === 'string' ? said : JSON.stringify(said);
  } catch {
    return text.slice(0, 500);
  }
}

export interface RequesterOptions {
  /** e.g. https://gitlab.example.com/api/v4 */
  apiBaseUrl: string;
  timeoutMs: number;
  retry: RetryPolicy;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A requester for gitbeaker that goes through `fetchWithRetry`: a timeout per attempt, bounded retries
 * that honour Retry-After, only idempotent calls repeated after a 5xx (a 429 always, nothing was done).
 * gitbeaker's own requester uses the global fetch, ignores Retry-After and retries writes.
 */
export function createGitlabRequester(
  options: RequesterOptions,
): GitbeakerRequesterFn {
  const apiBase = options.apiBaseUrl.replace(/\/+$/, '');
  // Error answers are read whole here, so setting one aside before a retry never waits on a stream
  // (cancelling the body of an msw answer never settles); they are small.
  const fetchImpl: typeof fetch = async (input, init) => {
    const response = await (options.fetchImpl ?? fetch)(input, init);
    if (response.ok) return response;
    return new Response(await response.arrayBuffer(), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
  return (resource: ResourceOptions): Requester => {
    const prefix = resource.url.startsWith(GITBEAKER_API)
      ? resource.url.slice(GITBEAKER_API.length).replace(/\/+$/, '')
      : '';
    const call =
      (method: string) =>
      async (endpoint: string, request: RequestOptions = {}) => {
        const url = new URL(`${apiBase}${prefix}/${endpoint}`);
        const query = formatQuery(request.searchParams);
        if (query) url.search = query;
        const headers: Record<string, string> = { ...resource.headers };
        for (const [name, value] of Object.entries(resource.authHeaders)) {
          headers[name] = await value();
        }
        if (request.sudo !== undefined) headers.sudo = String(request.sudo);
        let body: string | FormData | undefined;
        if (request.body instanceof FormData) {
          body = request.body;
        } else if (request.body !== undefined) {
          body = JSON.stringify(decamelizeKeys(request.body));
          headers['content-type'] = 'application/json';
        }
        let response: Response;
        try {
          response = await fetchWithRetry({
            system: 'GitLab',
            action: `${method} ${url.pathname}`,
            url: url.toString(),
            init: { method, headers, body },
            timeoutMs: options.timeoutMs,
            retry: options.retry,
            idempotent: method === 'GET' || method === 'HEAD',
            fetchImpl,
            sleep: options.sleep,
          });
        } catch (e) {
          // fetchWithRetry says what failed underneath (a timeout, ECONNREFUSED …).
          throw new GitlabRequestError({
            description: (e as SystemError).detail || 'no answer',
            retryable: true,
            url: url.toString(),
          });
        }
        if (response.ok) {
          return {
            body: (await parseBody(response, request.asStream)) as any,
            headers: Object.fromEntries(response.headers.entries()),
            status: response.status,
          };
        }
        throw new GitlabRequestError({
          status: response.status,
          description: await describeFailure(response),
          retryable: response.status === 429 || response.status >= 500,
          url: url.toString(),
        });
      };
    return {
      get: call('GET'),
      post: call('POST'),
      put: call('PUT'),
      patch: call('PATCH'),
      delete: call('DELETE'),
    } as Requester;
  };
}
