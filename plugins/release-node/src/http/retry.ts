import { SystemError } from './SystemError';
import { causeOf, credentialsIn, redactSecrets, urlForErrors } from './where';

/** How a client retries: bounded, with backoff, honouring Retry-After. @public */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** First backoff in ms; doubles each time, with jitter. */
  baseDelayMs: number;
  /** No single wait is longer than this (a longer Retry-After gives up instead). */
  maxDelayMs: number;
}

/** @public */
export const defaultRetryPolicy: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 60_000,
};

/**
 * Milliseconds a Retry-After header asks for (seconds or an HTTP date), or undefined.
 *
 * @public
 */
export function retryAfterMs(
  header: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Status codes worth another try: throttling and the server's own trouble. @public */
export function isRetryableStatus(status: number): boolean {
  return (
    status === 429 ||
    status === 502 ||
    status === 503 ||
    status === 504 ||
    status === 500
  );
}

/** @public */
export interface FetchJsonOptions {
  system: string;
  action: string;
  url: string;
  init?: RequestInit;
  /** Per attempt. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** Only idempotent calls are retried after a 5xx; a 429 is retried always (nothing was done). */
  idempotent?: boolean;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Credentials the request carries, masked wherever the error would quote them. */
  secrets?: Array<string | undefined>;
}

const sleepReal = (ms: number) => new Promise<void>(r => setTimeout(r, ms));

/**
 * fetch with a timeout per attempt and bounded retries that wait at least what Retry-After says.
 * Returns the last Response (ok or not) so the caller can read the system's own error body.
 *
 * @public
 */
export async function fetchWithRetry(
  options: FetchJsonOptions,
): Promise<Response> {
  const policy = options.retry ?? defaultRetryPolicy;
  const doFetch = options.fetchImpl ?? fetch;
  const sleep = options.sleep ?? sleepReal;
  let lastError: unknown;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(),
      options.timeoutMs ?? 15_000,
    );
    let response: Response | undefined;
    try {
      response = await doFetch(options.url, {
        ...options.init,
        signal: controller.signal,
      });
    } catch (e) {
      lastError = e;
    } finally {
      clearTimeout(timer);
    }
    const last = attempt === policy.attempts;
    if (response) {
      const retryable =
        response.status === 429 ||
        (options.idempotent !== false && isRetryableStatus(response.status));
      if (!retryable || last) return response;
      const asked = retryAfterMs(response.headers.get('retry-after'));
      if (asked !== undefined && asked > policy.maxDelayMs) return response;
      const backoff = Math.min(
        policy.maxDelayMs,
        policy.baseDelayMs * 2 ** (attempt - 1),
      );
      // Not awaited: some fetch implementations never settle a cancel, and the body is unused.
      response.body?.cancel().catch(() => undefined);
      await sleep(Math.max(asked ?? 0, backoff));
      continue;
    }
    if (last || options.idempotent === false) break;
    await sleep(
      Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)),
    );
  }
  const aborted = (lastError as Error)?.name === 'AbortError';
  const secrets = [...(options.secrets ?? []), ...credentialsIn(options.url)];
  throw new SystemError({
    system: options.system,
    action: options.action,
    url: urlForErrors(options.url, secrets),
    detail: redactSecrets(
      aborted
        ? `no answer within ${options.timeoutMs ?? 15_000} ms`
        : causeOf(lastError),
      secrets,
    ),
    retryable: true,
    cause: lastError,
  });
}
