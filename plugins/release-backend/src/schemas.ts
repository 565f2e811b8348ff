import { z } from 'zod';
import { InputError } from '@backstage/errors';
import {
  releaseApps,
  releaseGrades,
  releaseStates,
  releaseStrategies,
} from '@internal/plugin-release-common';

const app = z.enum(releaseApps);
const url = z
  .string()
  .max(2000)
  .regex(/^https?:\/\//, 'must be an http(s) URL');

const itemSource = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('mr'),
    project: z.string().min(1).max(200),
    iid: z.number().int().positive(),
    url: url.optional(),
  }),
  z.object({
    type: z.literal('commit'),
    project: z.string().min(1).max(200),
    sha: z.string().regex(/^[0-9a-f]{7,40}$/, 'must be a commit SHA'),
    url: url.optional(),
  }),
  z.object({
    type: z.literal('asana'),
    gid: z.string().regex(/^\d{1,30}$/, 'must be an Asana gid'),
    url: url.optional(),
  }),
]);

export const createReleaseSchema = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    grade: z.enum(releaseGrades),
    gradeReason: z.string().trim().max(2000).optional(),
    dbUpdate: z.boolean(),
    changeClasses: z
      .array(
        z
          .string()
          .regex(/^[a-zA-Z][a-zA-Z0-9]{0,39}$/, 'must be a change class name'),
      )
      .max(20)
      .optional(),
    apps: z
      .array(
        z
          .object({
            app,
            version: z.string().min(1).max(80),
            previousVersion: z.string().min(1).max(80).optional(),
            strategy: z.enum(releaseStrategies).optional(),
            steps: z.array(z.number()).max(10).optional(),
          })
          .strict(),
      )
      .min(1, 'must name at least one app')
      .max(releaseApps.length),
    items: z
      .array(
        z
          .object({
            title: z.string().trim().min(1).max(300),
            app: app.optional(),
            source: itemSource,
          })
          .strict(),
      )
      .min(1, 'must list at least one item that ships')
      .max(500),
    links: z
      .array(z.object({ title: z.string().min(1).max(200), url }).strict())
      .max(50)
      .optional(),
  })
  .strict();

const parsesAsUrl = (value: string) => {
  try {
    return Boolean(new URL(value).host);
  } catch {
    return false;
  }
};

export const linkSchema = z
  .object({
    title: z.string().trim().min(1).max(200),
    url: url.refine(parsesAsUrl, 'must be a valid URL'),
  })
  .strict();

export const gradeSchema = z
  .object({
    grade: z.enum(releaseGrades),
    reason: z.string().trim().max(2000).optional(),
  })
  .strict();

export const decisionSchema = z
  .object({
    decision: z.enum(['approve', 'reject']),
    stage: z.enum(['approval', 'signoff']).default('approval'),
    comment: z.string().trim().max(4000).optional(),
  })
  .strict();

export const retroSchema = z
  .object({ comment: z.string().trim().max(4000).optional() })
  .strict();

export const transitionSchema = z
  .object({
    to: z.enum(releaseStates),
    reason: z.string().trim().max(2000).optional(),
  })
  .strict();

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

/** POST /what-ships: a body, because items are a list of objects. */
export const whatShipsSchema = z
  .object({
    app,
    environment: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be an environment name'),
    candidate: z
      .string()
      .min(1)
      .max(80)
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
        'must be a deploy branch, tag or commit SHA',
      ),
    items: z
      .array(
        z
          .object({
            title: z.string().trim().min(1).max(300),
            app: app.optional(),
            source: itemSource,
          })
          .strict(),
      )
      .max(500)
      .optional(),
  })
  .strict();

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
