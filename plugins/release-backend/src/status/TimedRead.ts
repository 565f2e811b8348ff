import { iso, messageOf, seconds } from './format';

/** Timers, injectable so tests can drive the refresh loop. */
export interface StatusTimers {
  setInterval(run: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: StatusTimers = {
  setInterval: (run, ms) => setInterval(run, ms).unref(),
  clearInterval: handle => clearInterval(handle as NodeJS.Timeout),
  setTimeout: (run, ms) => setTimeout(run, ms).unref(),
  clearTimeout: handle => clearTimeout(handle as NodeJS.Timeout),
};

/** What every timed read of one cache shares. */
export interface TimedReadEnv {
  timers: StatusTimers;
  now: () => number;
  timeoutMs: number;
  /** Told when a read landed, failed or timed out. */
  settled(): void;
}

/** How a timed read names itself in its errors. */
export interface TimedReadDescription {
  /** What did not answer, e.g. "Argo CD (beta): list applications". */
  what: string;
  /** What a person can check, added to a timeout. */
  hint?: string;
  /** Turns a failure into a message a person can act on. */
  explain?: (e: unknown) => string;
}

/**
 * A value read from one system: refreshed on demand with one call at a time, bounded by a timeout
 * after which it reports "no answer" (a late answer still lands).
 */
export class TimedRead<T> {
  value?: T;
  /** When `value` was read. */
  at?: number;
  error?: string;
  private flight?: Promise<void>;
  private again = false;

  constructor(
    private readonly env: TimedReadEnv,
    private readonly load: () => Promise<T>,
    private readonly describe: TimedReadDescription,
  ) {}

  get loading(): boolean {
    return this.flight !== undefined;
  }

  get known(): boolean {
    return this.at !== undefined;
  }

  /** Reads again (joining a read under way); resolves when it lands or times out. */
  refresh(): Promise<void> {
    if (!this.flight) {
      // Through a promise, so a getter that throws (a system not configured) is a failed read.
      this.flight = Promise.resolve()
        .then(() => this.load())
        .then(
          value => {
            this.value = value;
            this.at = this.env.now();
            this.error = undefined;
          },
          e => {
            this.error = (this.describe.explain ?? messageOf)(e);
          },
        )
        .finally(() => {
          this.flight = undefined;
          this.env.settled();
          if (this.again) {
            this.again = false;
            this.refresh().catch(() => undefined);
          }
        });
    }
    const flight = this.flight;
    return new Promise<void>(resolve => {
      const timer = this.env.timers.setTimeout(() => {
        if (this.flight === flight) {
          const { what, hint } = this.describe;
          this.error = `${what}: no answer within ${seconds(
            this.env.timeoutMs,
          )}${hint ? `; ${hint}` : ''}`;
          this.env.settled();
        }
        resolve();
      }, this.env.timeoutMs);
      flight.then(() => {
        this.env.timers.clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Reads again now, or right after the read under way (which may have started before a change). */
  request(): void {
    if (this.flight) this.again = true;
    else this.refresh().catch(() => undefined);
  }

  /** Holds a value read elsewhere, unless a read of its own is known or under way. */
  seed(value: T): void {
    if (this.known || this.loading) return;
    this.value = value;
    this.at = this.env.now();
  }

  /** The error with how old the shown value is, or undefined when fine. */
  problem(): string | undefined {
    if (!this.error) return undefined;
    return this.at === undefined
      ? this.error
      : `${this.error}; showing what was seen at ${iso(this.at)}`;
  }
}
