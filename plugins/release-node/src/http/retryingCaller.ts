import type { LoggerService } from '@backstage/backend-plugin-api';
import { defaultRetryPolicy, type RetryPolicy } from './retry';
import { SystemError } from './SystemError';
import { credentialsIn, redactSecrets, urlForErrors } from './where';

export { redactSecrets };

/**
 * Time as the clients see it; tests inject one (or use jest's fake timers with the real one).
 *
 * @public
 */
export interface CallClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock, looked up at call time so jest's fake timers apply. @public */
export const realClock: CallClock = {
  now: () => Date.now(),
  sleep: ms => new Promise<void>(resolve => setTimeout(resolve, ms)),
};

/** What a vendor library's error means for retrying. */
export interface CallFailure {
  /** HTTP status when there was one. */
  status?: number;
  /** How long the system asked us to wait (429 Retry-After), in ms. */
  retryAfterMs?: number;
  /** Worth another try (5xx, timeouts, connection errors) for an idempotent call. */
  transient: boolean;
  /** Short, credential-free description. */
  detail: string;
  /** The URL called, when the library's error says it. */
  url?: string;
}

/**
 * Runs vendor-library calls with bounded retries. A 429 sets a gate that every later call of this
 * client waits for (at least Retry-After); a wait longer than the policy allows fails at once
 * instead of hanging, so the caller can keep the work for later.
 */
export class RetryingCaller {
  private notBefore = 0;
  private readonly policy: RetryPolicy;
  private readonly clock: CallClock;

  constructor(
    private readonly options: {
      system: string;
      classify: (error: unknown) => CallFailure;
      secrets: Array<string | undefined>;
      retry?: RetryPolicy;
      clock?: CallClock;
      logger?: LoggerService;
    },
  ) {
    this.policy = options.retry ?? defaultRetryPolicy;
    this.clock = options.clock ?? realClock;
  }

  /** Epoch ms before which this client sends nothing (0 when not rate limited). */
  get rateLimitedUntil(): number {
    return this.notBefore > this.clock.now() ? this.notBefore : 0;
  }

  redact(text: string): string {
    return redactSecrets(text, this.options.secrets);
  }

  /** A SystemError naming the system, the URL and the action, with the secrets taken out. */
  error(
    action: string,
    failure: Pick<CallFailure, 'status' | 'detail' | 'transient' | 'url'>,
  ): SystemError {
    const secrets = [
      ...this.options.secrets,
      ...(failure.url ? credentialsIn(failure.url) : []),
    ];
    return new SystemError({
      system: this.options.system,
      action,
      url: failure.url && urlForErrors(failure.url, secrets),
      status: failure.status,
      detail: redactSecrets(failure.detail, secrets),
      retryable: failure.transient || failure.status === 429,
    });
  }

  /** `url` is where the call goes, for its errors when the library's own do not say. */
  async run<T>(
    action: string,
    fn: () => Promise<T>,
    options: { idempotent?: boolean; url?: string } = {},
  ): Promise<T> {
    const { attempts, baseDelayMs, maxDelayMs } = this.policy;
    const backoff = (attempt: number) =>
      Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    let failure: CallFailure | undefined;
    let tries = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const wait = this.notBefore - this.clock.now();
      if (wait > 0) {
        if (wait > maxDelayMs) {
          throw this.error(action, {
            status: 429,
            transient: true,
            detail: `rate limited for another ${Math.ceil(wait / 1000)} s`,
            url: options.url,
          });
        }
        this.options.logger?.info(
          `${this.options.system}: waiting ${wait} ms before ${action} (rate limited)`,
        );
        await this.clock.sleep(wait);
      }
      tries += 1;
      try {
        return await fn();
      } catch (e) {
        failure = this.options.classify(e);
        const last = attempt === attempts;
        if (failure.status === 429) {
          const asked = failure.retryAfterMs ?? backoff(attempt);
          this.notBefore = Math.max(this.notBefore, this.clock.now() + asked);
          if (last || asked > maxDelayMs) break;
        } else {
          if (!failure.transient || options.idempotent === false || last) break;
          await this.clock.sleep(backoff(attempt));
        }
        this.options.logger?.warn(
          this.redact(
            `${this.options.system}: ${action} failed (${failure.detail}), trying again`,
          ),
        );
      }
    }
    const f = failure!;
    throw this.error(action, {
      ...f,
      url: f.url ?? options.url,
      detail: `${f.detail} after ${tries} ${tries === 1 ? 'try' : 'tries'}`,
    });
  }
}
