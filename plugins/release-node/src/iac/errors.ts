import { EditConflictError } from '../gitlab/yamlEdit';
import { SystemError } from '../http/SystemError';

/*
 * Errors of an IaC edit. Their names are those of `@backstage/errors` (InputError → 400,
 * ConflictError → 409): Backstage's error handler and `serializeError` go by name, and this package
 * does not depend on `@backstage/errors`.
 */

/** A field of the edit request is wrong (unknown environment, app or key, bad value). @public */
export class IacInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** A values file is no longer what the shown diff was made from. @public */
export class IacConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/**
 * Thrown by an edit function when a file changed since the diff was shown; an {@link EditConflictError},
 * so GitLab's commit never retries it.
 *
 * @public
 */
export class IacStaleFileError extends EditConflictError {
  constructor(message: string) {
    super(message);
    this.name = 'IacStaleFileError';
  }
}

/**
 * What a failed edit means to the caller: a key not where config says → {@link IacInputError} naming
 * it; a file changed since the diff → {@link IacConflictError}; anything else unchanged. Looks through
 * the {@link SystemError} that GitLab's commit wraps an edit's error in.
 *
 * @public
 */
export function toIacRequestError(error: unknown): unknown {
  const cause =
    error instanceof SystemError ? (error as { cause?: unknown }).cause : error;
  if (cause instanceof IacStaleFileError) {
    return new IacConflictError(cause.message);
  }
  if (cause instanceof EditConflictError) {
    return new IacInputError(`IaC values: ${cause.message}`);
  }
  return error;
}
