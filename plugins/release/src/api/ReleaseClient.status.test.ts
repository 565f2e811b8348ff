import { ResponseError } from '@backstage/errors';
import {
  setupCheckFixture,
  statusFixture,
} from '../__testUtils__/statusFixtures';
import { ReleaseClient } from './ReleaseApi';

const base = 'http://localhost:7007/api/release';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

function clientWith(answer: (url: string, init?: RequestInit) => Response) {
  const fetch = jest.fn(async (url: string, init?: RequestInit) =>
    answer(url, init),
  );
  const client = new ReleaseClient({
    discoveryApi: { getBaseUrl: async () => base },
    fetchApi: { fetch: fetch as typeof globalThis.fetch },
  });
  return { client, fetch };
}

describe('ReleaseClient (status, setup check, open releases)', () => {
  it('reads the live status and the setup check', async () => {
    const { client, fetch } = clientWith(url =>
      url.endsWith('/status')
        ? json(200, statusFixture())
        : json(200, setupCheckFixture()),
    );
    expect(await client.getStatus()).toEqual(statusFixture());
    expect(await client.getSetupCheck()).toEqual(setupCheckFixture());
    expect(fetch.mock.calls.map(([url]) => url)).toEqual([
      `${base}/status`,
      `${base}/setup-check`,
    ]);
  });

  it('asks for releases in the given states, comma-separated', async () => {
    const { client, fetch } = clientWith(() => json(200, { items: [] }));
    await client.listReleases({
      app: 'cms',
      state: ['prepared', 'awaiting_approval'],
      limit: 50,
    });
    expect(fetch.mock.calls[0][0]).toBe(
      `${base}/releases?app=cms&state=prepared%2Cawaiting_approval&limit=50`,
    );
  });

  it('throws the backend error of a refused status read', async () => {
    const { client } = clientWith(() =>
      json(503, {
        error: {
          name: 'ServiceUnavailableError',
          message:
            'The live status is not available: this backend runs no status cache',
        },
        request: { method: 'GET', url: '/api/release/status' },
        response: { statusCode: 503 },
      }),
    );
    const error = await client.getStatus().catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect((error as ResponseError).cause.message).toBe(
      'The live status is not available: this backend runs no status cache',
    );
  });

  it('streams the status through fetchApi, asking for server-sent events, until unsubscribed', async () => {
    const encoder = new TextEncoder();
    let signal: AbortSignal | undefined;
    const { client, fetch } = clientWith((_url, init) => {
      signal = init?.signal ?? undefined;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(
            encoder.encode(
              `retry: 5000\n\nid: 1\nevent: status\ndata: ${JSON.stringify(
                statusFixture(),
              )}\n\n`,
            ),
          );
          signal?.addEventListener('abort', () =>
            controller.error(new DOMException('aborted', 'AbortError')),
          );
        },
      });
      return new Response(body, {
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
      });
    });
    const onStatus = jest.fn();
    const onError = jest.fn();
    const unsubscribe = client.streamStatus({ onStatus, onError });
    await new Promise<void>(resolve => onStatus.mockImplementation(resolve));
    expect(onStatus).toHaveBeenCalledWith(statusFixture());
    expect(fetch).toHaveBeenCalledWith(`${base}/status/stream`, {
      signal: expect.any(AbortSignal),
      headers: { accept: 'text/event-stream' },
    });
    unsubscribe();
    expect(signal?.aborted).toBe(true);
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(onError).not.toHaveBeenCalled();
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});
