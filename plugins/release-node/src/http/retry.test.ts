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

  it('names the system and the action when nothing answers', async () => {
    const fetchImpl = jest
      .fn()
      .mockRejectedValue(new TypeError('fetch failed'));
    await expect(
      fetchWithRetry({
        ...options,
        fetchImpl,
        sleep: async () => undefined,
        retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 10 },
      }),
    ).rejects.toThrow('Slack: chat.postMessage failed: fetch failed');
    expect(fetchImpl).toHaveBeenCalledTimes(2);
  });
});
