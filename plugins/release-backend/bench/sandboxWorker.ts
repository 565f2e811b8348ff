import { rmSync } from 'node:fs';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import {
  defaultSandboxServices,
  startSandbox,
  type DefaultSandboxOptions,
} from 'sandbox';
import { watchWorld, type WatchOptions, type WorldChange } from './worldWatch';

/**
 * The sandbox runs in its own thread, as the real systems run on their own machines: the backend's
 * event loop and the stand-ins' do not queue behind each other.
 */

interface Options {
  simulatedApps?: number;
  /** Default 1: pods move at their real pace. */
  timeScale?: number;
  /** Pod starts, sync and pipeline durations; Argo CD re-reads git only when asked by default. */
  sandbox?: Omit<DefaultSandboxOptions, 'simulatedApps'>;
  /** Record what the gates read, stamped in this thread (see worldWatch). */
  watch?: WatchOptions;
}

type Reply =
  | { url: string }
  | { error: string }
  | { closed: true }
  | { changes: WorldChange[] };

if (parentPort && workerData?.role === 'kop-bench-sandbox') {
  const port = parentPort;
  const options = workerData.options as Options;
  startSandbox({
    timeScale: options.timeScale ?? 1,
    // Argo CD re-reads git only when asked: real systems poll on their own machines, not this one.
    services: defaultSandboxServices({
      argocdReconcileIntervalMs: 0,
      ...options.sandbox,
      simulatedApps: options.simulatedApps,
    }),
  }).then(
    async sandbox => {
      // Reads every app's desired state once, before anything is timed.
      await fetch(`${sandbox.url}/argocd/_sandbox/refresh`, { method: 'POST' });
      const watch = options.watch
        ? watchWorld(sandbox, options.watch)
        : undefined;
      port.on('message', (message: string) => {
        if (message === 'changes') {
          port.postMessage({ changes: watch?.changes ?? [] } satisfies Reply);
        }
        if (message !== 'close') return;
        watch?.stop();
        sandbox.close().then(() => {
          rmSync(sandbox.context.dataDir, { recursive: true, force: true });
          port.postMessage({ closed: true } satisfies Reply);
        });
      });
      port.postMessage({ url: sandbox.url } satisfies Reply);
    },
    error =>
      port.postMessage({
        error: String((error as Error).stack ?? error),
      } satisfies Reply),
  );
}

/** A sandbox in a worker thread, closed (and its data folder removed) by `close()`. */
export class SandboxWorker {
  private constructor(private readonly worker: Worker, readonly url: string) {}

  static start(options: Options): Promise<SandboxWorker> {
    const worker = new Worker(__filename, {
      workerData: { role: 'kop-bench-sandbox', options },
    });
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (reply: Reply) => {
        if ('url' in reply) resolve(new SandboxWorker(worker, reply.url));
        else if ('error' in reply) reject(new Error(reply.error));
      });
    });
  }

  /** What the watch has recorded so far (empty without `watch`). */
  changes(): Promise<WorldChange[]> {
    return new Promise(resolve => {
      this.worker.once('message', (reply: Reply) =>
        resolve('changes' in reply ? reply.changes : []),
      );
      this.worker.postMessage('changes');
    });
  }

  async close(): Promise<void> {
    await new Promise<void>(resolve => {
      this.worker.once('message', () => resolve());
      this.worker.postMessage('close');
    });
    await this.worker.terminate();
  }
}
