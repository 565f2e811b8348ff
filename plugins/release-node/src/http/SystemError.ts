/**
 * A failure talking to one of the systems the portal drives, saying which system and what failed,
 * never with a credential in it.
 *
 * @public
 */
export class SystemError extends Error {
  readonly system: string;
  readonly status?: number;
  readonly retryable: boolean;
  /** What failed, without the system and action in front: for wrapping in a caller's own words. */
  readonly detail?: string;

  constructor(options: {
    system: string;
    action: string;
    status?: number;
    detail?: string;
    retryable?: boolean;
    cause?: unknown;
  }) {
    const status = options.status ? ` (HTTP ${options.status})` : '';
    const detail = options.detail ? `: ${options.detail}` : '';
    super(`${options.system}: ${options.action} failed${status}${detail}`);
    this.name = 'SystemError';
    this.system = options.system;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.detail = options.detail;
    if (options.cause !== undefined) {
      (this as { cause?: unknown }).cause = options.cause;
    }
  }
}
