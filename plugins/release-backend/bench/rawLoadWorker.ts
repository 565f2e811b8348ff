import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { runLoad, type LoadResult } from './load';

/**
 * GETs as a browser makes them: keep-alive, `accept-encoding: gzip`, the body read to its last byte
 * but not decoded (a browser inflates and parses in native code). In its own thread, so the client's
 * work does not queue on the server's event loop, and lighter than fetch, so on a small machine the
 * client is not what is measured.
 */

export interface RawGet {
  url: string;
  authorization: string;
  count: number;
  concurrency: number;
  maxMs: number;
}

/** One GET on a connection opened beforehand, as a browser with the page open makes it. */
export interface RawGetOnce {
  url: string;
  authorization: string;
  /** Fetched first on the same connection, whatever it answers, and not timed. */
  warmUpUrl: string;
}

/** When the GET was sent (ms since the epoch, comparable across threads) and how long it took. */
export interface RawGetTiming {
  sentAt: number;
  ms: number;
}

type Request = { id: number; load: RawGet } | { id: number; once: RawGetOnce };

type Reply =
  | { id: number; result: LoadResult }
  | { id: number; timing: RawGetTiming }
  | { id: number; error: string };

function get(
  agent: http.Agent,
  options: Pick<RawGet, 'url' | 'authorization'>,
  expectOk = true,
): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(
      options.url,
      {
        agent,
        headers: {
          authorization: options.authorization,
          'accept-encoding': 'gzip',
        },
      },
      res => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on('end', () => {
          if (expectOk && (res.statusCode !== 200 || bytes === 0)) {
            reject(new Error(`GET ${options.url} answered ${res.statusCode}`));
          } else resolve(performance.now() - started);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

if (parentPort && workerData?.role === 'kop-bench-raw-load') {
  const port = parentPort;
  const fail = (id: number, error: unknown) =>
    port.postMessage({
      id,
      error: String((error as Error).stack ?? error),
    } satisfies Reply);
  port.on('message', (request: Request) => {
    const { id } = request;
    if ('once' in request) {
      const { once } = request;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      get(agent, { ...once, url: once.warmUpUrl }, false)
        .then(async () => {
          const sentAt = performance.timeOrigin + performance.now();
          const ms = await get(agent, once);
          port.postMessage({ id, timing: { sentAt, ms } } satisfies Reply);
        })
        .catch(error => fail(id, error))
        .finally(() => agent.destroy());
      return;
    }
    const { load } = request;
    const agent = new http.Agent({
      keepAlive: true,
      maxSockets: load.concurrency,
    });
    runLoad({
      count: load.count,
      concurrency: load.concurrency,
      maxMs: load.maxMs,
      task: () => get(agent, load),
    })
      .then(
        result => port.postMessage({ id, result } satisfies Reply),
        error => fail(id, error),
      )
      .finally(() => agent.destroy());
  });
}

/** A thread that runs GET loads, one at a time. */
export class RawLoadWorker {
  private readonly worker = new Worker(__filename, {
    workerData: { role: 'kop-bench-raw-load' },
  });
  private next = 0;

  async run(load: RawGet): Promise<LoadResult> {
    const reply = await this.ask({ id: this.next++, load });
    if (!('result' in reply))
      throw new Error('the load thread answered no result');
    return reply.result;
  }

  /** One GET from this thread, so the server's own work after answering does not delay its reading. */
  async once(once: RawGetOnce): Promise<RawGetTiming> {
    const reply = await this.ask({ id: this.next++, once });
    if (!('timing' in reply))
      throw new Error('the load thread answered no timing');
    return reply.timing;
  }

  private ask(request: Request): Promise<Exclude<Reply, { error: string }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (reply: Reply) => {
        if (reply.id !== request.id) return;
        this.worker.off('message', onMessage);
        if ('error' in reply) reject(new Error(reply.error));
        else resolve(reply);
      };
      this.worker.on('message', onMessage);
      this.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
