import type { ReleaseStatus } from '@internal/plugin-release-common';
import { statusFixture } from '../__testUtils__/statusFixtures';
import { createEventStreamParser, followStatusStream } from './status';

/** A response whose body the test writes chunk by chunk. */
function eventStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  const encoder = new TextEncoder();
  return {
    response: new Response(body, {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
    }),
    send: (text: string) => controller.enqueue(encoder.encode(text)),
    close: () => controller.close(),
    fail: (error: Error) => controller.error(error),
  };
}

const event = (status: ReleaseStatus, id = 1) =>
  `id: ${id}\nevent: status\ndata: ${JSON.stringify(status)}\n\n`;

function errorResponse(status: number, message: string) {
  return new Response(
    JSON.stringify({
      error: { name: 'ServiceUnavailableError', message },
      request: { method: 'GET', url: '/api/release/status/stream' },
      response: { statusCode: status },
    }),
    { status, headers: { 'content-type': 'application/json' } },
  );
}

describe('createEventStreamParser', () => {
  it('joins events split across chunks and skips comments and retry lines', () => {
    const parse = createEventStreamParser();
    expect(parse('retry: 5000\n\nid: 1\nevent: sta')).toEqual([]);
    expect(parse('tus\ndata: {"a":\ndata: 1}\n\n: heartbeat 2026\n\n')).toEqual(
      [{ event: 'status', data: '{"a":\n1}' }],
    );
    expect(parse('data: plain\r\n\r\n')).toEqual([
      { event: 'message', data: 'plain' },
    ]);
  });
});

describe('followStatusStream', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('passes on each status event and ignores heartbeats and other events', async () => {
    const stream = eventStream();
    const onStatus = jest.fn();
    const onError = jest.fn();
    const stop = new AbortController();
    void followStatusStream({
      open: async () => stream.response,
      handlers: { onStatus, onError },
      signal: stop.signal,
    });
    const first = statusFixture('2026-11-25T03:00:00.000Z');
    const second = statusFixture('2026-11-25T03:00:10.000Z');
    stream.send('retry: 5000\n\n');
    const text = event(first, 1);
    stream.send(text.slice(0, 40));
    stream.send(text.slice(40));
    stream.send(
      ': heartbeat 2026-11-25T03:00:05Z\n\nevent: other\ndata: {}\n\n',
    );
    stream.send(event(second, 2));
    await jest.advanceTimersByTimeAsync(0);
    expect(onStatus.mock.calls.map(([s]) => s.updatedAt)).toEqual([
      '2026-11-25T03:00:00.000Z',
      '2026-11-25T03:00:10.000Z',
    ]);
    expect(onStatus.mock.calls[0][0]).toEqual(first);
    expect(onError).not.toHaveBeenCalled();
    stop.abort();
  });

  it('reports a refused stream with the backend message and retries with a growing wait', async () => {
    const open = jest.fn(async () =>
      errorResponse(503, 'The live status is not available'),
    );
    const onError = jest.fn();
    const stop = new AbortController();
    void followStatusStream({
      open,
      handlers: { onStatus: jest.fn(), onError },
      signal: stop.signal,
      timing: { initialDelayMs: 1000, maxDelayMs: 4000 },
    });
    await jest.advanceTimersByTimeAsync(0);
    expect(open).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0][0].message).toMatch(
      /503.*The live status is not available/,
    );
    await jest.advanceTimersByTimeAsync(999);
    expect(open).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(open).toHaveBeenCalledTimes(2);
    // Then 2 s, then 4 s, and never more than maxDelayMs.
    await jest.advanceTimersByTimeAsync(2000);
    expect(open).toHaveBeenCalledTimes(3);
    await jest.advanceTimersByTimeAsync(4000);
    expect(open).toHaveBeenCalledTimes(4);
    await jest.advanceTimersByTimeAsync(4000);
    expect(open).toHaveBeenCalledTimes(5);
    stop.abort();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(open).toHaveBeenCalledTimes(5);
  });

  it('reopens a stream the backend closed, waiting the shortest time again once it had delivered', async () => {
    const delivering = eventStream();
    const last = eventStream();
    const answers = [
      () => errorResponse(503, 'starting'),
      () => errorResponse(503, 'starting'),
      () => delivering.response,
      () => last.response,
    ];
    let opened = 0;
    const open = jest.fn(async (): Promise<Response> => answers[opened++]());
    const onStatus = jest.fn();
    const onError = jest.fn();
    const stop = new AbortController();
    void followStatusStream({
      open,
      handlers: { onStatus, onError },
      signal: stop.signal,
      timing: { initialDelayMs: 1000, maxDelayMs: 30_000 },
    });
    await jest.advanceTimersByTimeAsync(1000 + 2000);
    expect(open).toHaveBeenCalledTimes(3);
    delivering.send(event(statusFixture('2026-11-25T03:00:00.000Z')));
    delivering.close();
    await jest.advanceTimersByTimeAsync(0);
    expect(onError.mock.calls.at(-1)[0].message).toBe(
      'The status stream was closed by the backend',
    );
    // Without the reset the wait would now be 4 s.
    await jest.advanceTimersByTimeAsync(1000);
    expect(open).toHaveBeenCalledTimes(4);
    last.send(event(statusFixture('2026-11-25T03:01:00.000Z')));
    await jest.advanceTimersByTimeAsync(0);
    expect(onStatus.mock.calls.map(([s]) => s.updatedAt)).toEqual([
      '2026-11-25T03:00:00.000Z',
      '2026-11-25T03:01:00.000Z',
    ]);
    stop.abort();
  });

  it('takes a silent stream for dead, aborts it and opens another', async () => {
    const signals: AbortSignal[] = [];
    const open = jest.fn(async (signal: AbortSignal) => {
      signals.push(signal);
      return eventStream().response;
    });
    const onError = jest.fn();
    const stop = new AbortController();
    void followStatusStream({
      open,
      handlers: { onStatus: jest.fn(), onError },
      signal: stop.signal,
      timing: { idleMs: 60_000, initialDelayMs: 1000 },
    });
    await jest.advanceTimersByTimeAsync(59_999);
    expect(signals[0].aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(signals[0].aborted).toBe(true);
    expect(onError.mock.calls[0][0].message).toBe(
      'The status stream sent nothing for 60 s',
    );
    await jest.advanceTimersByTimeAsync(1000);
    expect(open).toHaveBeenCalledTimes(2);
    stop.abort();
    expect(signals[1].aborted).toBe(true);
  });

  it('reports an event that is not JSON and keeps reading', async () => {
    const stream = eventStream();
    const onStatus = jest.fn();
    const onError = jest.fn();
    const stop = new AbortController();
    void followStatusStream({
      open: async () => stream.response,
      handlers: { onStatus, onError },
      signal: stop.signal,
    });
    stream.send('event: status\ndata: {not json\n\n');
    stream.send(event(statusFixture()));
    await jest.advanceTimersByTimeAsync(0);
    expect(onError.mock.calls[0][0].message).toMatch(
      /^The status stream sent an event that is not JSON: /,
    );
    expect(onStatus).toHaveBeenCalledTimes(1);
    stop.abort();
  });

  it('stops without an error when the subscriber leaves', async () => {
    const stream = eventStream();
    let connection: AbortSignal | undefined;
    const onError = jest.fn();
    const stop = new AbortController();
    const open = jest.fn(async (signal: AbortSignal) => {
      connection = signal;
      // As fetch does: aborting the request fails the body being read.
      signal.addEventListener('abort', () =>
        stream.fail(
          new DOMException('The user aborted a request.', 'AbortError'),
        ),
      );
      return stream.response;
    });
    const done = followStatusStream({
      open,
      handlers: { onStatus: jest.fn(), onError },
      signal: stop.signal,
    });
    await jest.advanceTimersByTimeAsync(0);
    stop.abort();
    await done;
    expect(connection?.aborted).toBe(true);
    expect(onError).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(open).toHaveBeenCalledTimes(1);
  });
});
