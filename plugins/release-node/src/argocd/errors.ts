import { SystemError } from '../http/SystemError';
import type { runtimeError } from './types';

/** How the portal names Argo CD in errors and checks. @public */
export const ARGOCD_SYSTEM = 'Argo CD';

/**
 * Why an Argo CD call failed, where the caller has to act differently:
 * `operation-in-progress` (wait, never terminate someone else's), `auto-sync-enabled` (revert in git
 * instead of rolling back), `not-ours` (refused to terminate an operation the portal did not start).
 *
 * @public
 */
export type ArgoCdErrorReason =
  | 'operation-in-progress'
  | 'auto-sync-enabled'
  | 'not-found'
  | 'not-ours'
  | 'no-operation'
  | 'unauthorized'
  | 'timeout'
  | 'bad-answer'
  | 'failed';

/** @public */
export class ArgoCdError extends SystemError {
  readonly reason: ArgoCdErrorReason;
  readonly instance: string;

  constructor(options: {
    instance: string;
    action: string;
    reason: ArgoCdErrorReason;
    /** The URL called, without credentials. */
    url?: string;
    status?: number;
    detail?: string;
    retryable?: boolean;
    cause?: unknown;
  }) {
    super({ system: ARGOCD_SYSTEM, ...options });
    this.name = 'ArgoCdError';
    this.reason = options.reason;
    this.instance = options.instance;
  }
}

/** Argo CD's FailedPrecondition when an app already has an operation (util/argo SetAppOperation). */
export const OPERATION_IN_PROGRESS = 'another operation is already in progress';
/** Argo CD's FailedPrecondition on rollback while automated sync is on (server/application Rollback). */
export const ROLLBACK_WITH_AUTO_SYNC =
  'rollback cannot be initiated when auto-sync is enabled';

/** Replaces every occurrence of each secret with ***. */
export { redactSecrets as redact } from '../http/where';

/** The message of Argo CD's error body ({ error, code, message }), or the start of the raw text. */
export function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as runtimeError;
    const text = parsed.message || parsed.error;
    if (typeof text === 'string' && text) return text.slice(0, 500);
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.replace(/\s+/g, ' ').trim().slice(0, 300);
}

export function reasonFor(status: number, detail: string): ArgoCdErrorReason {
  if (detail.includes(OPERATION_IN_PROGRESS)) return 'operation-in-progress';
  if (detail.includes(ROLLBACK_WITH_AUTO_SYNC)) return 'auto-sync-enabled';
  if (status === 401) return 'unauthorized';
  // Argo CD answers 403 "permission denied" for an app that does not exist, so as not to leak names.
  if (status === 404 || (status === 403 && /permission denied/i.test(detail)))
    return 'not-found';
  return 'failed';
}
