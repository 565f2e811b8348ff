/**
 * A change that cannot be applied to the file as it is now: a key is not where it should be, or holds
 * something other than what the change expected. Thrown by edit functions; never retried.
 *
 * @public
 */
export class EditConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EditConflictError';
  }
}

/** @public */
export type YamlScalar = string | number | boolean;
