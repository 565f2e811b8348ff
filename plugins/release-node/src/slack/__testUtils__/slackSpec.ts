import Ajv, { type ValidateFunction } from 'ajv-draft-04';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// shared/ sits beside the repository (here /work/shared beside /work/main; in CI beside the clone).
const repoRoot = resolve(__dirname, '..', '..', '..', '..', '..');
export const slackSpecPath = resolve(
  repoRoot,
  '..',
  'shared',
  'contracts',
  'slack-web-openapi-v2.json',
);

type Spec = {
  definitions: Record<string, unknown>;
  paths: Record<
    string,
    Record<string, { responses: Record<string, { schema: object }> }>
  >;
};

/**
 * Checks Slack Web API answers against the response schemas of Slack's own OpenAPI (Swagger 2.0)
 * spec: the success schema when `ok` is true, the error schema otherwise.
 */
export function createSlackSpecValidator() {
  const spec = JSON.parse(readFileSync(slackSpecPath, 'utf8')) as Spec;
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateFormats: false,
  });
  const compiled = new Map<string, ValidateFunction>();
  return (method: string, body: unknown): string[] => {
    const operations = spec.paths[`/${method}`];
    if (!operations) return [`${method} is not in the Slack spec`];
    const operation = operations.post ?? operations.get;
    const ok = (body as { ok?: boolean })?.ok === true;
    const key = `${method}:${ok ? '200' : 'default'}`;
    let validate = compiled.get(key);
    if (!validate) {
      const schema = operation.responses[ok ? '200' : 'default'].schema;
      validate = ajv.compile({ ...schema, definitions: spec.definitions });
      compiled.set(key, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      e =>
        `${method}${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`,
    );
  };
}

/**
 * A fetch for the WebClient that checks every JSON answer of the Slack API against the spec and
 * notes what does not fit. Looks global fetch up at call time, so msw's interception applies.
 */
export function createValidatingFetch() {
  const validate = createSlackSpecValidator();
  const violations: string[] = [];
  const seen: string[] = [];
  const validatingFetch = async (url: string | URL, init?: RequestInit) => {
    const response = await fetch(url, init);
    const method = String(url).split('/').pop()!;
    if (
      response.status === 200 &&
      response.headers.get('content-type')?.includes('application/json')
    ) {
      const body = await response.clone().json();
      seen.push(method);
      violations.push(...validate(method, body));
    }
    return response;
  };
  return { fetch: validatingFetch, violations, seen };
}
