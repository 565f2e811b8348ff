const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Waits (generously, in real time) until `ok` holds of what `read` answers; fails with the last answer. */
export async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  ms = 120_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: still not so after ${ms} ms; last seen ${JSON.stringify(
          last,
          null,
          1,
        ).slice(0, 3000)}`,
      );
    }
    await sleep(50);
    last = await read();
  }
  return last;
}

/** The error a promise is refused with; fails when it is not refused. */
export async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a refusal, but it went through');
}
