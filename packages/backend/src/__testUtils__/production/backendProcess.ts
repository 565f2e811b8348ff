import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** A backend started as its own process, as an operator starts it. */
export interface BackendProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
  /** Milliseconds from spawn to a ready readiness probe. */
  readyMs(): Promise<number>;
  /** Sends SIGTERM; resolves with how it ended and how long it took, or 'alive' past ceilingMs. */
  stop(ceilingMs: number): Promise<{ exit: number | string; ms: number }>;
}

// Unref'd, so a wait that lost its race keeps nothing alive.
const sleep = (ms: number) =>
  new Promise(resolve => setTimeout(resolve, ms).unref());

/**
 * Starts `node <args>` in `cwd` with `env`, its output appended to `logFile`, answering on `port`.
 * The caller kills what it started: stop() or child.kill.
 */
export function startBackendProcess(options: {
  cwd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  port: number;
  logFile: string;
  /** Longest wait for readiness (ms); the process may still be starting on a loaded machine. */
  readyWithinMs?: number;
}): BackendProcess {
  const started = Date.now();
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | string>(resolve =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  let ended = false;
  exited.then(() => {
    ended = true;
  });
  const url = `http://127.0.0.1:${options.port}`;
  let ready: Promise<number> | undefined;
  return {
    url,
    child,
    exited,
    readyMs() {
      ready ??= (async () => {
        const deadline = started + (options.readyWithinMs ?? 180_000);
        while (Date.now() < deadline) {
          if (ended) {
            throw new Error(
              `The backend exited with ${await exited} before it was ready; see ${
                options.logFile
              }`,
            );
          }
          const res = await fetch(
            `${url}/.backstage/health/v1/readiness`,
          ).catch(() => undefined);
          if (res?.status === 200) return Date.now() - started;
          await sleep(200);
        }
        throw new Error(
          `The backend was not ready in time; see ${options.logFile}`,
        );
      })();
      return ready;
    },
    async stop(ceilingMs) {
      const at = Date.now();
      if (!ended) child.kill('SIGTERM');
      const exit = await Promise.race([
        exited,
        sleep(ceilingMs).then(() => 'alive' as const),
      ]);
      const ms = Date.now() - at;
      if (exit === 'alive') child.kill('SIGKILL');
      return { exit, ms };
    },
  };
}
