import { deferred, ManualTimers } from './__testUtils__/fakeSystems';
import { TimedRead } from './TimedRead';

const TIMEOUT = 5000;
const NOW = Date.parse('2026-01-08T01:00:00Z');

/** Lets every settled promise run its callbacks. */
const settle = () => new Promise(resolve => setImmediate(resolve));

function setUp(load: () => Promise<string>, hint?: string) {
  const timers = new ManualTimers();
  let now = NOW;
  let settled = 0;
  const read = new TimedRead<string>(
    {
      timers,
      now: () => now,
      timeoutMs: TIMEOUT,
      settled: () => {
        settled += 1;
      },
    },
    load,
    { what: 'Argo CD (beta): list applications', hint },
  );
  return {
    read,
    timers,
    settled: () => settled,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('TimedRead', () => {
  it('makes one call for every refresh asked while it is under way', async () => {
    const answer = deferred<string>();
    let calls = 0;
    const { read, settled } = setUp(() => {
      calls += 1;
      return answer.promise;
    });
    const waiting = [read.refresh(), read.refresh(), read.refresh()];
    await settle();
    expect(calls).toBe(1);
    expect(read.loading).toBe(true);
    expect(read.known).toBe(false);
    answer.resolve('apps');
    await Promise.all(waiting);
    expect(read.value).toBe('apps');
    expect(read.at).toBe(NOW);
    expect(read.loading).toBe(false);
    expect(settled()).toBe(1);
  });

  it('says there was no answer once the timeout passes, and takes the late answer when it comes', async () => {
    const answer = deferred<string>();
    const { read, timers, settled } = setUp(
      () => answer.promise,
      "check that Argo CD 'beta' is up",
    );
    const waiting = read.refresh();
    await settle();
    expect(timers.fireTimeouts(TIMEOUT)).toBe(1);
    await waiting;
    expect(read.error).toBe(
      "Argo CD (beta): list applications: no answer within 5 s; check that Argo CD 'beta' is up",
    );
    expect(read.problem()).toBe(read.error);
    expect(read.loading).toBe(true);
    expect(settled()).toBe(1);

    answer.resolve('late apps');
    await settle();
    expect(read.value).toBe('late apps');
    expect(read.error).toBeUndefined();
    expect(read.problem()).toBeUndefined();
    expect(settled()).toBe(2);
  });

  it('keeps the last value after a failure and says how old it is', async () => {
    let fail = false;
    const { read, advance } = setUp(async () => {
      if (fail)
        throw new Error('Argo CD: list applications failed: fetch failed');
      return 'apps';
    });
    await read.refresh();
    fail = true;
    advance(60_000);
    await read.refresh();
    expect(read.value).toBe('apps');
    expect(read.problem()).toBe(
      `Argo CD: list applications failed: fetch failed; showing what was seen at ${new Date(
        NOW,
      ).toISOString()}`,
    );
  });

  it('counts a getter that throws (a system not configured) as a failed read', async () => {
    const timers = new ManualTimers();
    const read = new TimedRead<string>(
      { timers, now: () => NOW, timeoutMs: TIMEOUT, settled: () => undefined },
      () => {
        throw new Error('Prometheus is not configured: set prometheus');
      },
      {
        what: 'Prometheus: error-rate',
        explain: e => `explained: ${(e as Error).message}`,
      },
    );
    await read.refresh();
    expect(read.error).toBe(
      'explained: Prometheus is not configured: set prometheus',
    );
    expect(read.known).toBe(false);
  });

  it('reads once more after the read under way when asked during it', async () => {
    const answers = [deferred<string>(), deferred<string>()];
    let calls = 0;
    const { read } = setUp(() => answers[calls++].promise);
    read.request();
    read.request();
    read.request();
    await settle();
    expect(calls).toBe(1);
    answers[0].resolve('before the change');
    await settle();
    expect(calls).toBe(2);
    answers[1].resolve('after the change');
    await settle();
    expect(read.value).toBe('after the change');
    expect(calls).toBe(2);
  });

  it('holds a value seeded from elsewhere only while it knows none of its own', async () => {
    const { read } = setUp(async () => 'read');
    read.seed('seeded');
    expect(read.value).toBe('seeded');
    expect(read.known).toBe(true);
    await read.refresh();
    read.seed('seeded again');
    expect(read.value).toBe('read');
  });
});
