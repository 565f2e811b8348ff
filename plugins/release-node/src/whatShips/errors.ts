/**
 * Errors of "what ships" that name the request field at fault. Their names are those of
 * `@backstage/errors` (InputError → 400, NotFoundError → 404): Backstage's error handler and
 * `serializeError` go by name, and this package does not depend on `@backstage/errors`.
 */

/** A field of the request is wrong (unknown app or environment, malformed version). @public */
export class WhatShipsInputError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'InputError';
    this.field = field;
  }
}

/** Something the request (or the IaC repository) names is not in GitLab. @public */
export class WhatShipsNotFoundError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'NotFoundError';
    this.field = field;
  }
}
