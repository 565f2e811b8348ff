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
