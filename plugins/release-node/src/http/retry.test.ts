import { closedPort } from 'sandbox';
import { fetchWithRetry, retryAfterMs } from './retry';

const reply = (status: number, headers: Record<string, string> = {}) =>
  new Response(status === 204 ? null : JSON.stringify({ status }), {
    status,
    headers,
  });

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('7')).toBe(7000);
    expect(retryAfterMs('0.5')).toBe(500);
    const now = Date.parse('2026-11-25T00:00:00Z');
    expect(retryAfterMs('Wed, 25 Nov 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe('fetchWithRetry', () => {
  const options = {
    system: 'Slack',
    action: 'chat.postMessage',
    url: 'http://127.0.0.1:1/x',
  };

  it('waits at least Retry-After before the next call after a 429', async () => {
    const fetchImpl = jest
      .fn()
      .mockResolvedValueOnce(reply(429, { 'retry-after': '7' }))
      .mockResolvedValueOnce(reply(200));
    const sleep = jest.fn(async (_ms: number) => undefined);
    const res = await fetchWithRetry({ ...options, fetchImpl, sleep });
    expect(res.status).toBe(200);
    expect(fetchImpl).toHaveBeenCalledTimes(2);
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(sleep.mock.calls[0][0]).toBeGreaterThanOrEqual(7000);
  });

  it('stops after the bounded number of attempts and returns the last answer', async () => {
    const fetchImpl = jest.fn().mockResolvedValue(reply(503));
    const sleep = jest.fn(async (_ms: number) => undefined);
    const res = await fetchWithRetry({
      ...options,
      fetchImpl,
      sleep,
      retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 },
    });
    expect(res.status).toBe(503);
    expect(fetchImpl).toHaveBeenCalledTimes(3);
    expect(sleep.mock.calls.map(c => c[0])).toEqual([100, 200]);
  });

  it('does not repeat a non-idempotent call after a 5xx, but does after a 429', async () => {
    const fetchImpl = jest.fn().mockResolvedValue(reply(500));
    const res = await fetchWithRetry({
      ...options,
      fetchImpl,
      idempotent: false,
      sleep: async () => undefined,
    });
    expect(res.status).toBe(500);
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });

  it('gives up at once when Retry-After asks for longer than the policy allows', async () => {
    const fetchImpl = jest
      .fn()
      .mockResolvedValue(reply(429, { 'retry-after': '3600' }));
    const res = await fetchWithRetry({
      ...options,
      fetchImpl,
      sleep: async () => undefined,
    });
    expect(res.status).toBe(429);
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });

  it('names the system, the URL and the cause when nothing answers', async () => {
    const port = await closedPort();
    const fetchImpl = jest.fn().mockImplementation(fetch);
    await expect(
      fetchWithRetry({
        ...options,
        url: `http://127.0.0.1:${port}/x`,
        fetchImpl,
        sleep: async () => undefined,
        retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 10 },
      }),
    ).rejects.toThrow(
      `Slack (http://127.0.0.1:${port}/x): chat.postMessage failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(fetchImpl).toHaveBeenCalledTimes(2);
  });

  it('shows the URL without its credentials, and masks the secrets it was given', async () => {
    const error = await fetchWithRetry({
      ...options,
      url: 'http://kop:pa55word@127.0.0.1:1/x/s3cr3t-path-token?token=abc123&page=2',
      secrets: ['s3cr3t-path-token'],
      sleep: async () => undefined,
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 10 },
    }).catch(e => e);
    // fetch refuses such a URL and quotes it: the quote is masked too.
    expect(error.message).toBe(
      'Slack (http://127.0.0.1:1/x/***?token=***&page=2): chat.postMessage failed: Request cannot be constructed from a URL that includes credentials: http://kop:***@127.0.0.1:1/x/***?token=***&page=2',
    );
    expect(error.url).toBe('http://127.0.0.1:1/x/***?token=***&page=2');
  });

  it('says how long it waited when no answer came in time', async () => {
    const fetchImpl = jest.fn(
      (_url: string, init: RequestInit) =>
        new Promise<Response>((_resolve, reject) =>
          init.signal!.addEventListener('abort', () =>
            reject(
              new DOMException('This operation was aborted', 'AbortError'),
            ),
          ),
        ),
    );
    await expect(
      fetchWithRetry({
        ...options,
        fetchImpl: fetchImpl as unknown as typeof fetch,
        timeoutMs: 20,
        sleep: async () => undefined,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 10 },
      }),
    ).rejects.toThrow(
      'Slack (http://127.0.0.1:1/x): chat.postMessage failed: no answer within 20 ms',
    );
  });
});
