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

type Reply = { id: number; result: LoadResult } | { id: number; error: string };

function get(agent: http.Agent, options: RawGet): Promise<number> {
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
          if (res.statusCode !== 200 || bytes === 0) {
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
  port.on('message', ({ id, load }: { id: number; load: RawGet }) => {
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
        error =>
          port.postMessage({
            id,
            error: String((error as Error).stack ?? error),
          } satisfies Reply),
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

  run(load: RawGet): Promise<LoadResult> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const onMessage = (reply: Reply) => {
        if (reply.id !== id) return;
        this.worker.off('message', onMessage);
        if ('error' in reply) reject(new Error(reply.error));
        else resolve(reply.result);
      };
      this.worker.on('message', onMessage);
      this.worker.postMessage({ id, load });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
