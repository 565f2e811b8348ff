/** How an action waits; tests pass one that does not. @public */
export interface ActionClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** @public */
export const realActionClock: ActionClock = {
  now: () => Date.now(),
  sleep: ms => new Promise(resolve => setTimeout(resolve, ms)),
};

/** Stops a wait when the task was cancelled. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string) {
  if (signal?.aborted) {
    throw new Error(`${what}: stopped because the task was cancelled`);
  }
}
