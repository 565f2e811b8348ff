import { rmSync } from 'node:fs';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { defaultSandboxServices, startSandbox } from 'sandbox';

/**
 * The sandbox runs in its own thread, as the real systems run on their own machines: the backend's
 * event loop and the stand-ins' do not queue behind each other.
 */

interface Options {
  simulatedApps: number;
}

type Reply = { url: string } | { error: string } | { closed: true };

if (parentPort && workerData?.role === 'kop-bench-sandbox') {
  const port = parentPort;
  const { simulatedApps } = workerData.options as Options;
  startSandbox({
    // Pods move at their real pace; nothing is synced during the bench.
    timeScale: 1,
    // Argo CD re-reads git only when asked: real systems poll on their own machines, not this one.
    services: defaultSandboxServices({
      simulatedApps,
      argocdReconcileIntervalMs: 0,
    }),
  }).then(
    async sandbox => {
      // Reads every app's desired state once, before anything is timed.
      await fetch(`${sandbox.url}/argocd/_sandbox/refresh`, { method: 'POST' });
      port.on('message', (message: string) => {
        if (message !== 'close') return;
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

  async close(): Promise<void> {
    await new Promise<void>(resolve => {
      this.worker.once('message', () => resolve());
      this.worker.postMessage('close');
    });
    await this.worker.terminate();
  }
}
