/*
 * Errors of the deploy plan. Their names are those of `@backstage/errors` (InputError → 400,
 * ConflictError → 409): Backstage's error handler and `serializeError` go by name, and this package
 * does not depend on `@backstage/errors`.
 */

/** A field of the plan's input is wrong; the message starts with the field, e.g. `apps[0].steps[1]`. @public */
export class DeployPlanInputError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field} ${message}`);
    this.name = 'InputError';
    this.field = field;
  }
}

/** The world is in a state no plan may start from (the live colour read two ways, a switch half done). @public */
export class DeployPlanConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}
