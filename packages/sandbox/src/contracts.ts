import Ajv from 'ajv-draft-04';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Argo CD's published swagger.json, from `shared/` beside the repository (the repo's parent holds
 * it, here and in CI): src → sandbox → packages → repo → its parent. Used by the contract tests of
 * the sandbox and of the real clients alike.
 */
export const argoCdSwaggerPath = resolve(
  // The contracts sit beside the repository, not inside a package that could resolve them.
  // eslint-disable-next-line no-restricted-syntax
  __dirname,
  '../../../../shared/contracts/argocd-swagger.json',
);

type Schema = Record<string, any>;

/**
 * Swagger marks nothing required and allows any extra field; to catch a misspelt field the copy used
 * here refuses properties a definition does not list (allOf parts merged first).
 */
function strict(definitions: Record<string, Schema>): Record<string, Schema> {
  const out: Record<string, Schema> = structuredClone(definitions);
  for (const def of Object.values(out)) {
    if (def.allOf) {
      for (const part of def.allOf) {
        const ref = part.$ref?.replace('#/definitions/', '');
        Object.assign(
          (def.properties ??= {}),
          ref ? definitions[ref]?.properties : part.properties,
        );
      }
      delete def.allOf;
    }
    if (
      def.type === 'object' &&
      def.properties &&
      def.additionalProperties === undefined
    ) {
      def.additionalProperties = false;
    }
  }
  return out;
}

/** Validates values against named swagger definitions; `streamResult` is one stream line. */
export function argoCdSwagger() {
  const swagger = JSON.parse(readFileSync(argoCdSwaggerPath, 'utf8'));
  const definitions = strict(swagger.definitions);
  definitions.streamApplicationsResult =
    swagger.paths['/api/v1/stream/applications'].get.responses['200'].schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('int64', true);
  ajv.addFormat('int32', true);
  ajv.addFormat('uint64', true);
  ajv.addFormat('byte', true);
  ajv.addFormat(
    'date-time',
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  );
  ajv.addSchema({ id: 'argocd', definitions }, 'argocd');
  return {
    /** The errors of a value against `#/definitions/<name>`; empty when valid. */
    errors(definition: string, value: unknown): string[] {
      const validate = ajv.getSchema(`argocd#/definitions/${definition}`);
      if (!validate) throw new Error(`no definition ${definition}`);
      if (validate(value)) return [];
      return (validate.errors ?? []).map(
        e =>
          `${definition}${e.instancePath} ${e.message} ${JSON.stringify(
            e.params,
          )}`,
      );
    },
  };
}
