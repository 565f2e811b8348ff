/** How long a page waits for the release backend before saying it did not answer. */
export const LOAD_TIMEOUT_MS = 20_000;

/** The setup check waits on every system (each bounded by the backend), so it gets longer. */
export const SETUP_CHECK_TIMEOUT_MS = 60_000;

/** A load that got no answer in time; the message says what to check. */
export class LoadTimeoutError extends Error {
  name = 'LoadTimeoutError';
}

/**
 * The work's result, or a LoadTimeoutError after `ms`, so no card spins forever on a stalled
 * backend. The work itself is not cancelled; its late answer is ignored.
 */
export function withTimeout<T>(
  work: Promise<T>,
  ms: number,
  message: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new LoadTimeoutError(message)), ms);
    work.then(
      value => {
        clearTimeout(timer);
        resolve(value);
      },
      error => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
