import { urlForErrors } from './where';

/**
 * A failure talking to one of the systems the portal drives, saying which system, at which URL and
 * what failed, never with a credential in it: `Jenkins (http://…/api/json): list builds failed: …`.
 *
 * @public
 */
export class SystemError extends Error {
  readonly system: string;
  /** The URL called, without credentials. */
  readonly url?: string;
  readonly status?: number;
  readonly retryable: boolean;
  /** What failed, without the system and action in front: for wrapping in a caller's own words. */
  readonly detail?: string;

  constructor(options: {
    system: string;
    action: string;
    /** The URL called; its user, password and credential-like query values never show. */
    url?: string;
    status?: number;
    detail?: string;
    retryable?: boolean;
    cause?: unknown;
  }) {
    const url = options.url ? urlForErrors(options.url) : undefined;
    const where = url ? ` (${url})` : '';
    const status = options.status ? ` (HTTP ${options.status})` : '';
    const detail = options.detail ? `: ${options.detail}` : '';
    super(
      `${options.system}${where}: ${options.action} failed${status}${detail}`,
    );
    this.name = 'SystemError';
    this.system = options.system;
    this.url = url;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.detail = options.detail;
    if (options.cause !== undefined) {
      (this as { cause?: unknown }).cause = options.cause;
    }
  }
}
