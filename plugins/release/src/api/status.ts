import { ResponseError } from '@backstage/errors';
import type { ReleaseStatus } from '@internal/plugin-release-common';

/** What `streamStatus` tells its subscriber. @public */
export interface StatusStreamHandlers {
  onStatus(status: ReleaseStatus): void;
  /** The stream could not open or broke; it is reopened after a backoff. */
  onError?(error: Error): void;
}

/** One server-sent event. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * Splits a text/event-stream into events as chunks arrive; a chunk may end mid-event.
 * Follows the HTML spec's field rules (event, data; comments and other fields ignored).
 */
export function createEventStreamParser() {
  let buffer = '';
  return (chunk: string): ServerSentEvent[] => {
    buffer += chunk;
    const blocks = buffer.split(/\r\n\r\n|\n\n|\r\r/);
    buffer = blocks.pop() ?? '';
    const events: ServerSentEvent[] = [];
    for (const block of blocks) {
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split(/\r\n|\n|\r/)) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value =
          colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        if (field === 'data') data.push(value);
      }
      if (data.length) events.push({ event, data: data.join('\n') });
    }
    return events;
  };
}

/** Backoff and idle limits of the status stream. */
export interface StatusStreamTiming {
  /** First wait before reopening a broken stream; doubles up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A stream silent this long (not even a heartbeat) is taken as dead and reopened. */
  idleMs: number;
}

export const defaultStatusStreamTiming: StatusStreamTiming = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  idleMs: 60_000,
};

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/** Rejects when the signal aborts, for racing work that might not watch the signal itself. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new Error('The status stream was stopped'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

/** Reads one opened stream to its end (or until `signal` aborts), passing each status event on. */
async function readStatusEvents(
  res: Response,
  signal: AbortSignal,
  handlers: StatusStreamHandlers,
  onActivity: () => void,
  onStatus: () => void,
): Promise<void> {
  if (!res.body) throw new Error('The status stream answered with no body');
  const reader = res.body.getReader();
  // Cancelling ends a pending read even if the fetch implementation ignores the abort.
  signal.addEventListener('abort', () => reader.cancel().catch(() => {}), {
    once: true,
  });
  const decoder = new TextDecoder();
  const parse = createEventStreamParser();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onActivity();
    for (const event of parse(decoder.decode(value, { stream: true }))) {
      if (event.event !== 'status' && event.event !== 'message') continue;
      let status: ReleaseStatus;
      try {
        status = JSON.parse(event.data);
      } catch (error) {
        handlers.onError?.(
          new Error(
            `The status stream sent an event that is not JSON: ${
              (error as Error).message
            }`,
          ),
        );
        continue;
      }
      onStatus();
      handlers.onStatus(status);
    }
  }
}

/**
 * Keeps the status stream open until `signal` aborts: reopens it after an error, an end or a
 * silence longer than `idleMs`, waiting longer after each failure (reset by a good event).
 * Reading the stream with fetch, not EventSource, because only fetch carries the Backstage token.
 */
export async function followStatusStream(options: {
  open: (signal: AbortSignal) => Promise<Response>;
  handlers: StatusStreamHandlers;
  signal: AbortSignal;
  timing?: Partial<StatusStreamTiming>;
}): Promise<void> {
  const { open, handlers, signal } = options;
  const timing = { ...defaultStatusStreamTiming, ...options.timing };
  // An object, so the read loop's callback can reset the wait after a good event.
  const backoff = { delay: timing.initialDelayMs };
  while (!signal.aborted) {
    const connection = new AbortController();
    const stop = () => connection.abort();
    signal.addEventListener('abort', stop);
    let idle: ReturnType<typeof setTimeout> | undefined;
    let idleFired = false;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        idleFired = true;
        connection.abort();
      }, timing.idleMs);
    };
    try {
      armIdle();
      const res = await Promise.race([
        open(connection.signal),
        aborted(connection.signal),
      ]);
      if (!res.ok) {
        const refusal = await ResponseError.fromResponse(res);
        throw new Error(
          `The status stream was refused with ${res.status}: ${refusal.cause.message}`,
        );
      }
      await readStatusEvents(res, connection.signal, handlers, armIdle, () => {
        backoff.delay = timing.initialDelayMs;
      });
      if (connection.signal.aborted) throw new Error('aborted');
      throw new Error('The status stream was closed by the backend');
    } catch (error) {
      if (signal.aborted) return;
      handlers.onError?.(
        idleFired
          ? new Error(
              `The status stream sent nothing for ${Math.round(
                timing.idleMs / 1000,
              )} s`,
            )
          : (error as Error),
      );
    } finally {
      clearTimeout(idle);
      signal.removeEventListener('abort', stop);
    }
    await sleep(backoff.delay, signal);
    backoff.delay = Math.min(backoff.delay * 2, timing.maxDelayMs);
  }
}
