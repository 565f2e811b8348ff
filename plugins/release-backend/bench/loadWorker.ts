import { parentPort, Worker, workerData } from 'node:worker_threads';
import { Client, runScenario, type LoadResult, type Scenario } from './load';

/**
 * The load generator runs in its own thread, so the requests it makes and the responses it reads
 * do not queue behind the server's work on the server's event loop: latencies are the server's.
 */

type Request = { id: number; scenario: Scenario };
type Reply = { id: number; result: LoadResult } | { id: number; error: string };

if (parentPort && workerData?.role === 'kop-bench-load') {
  const port = parentPort;
  const client = new Client(workerData.baseUrl);
  port.on('message', ({ id, scenario }: Request) => {
    runScenario(client, scenario).then(
      result => port.postMessage({ id, result } satisfies Reply),
      error =>
        port.postMessage({
          id,
          error: String((error as Error).stack ?? error),
        } satisfies Reply),
    );
  });
}

/** A thread that runs scenarios against the server, one at a time. */
export class LoadWorker {
  private readonly worker: Worker;
  private next = 0;
  private readonly waiting = new Map<
    number,
    { resolve(r: LoadResult): void; reject(e: Error): void }
  >();

  constructor(baseUrl: string) {
    this.worker = new Worker(__filename, {
      workerData: { role: 'kop-bench-load', baseUrl },
    });
    this.worker.on('message', (reply: Reply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if ('error' in reply) waiter?.reject(new Error(reply.error));
      else waiter?.resolve(reply.result);
    });
    this.worker.on('error', (error: Error) => {
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
    });
  }

  run(scenario: Scenario): Promise<LoadResult> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, scenario } satisfies Request);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
