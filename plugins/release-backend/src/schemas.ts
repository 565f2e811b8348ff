import { z } from 'zod';

// Request bodies are release-common's; these are the query strings and path parameters.
import { InputError } from '@backstage/errors';
import { releaseApps, releaseStates } from '@internal/plugin-release-common';

const app = z.enum(releaseApps);

const csv = <T extends [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform(s => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(values)));

export const listQuerySchema = z
  .object({
    state: csv(releaseStates as unknown as [string, ...string[]]).optional(),
    app: app.optional(),
    author: z.string().max(255).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(400).optional(),
  })
  .strict();

export const auditQuerySchema = z
  .object({
    releaseId: z.string().uuid().optional(),
    afterSeq: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  })
  .strict();

export const releaseIdSchema = z.string().uuid('must be a release id');

/** Parses or throws a 400 that names each bad field. */
export function parse<T extends z.ZodTypeAny>(
  schema: T,
  value: unknown,
  what: string,
): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues
    .map(i => `${i.path.length ? i.path.join('.') : what}: ${i.message}`)
    .join('; ');
  throw new InputError(issues);
}
