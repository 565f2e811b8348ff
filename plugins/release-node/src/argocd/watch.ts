import { EventEmitter } from 'node:events';
import { causeOf } from '../http/where';
import { ArgoCdError, errorDetail, reasonFor, redact } from './errors';
import type {
  runtimeStreamError,
  v1alpha1Application,
  v1alpha1ApplicationWatchEvent,
} from './types';

/** One change seen on Argo CD's application stream. @public */
export interface ArgoCdWatchEvent {
  instance: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | string;
  application: v1alpha1Application;
}

/** @public */
export interface ArgoCdWatchOptions {
  /** Only this app. */
  name?: string;
  /** Label selector, e.g. `app.kubernetes.io/part-of=kop`. */
  selector?: string;
  projects?: string[];
  /** Stops the stream; the iterator then ends without an error. */
  signal?: AbortSignal;
  /** Backoff between reconnects (ms): doubles per failure from base up to max, with jitter. */
  reconnect?: { baseDelayMs?: number; maxDelayMs?: number };
  /** Called each time a stream is open (first time and after each reconnect). */
  onConnect?: () => void;
  /** Called when a stream fails and is about to be reopened. */
  onError?: (error: Error) => void;
}

/** What a stream needs from the client it belongs to. */
export interface WatchConnection {
  instance: string;
  url: string;
  token: string;
  timeoutMs: number;
  fetchImpl: typeof fetch;
  sleep: (ms: number) => Promise<void>;
}

const ACTION = 'watch applications';

function abortableSleep(
  sleep: (ms: number) => Promise<void>,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  if (!signal) return sleep(ms);
  if (signal.aborted) return Promise.resolve();
  return new Promise(resolve => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done);
    sleep(ms).then(done, done);
  });
}

async function* readOnce(
  conn: WatchConnection,
  options: ArgoCdWatchOptions,
): AsyncGenerator<ArgoCdWatchEvent> {
  const query = new URLSearchParams();
  if (options.name) query.set('name', options.name);
  if (options.selector) query.set('selector', options.selector);
  for (const p of options.projects ?? []) query.append('projects', p);
  const qs = query.toString();
  const url = `${conn.url}/api/v1/stream/applications${qs ? `?${qs}` : ''}`;
  const shown = redact(url, [conn.token]);
  /** No answer, or a stream that broke off: worth connecting again. */
  const unreachable = (detail: string) =>
    new ArgoCdError({
      instance: conn.instance,
      action: ACTION,
      reason: 'failed',
      retryable: true,
      url: shown,
      detail: redact(detail, [conn.token]),
    });
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onAbort);
  const timer = setTimeout(() => controller.abort(), conn.timeoutMs);
  try {
    let response: Response;
    try {
      response = await conn.fetchImpl(url, {
        headers: {
          authorization: `Bearer ${conn.token}`,
          accept: 'application/json',
        },
        signal: controller.signal,
      });
    } catch (e) {
      throw unreachable(
        controller.signal.aborted && !options.signal?.aborted
          ? `no answer within ${conn.timeoutMs} ms`
          : causeOf(e),
      );
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok || !response.body) {
      const detail = redact(errorDetail(await response.text()), [conn.token]);
      throw new ArgoCdError({
        instance: conn.instance,
        action: ACTION,
        url: shown,
        reason: reasonFor(response.status, detail),
        status: response.status,
        detail,
        retryable: response.status !== 401 && response.status !== 403,
      });
    }
    options.onConnect?.();
    const reader = response.body.getReader();
    // Not every fetch ties the body to the signal: cancel the reader too, so a stop never hangs.
    const cancel = () => reader.cancel().catch(() => undefined);
    controller.signal.addEventListener('abort', cancel);
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read().catch(e => {
          throw unreachable(`the stream broke off: ${causeOf(e)}`);
        });
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (
          let nl = buffer.indexOf('\n');
          nl >= 0;
          nl = buffer.indexOf('\n')
        ) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (!line) continue;
          let message: {
            result?: v1alpha1ApplicationWatchEvent;
            error?: runtimeStreamError;
          };
          try {
            message = JSON.parse(line);
          } catch {
            throw new ArgoCdError({
              instance: conn.instance,
              action: ACTION,
              reason: 'bad-answer',
              retryable: true,
              url: shown,
              detail: 'a stream line is not JSON',
            });
          }
          if (message.error) {
            throw new ArgoCdError({
              instance: conn.instance,
              action: ACTION,
              reason: 'failed',
              status: message.error.http_code,
              retryable: true,
              url: shown,
              detail: redact(message.error.message ?? 'stream error', [
                conn.token,
              ]),
            });
          }
          const result = message.result;
          if (result?.application) {
            yield {
              instance: conn.instance,
              type: result.type ?? 'MODIFIED',
              application: result.application,
            };
          }
        }
      }
    } finally {
      controller.signal.removeEventListener('abort', cancel);
      cancel();
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    controller.abort();
  }
}

/**
 * Argo CD's `/api/v1/stream/applications` as an endless async iterator: each (re)connection first
 * replays every matching app as ADDED (Argo CD's own behaviour without a resourceVersion), then
 * MODIFIED/DELETED as they happen. A dropped or failed stream is reopened with backoff; 401/403
 * end the iteration with an error; aborting `signal` ends it quietly.
 */
export async function* watchApplicationStream(
  conn: WatchConnection,
  options: ArgoCdWatchOptions = {},
): AsyncGenerator<ArgoCdWatchEvent, void, undefined> {
  const base = options.reconnect?.baseDelayMs ?? 1000;
  const max = options.reconnect?.maxDelayMs ?? 30_000;
  let failures = 0;
  while (!options.signal?.aborted) {
    try {
      for await (const event of readOnce(conn, options)) {
        failures = 0;
        yield event;
      }
      // The server closed a healthy stream (a proxy timeout, a restart): reopen soon.
    } catch (e) {
      if (options.signal?.aborted) return;
      const error = e as ArgoCdError;
      if (error.reason === 'unauthorized' || error.status === 403) throw error;
      failures += 1;
      options.onError?.(error);
    }
    if (options.signal?.aborted) return;
    const backoff = Math.min(max, base * 2 ** Math.max(0, failures - 1));
    const jitter = backoff * 0.2 * Math.random();
    await abortableSleep(
      conn.sleep,
      Math.round(backoff + jitter),
      options.signal,
    );
  }
}

/**
 * The same stream as an EventEmitter, for a long-lived cache: `event` (ArgoCdWatchEvent),
 * `connected`, `reconnecting` (Error) and `stopped` (Error | undefined). No `error` event is
 * emitted, so an unhandled failure cannot crash the process.
 *
 * @public
 */
export class ArgoCdApplicationWatcher extends EventEmitter {
  private controller?: AbortController;
  private running?: Promise<void>;

  constructor(
    private readonly open: (
      options: ArgoCdWatchOptions,
    ) => AsyncIterable<ArgoCdWatchEvent>,
    private readonly options: Omit<
      ArgoCdWatchOptions,
      'signal' | 'onConnect' | 'onError'
    > = {},
  ) {
    super();
  }

  start(): this {
    if (this.running) return this;
    const controller = new AbortController();
    this.controller = controller;
    this.running = (async () => {
      let failure: Error | undefined;
      try {
        for await (const event of this.open({
          ...this.options,
          signal: controller.signal,
          onConnect: () => this.emit('connected'),
          onError: error => this.emit('reconnecting', error),
        })) {
          this.emit('event', event);
        }
      } catch (e) {
        failure = e as Error;
      }
      this.running = undefined;
      this.emit('stopped', failure);
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    await this.running;
  }
}
